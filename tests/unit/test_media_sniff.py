"""Is a fetched segment media at all (paxel.media.sniff)? ffmpeg given a piece of text, random
bytes or an MPEG-TS segment cut inside a packet skips what it cannot read and makes a shorter
file with exit 0, so such a piece must be refused before it counts as done. Real containers
(MPEG-TS, fragmented and whole MP4, WebM, packed audio) must pass, including a TS segment behind
a few bytes of something else (streams that disguise their segments as images)."""

from __future__ import annotations

import io
import os
import struct

from hypothesis import given
from hypothesis import strategies as st

from paxel.media.sniff import problem

TS = 188


def ts(packets: int) -> bytes:
    return b"".join(b"\x47" + os.urandom(TS - 1) for _ in range(packets))


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def fmp4() -> bytes:
    return box(b"styp", b"msdh\0\0\0\0") + box(b"moof", os.urandom(100)) + box(b"mdat", os.urandom(5000))


def check(data: bytes) -> str | None:
    return problem(io.BytesIO(data))


def test_real_containers_pass() -> None:
    assert check(ts(400)) is None
    assert check(fmp4()) is None
    init = box(b"ftyp", b"isom\0\0\0\0") + box(b"moov", os.urandom(300))
    assert check(init) is None
    large = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + 40) + os.urandom(40)
    assert check(box(b"moof", b"x" * 10) + large) is None        # a 64-bit box size
    to_the_end = struct.pack(">I", 0) + b"mdat" + os.urandom(99)
    assert check(box(b"moof", b"x" * 10) + to_the_end) is None
    assert check(b"\x1a\x45\xdf\xa3" + os.urandom(500)) is None   # WebM
    assert check(b"\x1f\x43\xb6\x75" + os.urandom(500)) is None   # a WebM cluster (DASH range)
    assert check(b"ID3\x04\x00" + os.urandom(500)) is None        # HLS packed audio
    assert check(b"\xff\xf1" + os.urandom(500)) is None           # ADTS AAC
    assert check(b"\x0b\x77" + os.urandom(500)) is None           # AC-3
    assert check(b"WEBVTT\n\n00:00.000 --> 00:02.000\nhi\n") is None


def test_a_ts_segment_behind_a_disguise_passes() -> None:
    """Some sites put a whole small image (a few KiB) before each TS segment."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    assert check(png + ts(50)) is None
    image = b"\x89PNG\r\n\x1a\n" + bytes(b for b in os.urandom(20_000) if b != 0x47)
    assert check(image + ts(500)) is None


def test_a_box_type_in_capitals_is_still_mp4() -> None:
    assert check(box(b"styp", b"msdh") + box(b"ABCD", os.urandom(30)) + box(b"mdat", os.urandom(99))) is None
    assert check(box(b"UUID", os.urandom(30))) is None


def test_text_is_not_media() -> None:
    why = check(b"Access denied\n")
    assert why is not None and "not media" in why
    assert check(b"Forbidden: token expired for this segment\n") is not None


def test_random_bytes_are_not_media() -> None:
    why = check(bytes([0x12]) + os.urandom(60_000))
    assert why is not None and "not media" in why


def test_a_ts_segment_cut_inside_a_packet_is_refused() -> None:
    why = check(ts(400)[:-100])
    assert why is not None and "MPEG-TS" in why


def test_a_ts_segment_with_garbage_inside_is_refused() -> None:
    data = bytearray(ts(400))
    data[TS * 200: TS * 201] = os.urandom(TS)
    data[TS * 200] = 0x12
    why = check(bytes(data))
    assert why is not None and "MPEG-TS" in why


def test_an_mp4_segment_cut_short_is_refused() -> None:
    why = check(fmp4()[:-1000])
    assert why is not None and "MP4" in why


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=TS - 1))
def test_any_ts_cut_off_the_packet_grid_is_refused(packets: int, cut: int) -> None:
    assert check(ts(packets)[:-cut]) is not None


@given(st.binary(min_size=1, max_size=2000).filter(lambda b: b[:1] not in (b"\x47",)))
def test_whatever_is_refused_is_refused_with_a_reason(data: bytes) -> None:
    """No input makes the check fail with an exception: it answers None or a reason."""
    why = check(data)
    assert why is None or isinstance(why, str)
