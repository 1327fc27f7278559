"""Pure parsers for the HTTP headers the engine trusts: Content-Range, Content-Disposition
(RFC 6266 with RFC 5987 `filename*`), Digest / Repr-Digest, Retry-After."""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from dataclasses import dataclass
from urllib.parse import unquote

# Request headers that carry credentials: never sent to another host after a redirect, and kept
# by the service only while a download may need them (like cookies).
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

# digest algorithm names as servers spell them -> hashlib names
DIGEST_ALGORITHMS = {"md5": "md5", "sha": "sha1", "sha-1": "sha1", "sha1": "sha1",
                     "sha-256": "sha256", "sha256": "sha256", "sha-512": "sha512", "sha512": "sha512"}


@dataclass(frozen=True)
class ContentRange:
    start: int | None       # None for "bytes */TOTAL" (unsatisfied range)
    end: int | None         # inclusive, as on the wire
    total: int | None       # None for "bytes a-b/*"


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.IGNORECASE)


def parse_content_range(value: str) -> ContentRange:
    """Parse `bytes a-b/T`, `bytes a-b/*` or `bytes */T`; ValueError on anything else."""
    m = _CONTENT_RANGE.match(value)
    if not m:
        raise ValueError(f"malformed Content-Range: {value!r}")
    total = None if m.group(3) == "*" else int(m.group(3))
    if m.group(1) is None:
        if total is None:
            raise ValueError(f"malformed Content-Range: {value!r}")
        return ContentRange(None, None, total)
    start, end = int(m.group(1)), int(m.group(2))
    if end < start or (total is not None and end >= total):
        raise ValueError(f"impossible Content-Range: {value!r}")
    return ContentRange(start, end, total)


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PARAM = re.compile(rf"\s*;\s*({_TOKEN})\s*=\s*({_QUOTED}|[^;]*)")


def utf8_header(value: str) -> str:
    """A header value as its bytes meant: http.client decodes them as latin-1, and a server
    sending raw UTF-8 (`Location: /café.bin`, `filename="café.bin"`) means UTF-8, as browsers
    and curl read it."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:   # not UTF-8 after all (or not from the wire): as it came
        return value


def parse_content_disposition(value: str) -> str | None:
    """The filename a Content-Disposition offers, `filename*` (RFC 5987) winning over `filename`.

    Returns the raw (unsafe) name; callers pass it through paxel.filenames.safe_filename.
    """
    params: dict[str, str] = {}
    rest = value.split(";", 1)
    if len(rest) < 2:
        return None
    for m in _PARAM.finditer(";" + rest[1]):
        key, raw = m.group(1).lower(), m.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(key, raw)
    extended = params.get("filename*")
    if extended:
        decoded = decode_rfc5987(extended)
        if decoded:
            return decoded
    plain = params.get("filename")
    return plain or None


def decode_rfc5987(value: str) -> str | None:
    """`charset'lang'percent-encoded` -> text; None when the charset is unknown or bytes invalid."""
    parts = value.split("'", 2)
    if len(parts) != 3:
        return None
    charset = parts[0].strip().lower() or "utf-8"
    if charset not in ("utf-8", "iso-8859-1", "us-ascii"):
        return None
    try:
        return unquote(parts[2], encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return None


def parse_digests(digest: str | None, repr_digest: str | None) -> dict[str, str]:
    """hashlib name -> lowercase hex, from `Digest: sha-256=B64` (RFC 3230) and
    `Repr-Digest: sha-256=:B64:` (RFC 9530). Unknown algorithms and bad encodings are skipped."""
    out: dict[str, str] = {}
    for header, sf in ((digest, False), (repr_digest, True)):
        if not header:
            continue
        for item in header.split(","):
            alg, sep, val = item.strip().partition("=")
            name = DIGEST_ALGORITHMS.get(alg.strip().lower())
            if not sep or name is None:
                continue
            val = val.strip()
            if sf:
                if not (len(val) >= 2 and val[0] == ":" and val[-1] == ":"):
                    continue
                val = val[1:-1]
            try:
                out[name] = base64.b64decode(val, validate=True).hex()
            except (binascii.Error, ValueError):
                continue
    return out


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After (delta seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone takes "²", which float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
