"""Is a fetched MP4 piece (an fMP4 init section, or a whole DASH SegmentBase file) encrypted
with Common Encryption? A manifest may leave its ContentProtection (or a playlist its key) out,
and ffmpeg 5.1 then "copies" the stream into an MP4 without a stream and exits 0.

ISO/IEC 23001-7: an encrypted track's sample entry is `encv`/`enca` (the original format kept in
`sinf/frma`), under moov/trak/mdia/minf/stbl/stsd. The boxes are walked by their sizes (an `mdat`
is skipped, not read), so a 4-byte pattern inside media data is never taken for one.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

ENCRYPTED_ENTRIES = frozenset({b"encv", b"enca", b"encs", b"enct"})
_CONTAINERS = frozenset({b"trak", b"mdia", b"minf", b"stbl"})
MOOV_LIMIT = 64 << 20      # a moov larger than this is not read (none is: tables of a long film ~ MBs)


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of the boxes laid end to end in `data` (a truncated last one is dropped)."""
    out, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        head = 8
        if size == 1 and at + 16 <= len(data):
            size, head = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = len(data) - at
        if size < head or at + size > len(data):
            break
        out.append((kind, data[at + head:at + size]))
        at += size
    return out


def moov_is_encrypted(moov: bytes) -> bool:
    """A moov payload with an encrypted sample entry in any track. Pure."""
    stack = [payload for kind, payload in _boxes(moov) if kind == b"trak"]
    while stack:
        for kind, payload in _boxes(stack.pop()):
            if kind in _CONTAINERS:
                stack.append(payload)
            elif kind == b"stsd" and any(k in ENCRYPTED_ENTRIES for k, _ in _boxes(payload[8:])):
                return True   # (stsd is a full box: version/flags and entry count come first)
    return False


def _find_moov(f: BinaryIO) -> bytes | None:
    while True:
        header = f.read(8)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header)
        head = 8
        if size == 1:
            big = f.read(8)
            if len(big) < 8:
                return None
            size, head = struct.unpack(">Q", big)[0], 16
        if size == 0:                      # to the end of the file: the last box
            return f.read(MOOV_LIMIT) if kind == b"moov" else None
        if size < head or not kind.isascii():
            return None                    # not an MP4 (an MPEG-TS segment, ADTS audio…)
        if kind == b"moov":
            return f.read(min(size - head, MOOV_LIMIT))
        f.seek(size - head, 1)


def is_encrypted(f: BinaryIO) -> bool:
    """The MP4 file open in `f` (read from its start) has a CENC-encrypted track; False for
    anything that is not an MP4 with a moov (a media segment, MPEG-TS)."""
    moov = _find_moov(f)
    return moov is not None and moov_is_encrypted(moov)
