"""The request schema of the wire protocol: which message types exist and what each field may hold.

Split from paxel.protocol (framing and envelopes) so each new message adds lines here only.
Everything here is pure: a decoded message goes in, a `Request` with checked values comes out,
or a ProtocolError that names the field. docs/protocol.md describes the same table for people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from paxel.cookies import Cookie
from paxel.errors import ErrorCode, ProtocolError
from paxel.protocol import RequestId


@dataclass(frozen=True)
class Request:
    """A validated request: only known fields, each of the documented type."""

    id: RequestId
    type: str
    fields: Mapping[str, Any]


Check = Callable[[str, Any], Any]  # (field name, raw value) -> value, or raises ProtocolError


def _bad(name: str, why: str) -> ProtocolError:
    return ProtocolError(f"field `{name}` {why}", code=ErrorCode.BAD_FIELD)


def _string(max_len: int = 4096) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise _bad(name, f"must be a string, not {type(value).__name__}")
        if len(value) > max_len or "\x00" in value:
            raise _bad(name, f"must be at most {max_len} characters without NUL")
        return str(value)
    return check


def _integer(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(name, f"must be an integer, not {type(value).__name__}")
        if not low <= value <= high:
            raise _bad(name, f"must be between {low} and {high}")
        return value
    return check


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, "must be true or false")
    return value


def _choice(*options: str) -> Check:
    def check(name: str, value: Any) -> str:
        if value not in options:
            raise _bad(name, f"must be one of {', '.join(options)}")
        return str(value)
    return check


def _url(name: str, value: Any) -> str:
    text = str(_string(16384)(name, value))
    try:
        parts = urlsplit(text)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        ok = False
    # no raw space or control (C0, DEL, C1): a browser percent-encodes them, and one that reached
    # a message would be printed to a terminal as a command (ESC ] 0 ; retitles the window)
    if not ok or any(c == " " or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise ProtocolError(f"`{name}` is not an absolute http(s) URL", code=ErrorCode.BAD_URL)
    return text


def _folder(name: str, value: Any) -> str:
    text = str(_string()(name, value))
    if not (text.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", text) or text.startswith("\\\\")):
        raise _bad(name, "must be an absolute path")
    return text


def _header_value(max_len: int) -> Check:
    """A string sent as a header's value (Referer, User-Agent): CR or LF would end the header
    (http.client refuses to send it, so the request failed later as NETWORK), NUL too."""
    def check(name: str, value: Any) -> str:
        text = str(_string(max_len)(name, value))
        if "\r" in text or "\n" in text:
            raise _bad(name, "must not contain CR or LF")
        return text
    return check


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")


def _headers(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > 64:
        raise _bad(name, "must be an object of at most 64 header names to string values")
    for key, item in value.items():
        if not _HEADER_NAME.match(key) or not isinstance(item, str) or len(item) > 8192 \
                or any(c in item for c in "\r\n\x00"):
            raise _bad(name, f"has an invalid header {key[:64]!r}")
    return dict(value)


_COOKIE_FIELDS: dict[str, tuple[Check, bool]] = {
    "name": (_string(4096), True),
    "value": (_string(8192), True),
    "domain": (_string(255), True),
    "path": (_string(4096), False),
    "host_only": (_boolean, False),
    "secure": (_boolean, False),
    "http_only": (_boolean, False),
    "expiration_date": (lambda n, v: _number_or_null(n, v), False),
    "same_site": (_string(32), False),
    "store_id": (_string(256), False),
}


def _number_or_null(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, "must be a number or null")
    return float(value)


def _cookies(name: str, value: Any) -> tuple[Cookie, ...]:
    """Wire cookie objects (snake_case) straight to Cookie values: the only place they are checked.
    `http_only`, `same_site` and `store_id` are accepted and not kept (nothing uses them)."""
    if not isinstance(value, list) or len(value) > 512:
        raise _bad(name, "must be an array of at most 512 cookie objects")
    cookies = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        fields = _object(where, item, _COOKIE_FIELDS)
        try:
            cookies.append(Cookie.build(fields["name"], fields["value"], fields["domain"],
                                        fields.get("host_only"), fields.get("path"),
                                        fields.get("secure", False), fields.get("expiration_date")))
        except ValueError as exc:
            raise _bad(where, f"is not a usable cookie: {exc}") from None
    return tuple(cookies)


_CHECKSUM = re.compile(r"^(md5|sha-1|sha-256|sha-512)=([0-9a-fA-F]+)$")
_DIGEST_HEX = {"md5": 32, "sha-1": 40, "sha-256": 64, "sha-512": 128}


def _checksum(name: str, value: Any) -> str:
    text = str(_string(200)(name, value))
    match = _CHECKSUM.match(text)
    if not match or len(match.group(2)) != _DIGEST_HEX[match.group(1)]:
        raise _bad(name, "must be ALG=HEX with ALG one of md5, sha-1, sha-256, sha-512")
    return text


def _request_id(name: str, value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad(name, "must be a string or an integer")
    if isinstance(value, str) and len(value) > 256:
        raise _bad(name, "must be at most 256 characters")
    return value


_DOWNLOAD_ID = {"download_id": (_string(64), True)}
MAX_SPEED = 1 << 40  # bytes/s: far beyond any link, small enough for every JSON reader


def _speed_or_null(name: str, value: Any) -> int | None:
    """A speed limit in bytes/s, or null for none."""
    if value is None:
        return None
    rate: int = _integer(1, MAX_SPEED)(name, value)
    return rate


_QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def _queue(name: str, value: Any) -> str:
    text = str(_string(64)(name, value))
    if not _QUEUE_NAME.match(text):
        raise _bad(name, "must be a queue name: letters, digits, space, `.`, `_`, `-`, at most 64")
    return text


# Settings keys a `settings` request may change (docs/settings.md). Never `roots` (where files
# may go), `extension_ids` (who may talk to paxel) or `after_completion` (runs programs: local
# only, its own request).
SETTABLE = frozenset({"max_concurrent", "default_connections", "open_panel_on_add", "max_speed", "schedule",
                      "queues", "folder_rules", "duplicates", "max_connections_per_host"})


def _settings_changes(name: str, value: Any) -> dict[str, Any]:
    """The keys to change, each checked by the settings loader later (its errors name the key)."""
    if not isinstance(value, dict) or not value:
        raise _bad(name, "must be an object of settings keys to their new values")
    refused = sorted(set(value) - SETTABLE)
    if refused:
        raise _bad(name, f"cannot change {refused[0][:64]!r} (settable: {', '.join(sorted(SETTABLE))})")
    return dict(value)


def _queue_renames(name: str, value: Any) -> dict[str, str]:
    """`{old name: new name}`: named queues the same `set` renames (their downloads follow)."""
    if not isinstance(value, dict) or len(value) > 64:
        raise _bad(name, "must be an object of at most 64 queue names to their new names")
    renames = {_queue(name, old): _queue(name, new) for old, new in value.items()}
    if "main" in renames or "main" in renames.values() or len(set(renames.values())) != len(renames):
        raise _bad(name, "renames named queues (not main), each to a name of its own")
    return renames


def _after_completion(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(name, "must be an object with `action`, `command`, `timeout`")
    return dict(value)


def _expect(name: str, value: Any) -> dict[str, Any]:
    return _object(name, value, _EXPECT_FIELDS)


# `take`'s `expect`: what the browser saw of its own answer (paxel.takeover.Seen).
_EXPECT_FIELDS: dict[str, tuple[Check, bool]] = {
    "size": (_integer(0, 1 << 62), False),
    "content_type": (_string(256), False),
    "filename": (_string(1024), False),
    "min_size": (_integer(0, 1 << 62), False),
}

def _media(name: str, value: Any) -> dict[str, Any]:
    return _object(name, value, _MEDIA_FIELDS)


# `download`'s `media`: fetch the URL as a stream (HLS/DASH) of at most this height (null: the best).
_MEDIA_FIELDS: dict[str, tuple[Check, bool]] = {
    "quality": (_integer(1, 100_000), False),
}

# `download` and `probe` (the two share paxel.service.request.DownloadRequest).
_DOWNLOAD: dict[str, tuple[Check, bool]] = {
    "url": (_url, True),
    "filename": (_string(255), False),
    "folder": (_folder, False),
    "connections": (_integer(1, 32), False),
    "referrer": (_header_value(16384), False),
    "user_agent": (_header_value(1024), False),
    "headers": (_headers, False),
    "cookies": (_cookies, False),
    "checksum": (_checksum, False),
    "source": (_choice("click", "context-menu", "cli", "panel", "media"), False),
    "media": (_media, False),
    "queue": (_queue, False),
}

SCHEMA: dict[str, dict[str, tuple[Check, bool]]] = {
    "hello": {"client": (_string(256), True), "version": (_integer(1, 1_000_000), True),
              "start": (_boolean, False)},  # false: a host must not start a stopped service
    "download": _DOWNLOAD,
    "take": {**_DOWNLOAD, "expect": (_expect, True)},
    "probe": _DOWNLOAD,  # the same request (paxel.service.request); what only a download uses is ignored
    "media_probe": _DOWNLOAD,  # a stream's qualities, duration and sizes (paxel.media.probe)
    "list": {},
    "pause": _DOWNLOAD_ID,
    "resume": _DOWNLOAD_ID,
    "cancel": _DOWNLOAD_ID,
    "retry": _DOWNLOAD_ID,
    "refresh": _DOWNLOAD_ID,
    "remove": {**_DOWNLOAD_ID, "delete_file": (_boolean, False)},
    "open": {**_DOWNLOAD_ID, "what": (_choice("file", "folder"), True)},
    "limit": {"download_id": (_string(64), False), "max_speed": (_speed_or_null, True)},
    "queues": {},
    "move": {**_DOWNLOAD_ID, "to": (_choice("top", "up", "down", "bottom"), True)},
    "start_now": _DOWNLOAD_ID,
    "assign": {**_DOWNLOAD_ID, "queue": (_queue, True)},
    "duplicate_answer": {**_DOWNLOAD_ID, "choice": (_choice("rename", "skip", "resume"), True)},
    "settings": {"set": (_settings_changes, False), "renamed": (_queue_renames, False),
                 "if_revision": (_integer(0, (1 << 53) - 1), False)},
    "after_completion": {"set": (_after_completion, False)},
    "show_panel": {},
    "auth": {"secret": (_string(256), True)},
    "shutdown": {},
}

# Local-only types, which the native host never relays from a browser (the service refuses them
# from a browser's connection too): `auth` and `shutdown`, and `after_completion`, which sets a
# program to run (whatever controls a browser must not run programs here).
LOCAL_ONLY = frozenset({"auth", "shutdown", "after_completion"})
BROWSER_TYPES = frozenset(SCHEMA) - LOCAL_ONLY


def _object(name: str, value: Any, fields: Mapping[str, tuple[Check, bool]]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(name, "must be an object")
    out: dict[str, Any] = {}
    for field, (check, required) in fields.items():
        if field not in value or (value[field] is None and not required):
            if required:
                raise ProtocolError(f"missing field `{field}`" + ("" if name == "message" else f" in {name}"),
                                    code=ErrorCode.BAD_FIELD)
            continue
        out[field] = check(field, value[field])
    return out


def request_id_of(message: Any) -> RequestId:
    """The id to echo in an error reply, or None when it is absent or malformed."""
    if isinstance(message, dict):
        value = message.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) <= 256:
            return value
    return None


def validate_request(message: Mapping[str, Any], allowed: frozenset[str] | None = None) -> Request:
    """Check a decoded message against the schema; unknown extra fields are ignored."""
    if "id" not in message:
        raise ProtocolError("missing field `id`", code=ErrorCode.BAD_FIELD)
    request_id = _request_id("id", message["id"])
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("missing or non-string field `type`", code=ErrorCode.BAD_FIELD)
    if kind not in SCHEMA or (allowed is not None and kind not in allowed):
        raise ProtocolError(f"unknown message type {kind[:64]!r}", code=ErrorCode.UNKNOWN_TYPE)
    return Request(request_id, kind, _object("message", dict(message), SCHEMA[kind]))
