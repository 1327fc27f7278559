"""The wire protocol shared by both hops (browser ↔ native host, host/CLI/panel ↔ service).

This module owns framing and envelopes (the request schema is paxel.schema); docs/protocol.md
describes the same thing for people. Everything here is pure: framing reads from any binary
stream (stdin, a socket file, io.BytesIO in tests) and never holds more than the inbound limit.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping
from typing import IO, Any

from paxel.controls import escape_controls
from paxel.errors import ErrorCode, PaxelError, ProtocolError

PROTOCOL_VERSION = 2  # 2: `take` (the two-phase hand-over)
MAX_MESSAGE = 1024 * 1024  # both directions: the browsers' limit outbound, paxel's cap inbound
_HEADER = struct.Struct("=I")  # native-endian, as Chrome and Firefox use
_DISCARD_CHUNK = 64 * 1024

RequestId = str | int | None


# --- framing -------------------------------------------------------------------------------------

def encode_frame(message: Mapping[str, Any]) -> bytes:
    """Length prefix + compact UTF-8 JSON."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def read_frame(stream: IO[bytes], limit: int = MAX_MESSAGE) -> dict[str, Any]:
    """Read one framed object. EOFError on a clean end of stream (between frames).

    A length claim above `limit` is read and discarded in small chunks (never buffered) and
    reported as MESSAGE_TOO_LARGE, so the stream stays in step and the caller can keep serving.
    """
    header = _read_exact(stream, _HEADER.size)
    if not header:
        raise EOFError
    if len(header) < _HEADER.size:
        raise ProtocolError(f"truncated frame header ({len(header)} of 4 bytes)", code=ErrorCode.BAD_FRAME)
    (length,) = _HEADER.unpack(header)
    if length > limit:
        skipped = _discard(stream, length)
        if skipped < length:
            raise ProtocolError(f"frame claims {length} bytes (limit {limit}) and is truncated",
                                code=ErrorCode.MESSAGE_TOO_LARGE)
        raise ProtocolError(f"frame of {length} bytes exceeds the limit of {limit}",
                            code=ErrorCode.MESSAGE_TOO_LARGE)
    body = _read_exact(stream, length)
    if len(body) < length:
        raise ProtocolError(f"truncated frame ({len(body)} of {length} bytes)", code=ErrorCode.BAD_FRAME)
    return decode_body(body)


def decode_body(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"message is not UTF-8 (byte {exc.start})", code=ErrorCode.BAD_UTF8) from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not JSON: {str(exc)[:200]}", code=ErrorCode.BAD_JSON) from None
    if not isinstance(value, dict):
        raise ProtocolError(f"message is a JSON {type(value).__name__}, not an object",
                            code=ErrorCode.NOT_AN_OBJECT)
    return value


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _discard(stream: IO[bytes], size: int) -> int:
    skipped = 0
    while skipped < size:
        chunk = stream.read(min(_DISCARD_CHUNK, size - skipped))
        if not chunk:
            break
        skipped += len(chunk)
    return skipped


# --- envelopes -----------------------------------------------------------------------------------

def error_view(error: PaxelError) -> dict[str, Any]:
    return {"code": int(error.code), "name": error.code.name, "message": error.message}


def reply_ok(request_id: RequestId, result: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "ok": True, "version": PROTOCOL_VERSION, "result": dict(result)}


def reply_error(request_id: RequestId, error: PaxelError) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "version": PROTOCOL_VERSION, "error": error_view(error)}


def make_event(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"event": name, "version": PROTOCOL_VERSION, "data": dict(data)}


def error_from_reply(reply: Mapping[str, Any]) -> PaxelError:
    """The PaxelError a failed reply stands for (unknown codes become INTERNAL)."""
    raw = reply.get("error")
    error: dict[str, Any] = raw if isinstance(raw, dict) else {}
    try:
        code = ErrorCode(int(error.get("code", ErrorCode.INTERNAL)))
    except (TypeError, ValueError):
        code = ErrorCode.INTERNAL
    # the service's text repeats what a user or a server sent (an id, a name): a CLI prints it
    return PaxelError(escape_controls(str(error.get("message", code.name))), code=code)


def fit_downloads(reply_for: Callable[[list[Any]], dict[str, Any]], items: list[Any],
                  limit: int = MAX_MESSAGE) -> dict[str, Any]:
    """The largest prefix of `items` whose reply frame fits in `limit` (marked `truncated`)."""
    whole = reply_for(items)
    if len(encode_frame(whole)) <= limit:
        return whole
    low, high = 0, len(items)
    while low < high:  # binary search on the prefix length
        mid = (low + high + 1) // 2
        if len(encode_frame(_truncated(reply_for(items[:mid])))) <= limit:
            low = mid
        else:
            high = mid - 1
    return _truncated(reply_for(items[:low]))


def _truncated(reply: dict[str, Any]) -> dict[str, Any]:
    result = dict(reply.get("result", {}))
    result["truncated"] = True
    return {**reply, "result": result}
