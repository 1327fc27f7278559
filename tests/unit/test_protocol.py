"""Framing, envelopes and the request schema (pure: byte strings in, dicts or ProtocolError out)."""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxel.cookies import Cookie
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.protocol import (
    MAX_MESSAGE,
    PROTOCOL_VERSION,
    encode_frame,
    error_from_reply,
    fit_downloads,
    read_frame,
    reply_error,
)
from paxel.schema import BROWSER_TYPES, SCHEMA, request_id_of, validate_request

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def frame(body: bytes, length: int | None = None) -> bytes:
    return struct.pack("=I", len(body) if length is None else length) + body


def decode_all(data: bytes, limit: int = MAX_MESSAGE) -> list[dict[str, Any] | ErrorCode]:
    """Every frame in `data`, or the error code each bad one gave; stops at end of stream."""
    stream = io.BytesIO(data)
    out: list[dict[str, Any] | ErrorCode] = []
    while True:
        try:
            out.append(read_frame(stream, limit))
        except EOFError:
            return out
        except ProtocolError as exc:
            out.append(exc.code)


# --- framing -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "expected"), [
    (b"", []),
    (b"\x05\x00", [ErrorCode.BAD_FRAME]),                            # truncated header
    (frame(b'{"a":1}')[:-2], [ErrorCode.BAD_FRAME]),                 # truncated body
    (frame(b"\xff\xfe{}"), [ErrorCode.BAD_UTF8]),
    (frame(b"{nope"), [ErrorCode.BAD_JSON]),
    (frame(b"[1,2]"), [ErrorCode.NOT_AN_OBJECT]),
    (frame(b'"x"'), [ErrorCode.NOT_AN_OBJECT]),
    (frame(b"[" * 100_000 + b"]" * 100_000), [ErrorCode.BAD_JSON]),  # recursion bomb
    (frame(b"1" * 5000), [ErrorCode.BAD_JSON]),                      # int bigger than Python parses
    (frame(b'{"a":1}') + frame(b'{"b":2}'), [{"a": 1}, {"b": 2}]),
])
def test_decoder_table(data: bytes, expected: list[Any]) -> None:
    assert decode_all(data) == expected


def test_oversized_claim_is_discarded_and_the_stream_stays_in_step() -> None:
    big = frame(b"x" * 300, length=300)
    data = big + frame(b'{"ok":1}')
    assert decode_all(data, limit=100) == [ErrorCode.MESSAGE_TOO_LARGE, {"ok": 1}]


def test_oversized_claim_never_buffered() -> None:
    class Counting(io.RawIOBase):
        """A 4 GiB claim followed by an endless stream of zeros; records the largest read."""

        def __init__(self) -> None:
            self.largest = 0
            self.served = 0
            self.header = struct.pack("=I", 0xFFFFFFFF)

        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            want = len(buf)
            self.largest = max(self.largest, want)
            if self.header:
                n = min(want, len(self.header))
                buf[:n] = self.header[:n]
                self.header = self.header[n:]
                return n
            if self.served >= 8 * MAX_MESSAGE:  # enough to prove the point: end the stream
                return 0
            n = min(want, 8 * MAX_MESSAGE - self.served)
            buf[:n] = b"\0" * n
            self.served += n
            return n

    stream = Counting()
    with pytest.raises(ProtocolError) as err:
        read_frame(stream)  # type: ignore[arg-type]
    assert err.value.code == ErrorCode.MESSAGE_TOO_LARGE
    assert stream.largest <= 64 * 1024


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_decoder_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    for item in decode_all(data, limit=1024):
        assert isinstance(item, dict) or item in ErrorCode


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20), max_size=6))
def test_encode_then_decode_round_trips(message: dict[str, Any]) -> None:
    assert decode_all(encode_frame(message)) == [message]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512), st.integers(0, 3))
