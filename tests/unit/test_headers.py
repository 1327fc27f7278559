"""Pure header parsing: Content-Range, Content-Disposition (RFC 6266/5987), digests, Retry-After."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.headers import (
    ContentRange,
    parse_content_disposition,
    parse_content_range,
    parse_digests,
    parse_retry_after,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("bytes 0-99/100", ContentRange(0, 99, 100)),
    ("bytes 5-9/*", ContentRange(5, 9, None)),
    ("bytes */100", ContentRange(None, None, 100)),
    ("  BYTES 1-1/2 ", ContentRange(1, 1, 2)),
])
def test_content_range_forms(value: str, expected: ContentRange) -> None:
    assert parse_content_range(value) == expected


@pytest.mark.parametrize("value", ["", "bytes", "bytes 9-5/100", "bytes 0-100/100", "items 0-1/2",
                                   "bytes */*", "bytes -1-5/10", "bytes 0-1/2, 3-4/5"])
def test_content_range_rejects_nonsense(value: str) -> None:
    with pytest.raises(ValueError):
        parse_content_range(value)


@given(st.integers(0, 1 << 50), st.integers(0, 1 << 20), st.integers(1, 1 << 20))
def test_content_range_round_trip(start: int, length: int, extra: int) -> None:
    end = start + length
    assert parse_content_range(f"bytes {start}-{end}/{end + extra}") == ContentRange(start, end, end + extra)


@pytest.mark.parametrize(("value", "name"), [
    ('attachment; filename="report.pdf"', "report.pdf"),
    ("attachment; filename=plain.txt", "plain.txt"),
    ('attachment; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'),
    ("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"),
    ("attachment; filename=\"fallback.pdf\"; filename*=utf-8''%C3%A9t%C3%A9.pdf", "été.pdf"),
    ("attachment; filename*=iso-8859-1'en'%E9t%E9.txt", "été.txt"),
    ("attachment; filename*=UTF-8''%FF%FE.txt; filename=ok.txt", "ok.txt"),   # invalid UTF-8 falls back
    ("attachment; filename*=koi8-r''%C1.txt; filename=ok.txt", "ok.txt"),     # unknown charset
    ("inline", None),
    ("attachment; size=3", None),
    ("attachment; filename=\"../../etc/passwd\"", "../../etc/passwd"),          # raw; made safe later
])
def test_content_disposition(value: str, name: str | None) -> None:
    assert parse_content_disposition(value) == name


def test_digests_both_headers_and_junk() -> None:
    raw = hashlib.sha256(b"x").digest()
    b64 = base64.b64encode(raw).decode()
    md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    got = parse_digests(f"SHA-256={b64}, MD5={md5}, unixsum=30", None)
    assert got == {"sha256": raw.hex(), "md5": hashlib.md5(b"x").hexdigest()}
    assert parse_digests(None, f"sha-512=:{base64.b64encode(hashlib.sha512(b'x').digest()).decode()}:") == {
        "sha512": hashlib.sha512(b"x").hexdigest()}
    assert parse_digests("sha-256=!!notbase64", "sha-256=missing-colons") == {}


def test_retry_after() -> None:
    assert parse_retry_after("7", now=0) == 7.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=40.0) == 60.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=400.0) == 0.0
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after("\u00b2", now=0) is None     # byte 0xB2 read as Latin-1: not a number
    assert parse_retry_after(None, now=0) is None
