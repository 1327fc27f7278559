"""Is a fetched segment media at all? Pure: a binary file in, None or the reason it is not.

ffmpeg given a piece of text, random bytes or an MPEG-TS segment cut inside a packet skips what
it cannot read and makes a shorter file with exit 0; paxel must refuse the piece instead
(paxel.media.arrival). Checked by the container the first bytes name:
- MPEG-TS (sync byte 0x47 every 188 bytes): every packet whole and in step to the end. A few
  bytes before the first packet are allowed (some streams disguise their segments as images;
  ffmpeg skips to the first sync; a whole small image, up to 64 KiB) when four packets in a
  row confirm it.
- ISO BMFF (fragmented or whole MP4, init sections): the top-level boxes end exactly at the end.
- WebM/Matroska, ID3-tagged packed audio, ADTS/MPEG audio, AC-3, Ogg, FLAC, WebVTT: their
  signature (not walked further).
Anything else, text above all, is not media.
"""

from __future__ import annotations

from typing import BinaryIO

TS_PACKET = 188
TS_SYNC = 0x47
DISGUISE = 64 << 10       # how far into a segment its first MPEG-TS packet may start (an image)
CONFIRM = 4               # packets in step that confirm a TS after a disguise
CHUNK = TS_PACKET * 4096  # bytes read at a time when walking the packets
SIGNATURES = (b"\x1a\x45\xdf\xa3", b"\x1f\x43\xb6\x75", b"\x1c\x53\xbb\x6b",   # EBML, Cluster, Cues
              b"ID3", b"\x0b\x77", b"OggS", b"fLaC", b"WEBVTT", b"\xef\xbb\xbfWEBVTT")
TEXT = frozenset(b"\t\n\r") | frozenset(range(0x20, 0x7f))


def _ts_start(head: bytes) -> int | None:
    if head[0] == TS_SYNC and (len(head) <= TS_PACKET or head[TS_PACKET] == TS_SYNC):
        return 0
    start = head.find(TS_SYNC, 1, DISGUISE)
    while start != -1:
        at = range(start, start + CONFIRM * TS_PACKET, TS_PACKET)
        if at[-1] >= len(head):
            return None
        if all(head[i] == TS_SYNC for i in at):
            return start
        start = head.find(TS_SYNC, start + 1, DISGUISE)
    return None


def _ts_problem(f: BinaryIO, start: int) -> str | None:
    f.seek(start)
    offset = start
    while chunk := f.read(CHUNK):
        if len(chunk) % TS_PACKET:
            return (f"ends inside an MPEG-TS packet ({len(chunk) % TS_PACKET} bytes of "
                    f"{TS_PACKET}): it was cut short, not media paxel can mux")
        syncs = chunk[::TS_PACKET]
        if syncs.count(TS_SYNC) != len(syncs):
            bad = next(i for i, b in enumerate(syncs) if b != TS_SYNC)
            return (f"is not MPEG-TS throughout (no sync byte at byte {offset + bad * TS_PACKET}): "
                    "not media paxel can mux")
        offset += len(chunk)
    return None


def _is_box_type(kind: bytes) -> bool:
    return len(kind) == 4 and all(chr(b).isalnum() or b in b" \xa9" for b in kind)


def _mp4_problem(f: BinaryIO, size: int) -> str | None:
    pos = 0
    while pos < size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8 or not _is_box_type(header[4:8]):
            break
        length = int.from_bytes(header[:4], "big")
        if length == 0:          # the last box runs to the end
            return None
        if length == 1:
            length = int.from_bytes(header[8:16], "big") if len(header) == 16 else 0
            if length < 16:
                break
        elif length < 8:
            break
        pos += length
    if pos == size:
        return None
    return "ends inside an MP4 box (cut short, or not MP4 throughout): not media paxel can mux"


def problem(f: BinaryIO) -> str | None:
    """None when the file looks like whole media, else why not (a phrase after the segment's URL)."""
    f.seek(0)
    head = f.read(DISGUISE + CONFIRM * TS_PACKET)
    if not head:
        return "is empty: no media is 0 bytes"
    size = f.seek(0, 2)
    if head.startswith(SIGNATURES) or (head[0] == 0xFF and len(head) > 1 and head[1] & 0xE0 == 0xE0):
        return None
    start = _ts_start(head)
    if start is not None:
        return _ts_problem(f, start)
    if len(head) >= 8 and _is_box_type(head[4:8]) and not set(head[:4]) <= TEXT:
        return _mp4_problem(f, size)
    if set(head[:64]) <= TEXT:
        return "is text, not media (an error message sent with status 200?)"
    return "is not media: neither MPEG-TS, MP4, WebM nor an audio format"


__all__ = ["problem"]