def test_validation_of_any_decoded_object_gives_a_request_or_a_wire_error(body: bytes, cut: int) -> None:
    """Whatever decodes, validation answers with a Request or a ProtocolError (20+), never a crash."""
    for item in decode_all(frame(body)[cut:] if cut else frame(body)):
        if isinstance(item, dict):
            try:
                validate_request(item)
            except ProtocolError as exc:
                assert exc.code >= 20


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SCHEMA)), st.dictionaries(
    st.sampled_from(["id", "url", "download_id", "client", "version", "folder", "connections",
                     "cookies", "headers", "what", "secret", "delete_file", "checksum", "filename"]),
    st.none() | st.booleans() | st.integers(-5, 40) | st.text(max_size=30)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
))
def test_validate_random_fields(kind: str, fields: dict[str, Any]) -> None:
    try:
        request = validate_request({**fields, "type": kind})
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.BAD_FIELD, ErrorCode.BAD_URL)
    else:
        assert request.type == kind
        assert set(request.fields) <= set(SCHEMA[kind])


# --- schema ---------------------------------------------------------------------------------------

GOOD_DOWNLOAD = {
    "id": 3, "type": "download", "url": "https://example.com/a.zip", "connections": 8,
    "folder": "/home/u/Downloads", "referrer": "https://example.com/", "user_agent": "UA",
    "headers": {"X-Thing": "1"}, "checksum": "sha-256=" + "a" * 64, "source": "click",
    "cookies": [{"name": "s", "value": "v", "domain": ".example.com", "host_only": False, "path": "/",
                 "secure": True, "http_only": True, "expiration_date": 1.9e9}],
}


@pytest.mark.parametrize(("change", "code"), [
    ({"id": None}, ErrorCode.BAD_FIELD),
    ({"id": True}, ErrorCode.BAD_FIELD),
    ({"type": 5}, ErrorCode.BAD_FIELD),
    ({"type": "format_disk"}, ErrorCode.UNKNOWN_TYPE),
    ({"url": None}, ErrorCode.BAD_FIELD),
    ({"url": 5}, ErrorCode.BAD_FIELD),
    ({"url": "ftp://example.com/a"}, ErrorCode.BAD_URL),
    ({"url": "file:///etc/passwd"}, ErrorCode.BAD_URL),
    ({"url": "https:///nohost"}, ErrorCode.BAD_URL),
    ({"url": "http://example.com:99999/"}, ErrorCode.BAD_URL),
    ({"url": "http://exa mple.com/"}, ErrorCode.BAD_URL),
    ({"connections": 0}, ErrorCode.BAD_FIELD),
    ({"connections": 33}, ErrorCode.BAD_FIELD),
    ({"connections": "8"}, ErrorCode.BAD_FIELD),
    ({"connections": True}, ErrorCode.BAD_FIELD),
    ({"folder": "relative/dir"}, ErrorCode.BAD_FIELD),
    ({"folder": "/tmp/\x00x"}, ErrorCode.BAD_FIELD),
    ({"headers": {"Bad Name": "x"}}, ErrorCode.BAD_FIELD),
    ({"headers": {"X": "a\r\nInjected: 1"}}, ErrorCode.BAD_FIELD),
    ({"headers": ["X"]}, ErrorCode.BAD_FIELD),
    ({"cookies": {"name": "s"}}, ErrorCode.BAD_FIELD),
    ({"cookies": [{"name": "s", "value": "v"}]}, ErrorCode.BAD_FIELD),
    ({"cookies": [{"name": "s", "value": 1, "domain": "x"}]}, ErrorCode.BAD_FIELD),
    ({"cookies": [{"name": "s", "value": "a;b", "domain": "x"}]}, ErrorCode.BAD_FIELD),  # unusable
    ({"cookies": [{"name": "", "value": "v", "domain": "x"}]}, ErrorCode.BAD_FIELD),
    ({"cookies": [{"name": "s", "value": "v", "domain": "..."}]}, ErrorCode.BAD_FIELD),
    ({"checksum": "sha-256=abc"}, ErrorCode.BAD_FIELD),
    ({"checksum": "crc32=" + "a" * 8}, ErrorCode.BAD_FIELD),
    ({"source": "elsewhere"}, ErrorCode.BAD_FIELD),
])
def test_download_field_errors(change: dict[str, Any], code: ErrorCode) -> None:
    message = {**GOOD_DOWNLOAD, **change}
    if change.get("url", 0) is None:
        del message["url"]
    with pytest.raises(ProtocolError) as err:
        validate_request(message)
    assert err.value.code == code, err.value.message


