"""The segment plan: which files a stream's tracks become on disk, and which of them a resume
state says are already there. Pure (no I/O): the job does the fetching and the disk.

Every fetched thing is a `Piece` with a stable name inside the job's work folder:
`t{track}-{sequence:09}.seg` for a segment (its media sequence number, so a live playlist that
slides keeps the names), `t{track}-init{n}.mp4` for each distinct init section, `key{n}.bin` for
each distinct AES key. The resume state maps a finished piece's name to what it was (URL, range,
size); a piece counts as done only when the plan asks for the same URL and range again and the
file on disk has that size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paxel.media.model import ByteRange, Init, Key, Segment, Track

STATE_VERSION = 1


@dataclass(frozen=True)
class Piece:
    name: str
    url: str
    byte_range: ByteRange | None = None


@dataclass(frozen=True)
class TrackPlan:
    """One track in play order: `parts[i]` is the list of piece names whose bytes, joined, are
    segment i (its init section first when it differs from the previous segment's)."""

    kind: str
    segments: tuple[Segment, ...]
    names: tuple[str, ...]               # the segment pieces, parallel to `segments`
    inits: tuple[str | None, ...]        # the init piece each segment needs, parallel too
    key_names: tuple[str | None, ...]    # the key piece that decrypts each segment


@dataclass(frozen=True)
class Plan:
    tracks: tuple[TrackPlan, ...]
    keys: tuple[Piece, ...]              # fetched first: segments are decrypted as they arrive
    decrypt: Mapping[str, tuple[bytes, str]]   # piece name → its IV and key piece (AES-128)
    pieces: tuple[Piece, ...]            # inits and segments in fetch order: by start time, the
                                         # tracks interleaved (the muxer reads them that way)

    @property
    def segment_count(self) -> int:
        return sum(len(t.segments) for t in self.tracks)


def make_plan(tracks: Iterable[Track]) -> Plan:
    keys: dict[str, Piece] = {}
    inits: dict[tuple[int, Init], Piece] = {}   # per track: its first use sets its place in the order
    timed: list[tuple[float, int, int, Piece]] = []   # (start s, track, n): the fetch order
    plans: list[TrackPlan] = []
    decrypt: dict[str, tuple[bytes, str]] = {}

    def key_piece(key: Key) -> str:
        if key.url not in keys:
            keys[key.url] = Piece(f"key{len(keys)}.bin", key.url)
        return keys[key.url].name
    for t, track in enumerate(tracks):
        names: list[str] = []
        init_names: list[str | None] = []
        key_names: list[str | None] = []
        start = 0.0
        for seg in track.segments:
            init_name = None
            if seg.init is not None:
                if (t, seg.init) not in inits:
                    inits[t, seg.init] = Piece(f"t{t}-init{len(inits)}.mp4", seg.init.url,
                                               seg.init.byte_range)
                    timed.append((start, t, len(timed), inits[t, seg.init]))
                init_name = inits[t, seg.init].name
            if seg.init is not None and seg.init.key is not None:
                decrypt[init_name or ""] = (iv_for(seg, seg.init.key), key_piece(seg.init.key))
            key_name = None
            piece = Piece(f"t{t}-{seg.sequence:09}.seg", seg.url, seg.byte_range)
            if seg.key is not None:
                key_name = key_piece(seg.key)
                decrypt[piece.name] = (iv_for(seg, seg.key), key_name)
            timed.append((start, t, len(timed), piece))
            start += max(0.0, seg.duration)
            names.append(piece.name)
            init_names.append(init_name)
            key_names.append(key_name)
        plans.append(TrackPlan(track.kind, track.segments, tuple(names), tuple(init_names), tuple(key_names)))
    timed.sort(key=lambda x: x[:3])
    return Plan(tuple(plans), tuple(keys.values()), decrypt, tuple(p for *_, p in timed))


def iv_for(seg: Segment, key: Key) -> bytes:
    """The IV: the key's own, else the media sequence number as a 128-bit big-endian integer."""
    return key.iv if key.iv is not None else seg.sequence.to_bytes(16, "big")


# ---- resume state -------------------------------------------------------------------------

@dataclass(frozen=True)
class Done:
    url: str
    byte_range: ByteRange | None
    size: int


def encode_state(source: str, done: Mapping[str, Done]) -> bytes:
    return json.dumps({"version": STATE_VERSION, "source": source,
                       "done": {name: [d.url, list(d.byte_range) if d.byte_range else None, d.size]
                                for name, d in sorted(done.items())}},
                      separators=(",", ":")).encode()


def decode_state(data: bytes, source: str) -> dict[str, Done]:
    """The finished pieces a state lists; {} for a state of another source or one that does not
    parse (start clean rather than trust it)."""
    try:
        obj = json.loads(data)
        if obj.get("version") != STATE_VERSION or obj.get("source") != source:
            return {}
        out = {}
        for name, (url, rng, size) in obj["done"].items():
            if not isinstance(name, str) or not isinstance(url, str) or not isinstance(size, int) or size < 0:
                return {}
            br = (int(rng[0]), int(rng[1])) if rng is not None else None
            out[name] = Done(url, br, size)
        return out
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return {}


def still_done(plan_pieces: Iterable[Piece], done: Mapping[str, Done], sizes: Mapping[str, int]) -> set[str]:
    """Names of planned pieces a resume may skip: recorded as done for the same URL and range,
    and on disk (`sizes`: name → size of the file there) with the recorded size."""
    return {p.name for p in plan_pieces
            if (d := done.get(p.name)) is not None and d.url == p.url and d.byte_range == p.byte_range
            and sizes.get(p.name) == d.size}
