"""What a server's answer to a Range request tells the engine (pure: headers in, facts out).

The first request of a download is a `GET` with a bounded `Range: bytes=0-N` (or, when resuming,
the first missing range with If-Range). Its 206 or 200 answer is the probe: size (from
Content-Range), Range support, validators, name and digests, and its body feeds the first
segment, so a small file costs one request and a large one gets no more bytes than it asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from paxel.errors import ServerMisbehaved
from paxel.headers import (
    ContentRange,
    parse_content_disposition,
    parse_content_range,
    parse_digests,
    utf8_header,
)


class FileChanged(ServerMisbehaved):
    """The file on the server is not the one the bytes on disk came from: restart cleanly."""


class RangesUntrusted(ServerMisbehaved):
    """The server's Range answers cannot be trusted: fall back to one plain connection."""


@dataclass(frozen=True)
class ProbeResult:
    url: str                      # after redirects
    status: int
    size: int | None              # None: unknown length, stream to the end
    ranges: bool                  # the body is the range asked for (206), further ranges may work
    first: int                    # file offset of the body's first byte
    etag: str | None
    last_modified: str | None
    filename: str | None          # raw Content-Disposition name (made safe by the caller)
    digests: Mapping[str, str] = field(default_factory=dict)

    @property
    def if_range(self) -> str | None:
        return range_validator(self.etag, self.last_modified)


def range_validator(etag: str | None, last_modified: str | None) -> str | None:
    """The validator for If-Range: a strong ETag, else Last-Modified (weak ETags never match)."""
    if etag and not etag.startswith("W/"):
        return etag
    return last_modified


def interpret(url: str, status: int, headers: Mapping[str, str], first: int | None,
              last: int | None = None) -> ProbeResult:
    """Facts from the answer to `GET` (first None) or `GET Range: bytes=first-last` (last None:
    to the end).

    Raises ServerMisbehaved when a 206 does not describe what was asked; other statuses are the
    caller's business (it only passes 200, 206 and 416).
    """
    disposition = headers.get("Content-Disposition")
    base = ProbeResult(url=url, status=status, size=None, ranges=False, first=0,
                       etag=headers.get("ETag"), last_modified=headers.get("Last-Modified"),
                       filename=parse_content_disposition(utf8_header(disposition)) if disposition else None,
                       digests=parse_digests(headers.get("Digest"), headers.get("Repr-Digest")))
    if status == 206:
        _check_identity(headers)
        cr = _content_range(headers)
        if cr.start != (first or 0) or cr.total is None or cr.end != (
                cr.total - 1 if last is None else min(last, cr.total - 1)):
            raise RangesUntrusted(f"asked for bytes {first or 0}-{'' if last is None else last} "
                                  f"but the server sent {headers.get('Content-Range')!r}")
        return replace(base, size=cr.total, ranges=True, first=cr.start)
    if status == 416:
        cr = _content_range(headers)
        if cr.start is not None or cr.total is None or (first or 0) < cr.total:
            raise ServerMisbehaved(f"416 for bytes {first or 0}- with {headers.get('Content-Range')!r}")
        return replace(base, size=cr.total, ranges=True, first=cr.total)
    # 200 to a Range request: whatever Accept-Ranges claims, this server does not do ranges here
    return replace(base, size=content_length(headers), ranges=False)


def check_partial(headers: Mapping[str, str], first: int, last: int, size: int,
                  etag: str | None, last_modified: str | None = None) -> None:
    """A worker's 206 must be exactly bytes first..last of the same `size`-byte file, as is.

    The same file: the same ETag where both answers carry one, else the same Last-Modified (a
    server without ETags that ignores If-Range hands out the new version's bytes as a 206 whose
    only tell is its new Last-Modified)."""
    _check_identity(headers)
    new_etag, new_modified = headers.get("ETag"), headers.get("Last-Modified")
    if etag and new_etag:
        if new_etag != etag:
            raise FileChanged(f"the file changed on the server (ETag {etag} -> {new_etag})")
    elif last_modified and new_modified and new_modified != last_modified:
        raise FileChanged(f"the file changed on the server (Last-Modified {last_modified} -> {new_modified})")
    cr = _content_range(headers)
    if cr.total is not None and cr.total != size:
        raise FileChanged(f"the file changed on the server (size {size} -> {cr.total})")
    if (cr.start, cr.end) != (first, last):
        raise RangesUntrusted(f"asked for bytes {first}-{last} but the server sent "
                              f"{headers.get('Content-Range')!r}")


def check_full(headers: Mapping[str, str], etag: str | None, last_modified: str | None) -> None:
    """A 200 to a Range request: a new validator means the file changed (restart, still ranged);
    the same or none means the server just ignores ranges (one plain stream from now on)."""
    new_etag, new_modified = headers.get("ETag"), headers.get("Last-Modified")
    if (etag and new_etag and new_etag != etag) or (
            last_modified and new_modified and new_modified != last_modified):
        raise FileChanged("the file changed on the server (new validator in a 200 answer)")
    raise RangesUntrusted("the server answered 200 to a Range request")


DECODABLE = frozenset({"gzip", "x-gzip", "deflate"})


def encoding(headers: Mapping[str, str]) -> str | None:
    """The body's Content-Encoding, lower case; None for none/identity."""
    value = headers.get("Content-Encoding", "").strip().lower()
    return None if value in ("", "identity") else value


def _check_identity(headers: Mapping[str, str]) -> None:
    """A range reply must be raw bytes of the file: compressed bytes (a server ignoring
    `Accept-Encoding: identity`) can never be written at offsets. The engine then fetches the
    file as one stream and decodes it whole (or fails clearly if it cannot)."""
    coding = encoding(headers)
    if coding is not None:
        raise RangesUntrusted(f"the server compressed a range reply ({coding}) although paxel "
                              "asked for identity")


def content_length(headers: Mapping[str, str]) -> int | None:
    if encoding(headers) is not None:
        return None  # the length of encoded bytes says nothing reliable about the stream end
    raw = (headers.get("Content-Length") or "").strip()
    if not (raw.isascii() and raw.isdigit()):  # headers arrive as Latin-1: "²" is a digit to isdigit
        return None
    return int(raw)


def _content_range(headers: Mapping[str, str]) -> ContentRange:
    value = headers.get("Content-Range")
    if value is None:
        raise RangesUntrusted("206 without Content-Range")
    try:
        return parse_content_range(value)
    except ValueError as exc:
        raise RangesUntrusted(str(exc)) from None