def test_good_download_keeps_known_fields_only() -> None:
    request = validate_request({**GOOD_DOWNLOAD, "future_field": 1})
    assert request.id == 3 and request.type == "download"
    assert "future_field" not in request.fields
    # Cookies come out as the engine's Cookie values, checked here once (http_only is not kept).
    assert request.fields["cookies"] == (Cookie("s", "v", "example.com", False, "/", True, 1.9e9),)


def test_local_only_types_are_refused_from_the_browser() -> None:
    for kind in ("auth", "shutdown"):
        assert kind not in BROWSER_TYPES
    with pytest.raises(ProtocolError) as err:
        validate_request({"id": 1, "type": "auth", "secret": "x"}, BROWSER_TYPES)
    assert err.value.code == ErrorCode.UNKNOWN_TYPE


@pytest.mark.parametrize(("message", "expected"), [
    ({"id": 5}, 5), ({"id": "a"}, "a"), ({"id": True}, None), ({"id": [1]}, None), ([1], None),
    ({"id": "x" * 300}, None), ({}, None),
])
def test_request_id_echoed_only_when_sane(message: Any, expected: Any) -> None:
    assert request_id_of(message) == expected


def test_error_reply_round_trip() -> None:
    reply = reply_error(9, ProtocolError("nope", code=ErrorCode.NOT_FOUND))
    assert reply == {"id": 9, "ok": False, "version": PROTOCOL_VERSION,
                     "error": {"code": 29, "name": "NOT_FOUND", "message": "nope"}}
    error = error_from_reply(reply)
    assert isinstance(error, PaxelError) and error.code == ErrorCode.NOT_FOUND
    assert error_from_reply({"ok": False, "error": {"code": 999}}).code == ErrorCode.INTERNAL


def test_exit_status_is_the_code_below_10_else_1() -> None:
    assert PaxelError("x", code=ErrorCode.DISK).exit_status == 6
    assert ProtocolError("x", code=ErrorCode.NOT_FOUND).exit_status == 1


@given(st.lists(st.text(min_size=0, max_size=3000), max_size=60), st.integers(200, 20_000))
@settings(max_examples=100, deadline=None)
def test_fit_downloads_never_exceeds_the_limit(items: list[str], limit: int) -> None:
    def reply(chunk: list[Any]) -> dict[str, Any]:
        return {"id": 1, "ok": True, "version": PROTOCOL_VERSION, "result": {"downloads": chunk}}

    fitted = fit_downloads(reply, items, limit)
    kept = fitted["result"]["downloads"]
    assert kept == items[:len(kept)]
    if len(kept) < len(items):
        assert fitted["result"]["truncated"] is True
    if kept or len(encode_frame(reply([]))) <= limit:
        assert len(encode_frame(fitted)) <= limit + 40  # the `truncated` flag of an empty list aside


# --- the document ----------------------------------------------------------------------------------

def test_every_error_code_is_documented() -> None:
    text = DOC.read_text()
    for code in ErrorCode:
        row = rf"\|\s*{int(code)}\s*\|\s*{code.name}\s*\|"
        assert re.search(row, text), f"{code.name} missing from {DOC}"


def test_every_request_type_is_documented() -> None:
    text = DOC.read_text()
    for kind in SCHEMA:
        assert f"`{kind}`" in text, f"request `{kind}` missing from {DOC}"


def test_documented_examples_are_valid_json() -> None:
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.strip().splitlines():
            if "<" not in line:  # placeholders like <DownloadView>
                json.loads(line)
