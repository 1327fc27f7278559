"""What the first answer tells the engine, and which worker answers are trusted."""

from __future__ import annotations

import pytest

from paxel.errors import ServerMisbehaved
from paxel.probe import FileChanged, RangesUntrusted, check_partial, interpret


def test_206_probe() -> None:
    p = interpret("http://h/f", 206, {"Content-Range": "bytes 0-99/100", "ETag": '"e"',
                                      "Content-Disposition": "attachment; filename=x.bin"}, 0)
    assert (p.size, p.ranges, p.first, p.filename, p.if_range) == (100, True, 0, "x.bin", '"e"')


def test_bounded_probe_learns_the_size_from_content_range() -> None:
    p = interpret("u", 206, {"Content-Range": "bytes 0-1023/5000000"}, 0, 1023)
    assert (p.size, p.ranges, p.first) == (5_000_000, True, 0)
    p = interpret("u", 206, {"Content-Range": "bytes 0-99/100"}, 0, 1023)   # small file: all of it
    assert p.size == 100
    p = interpret("u", 206, {"Content-Range": "bytes 500-999/5000"}, 500, 999)
    assert (p.size, p.first) == (5000, 500)


@pytest.mark.parametrize("cr", ["bytes 0-99/5000", "bytes 0-4999/5000", "bytes 0-1024/5000"])
def test_bounded_probe_206_must_be_the_range_asked(cr: str) -> None:
    with pytest.raises(RangesUntrusted):
        interpret("u", 206, {"Content-Range": cr}, 0, 1023)


def test_200_probe_with_and_without_ranges() -> None:
    p = interpret("u", 200, {"Content-Length": "100", "Accept-Ranges": "bytes"}, 0)
    assert (p.size, p.ranges) == (100, False)   # a 200 to bytes=0- is the answer that counts
    p = interpret("u", 200, {"Content-Length": "100"}, 0)
    assert (p.size, p.ranges) == (100, False)
    p = interpret("u", 200, {"Transfer-Encoding": "chunked"}, 0)
    assert (p.size, p.ranges) == (None, False)
    p = interpret("u", 200, {"Content-Length": "100", "Content-Encoding": "gzip"}, 0)
    assert p.size is None
    p = interpret("u", 200, {"Content-Length": "1\u00b2"}, 0)   # a Latin-1 byte isdigit() accepts
    assert p.size is None


def test_weak_etag_is_not_a_range_validator() -> None:
    p = interpret("u", 206, {"Content-Range": "bytes 0-9/10", "ETag": 'W/"w"', "Last-Modified": "LM"}, 0)
    assert p.if_range == "LM"


def test_empty_file_416() -> None:
    p = interpret("u", 416, {"Content-Range": "bytes */0"}, 0)
    assert (p.size, p.first) == (0, 0)
    with pytest.raises(ServerMisbehaved):
        interpret("u", 416, {"Content-Range": "bytes */50"}, 0)


@pytest.mark.parametrize("cr", ["bytes 1-99/100", "bytes 0-50/100", "junk"])
def test_probe_206_must_match(cr: str) -> None:
    with pytest.raises(ServerMisbehaved):
        interpret("u", 206, {"Content-Range": cr}, 0)


def test_check_partial() -> None:
    check_partial({"Content-Range": "bytes 10-19/100"}, 10, 19, 100, '"e"')
    with pytest.raises(FileChanged):
        check_partial({"Content-Range": "bytes 10-19/101"}, 10, 19, 100, None)
    with pytest.raises(FileChanged):
        check_partial({"Content-Range": "bytes 10-19/100", "ETag": '"f"'}, 10, 19, 100, '"e"')
    with pytest.raises(RangesUntrusted):
        check_partial({"Content-Range": "bytes 0-9/100"}, 10, 19, 100, None)
    with pytest.raises(RangesUntrusted):
        check_partial({}, 10, 19, 100, None)


@pytest.mark.parametrize(("etag", "modified", "reply", "changed"), [
    (None, "Mon", {"Last-Modified": "Tue"}, True),            # no ETags: Last-Modified tells
    (None, "Mon", {"Last-Modified": "Mon"}, False),
    ('"e"', "Mon", {"ETag": '"e"', "Last-Modified": "Tue"}, False),   # a matching ETag wins
    ('"e"', "Mon", {"Last-Modified": "Tue"}, True),           # the reply lacks the ETag
    (None, None, {"Last-Modified": "Tue"}, False),            # nothing to compare with
])
def test_check_partial_compares_last_modified_without_etags(
        etag: str | None, modified: str | None, reply: dict[str, str], changed: bool) -> None:
    headers = {"Content-Range": "bytes 10-19/100", **reply}
    if changed:
        with pytest.raises(FileChanged):
            check_partial(headers, 10, 19, 100, etag, modified)
    else:
        check_partial(headers, 10, 19, 100, etag, modified)
