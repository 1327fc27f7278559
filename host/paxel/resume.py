"""The resume state written beside `NAME.part` (pure encoding and trust rules; storage.py writes
it atomically).

JSON, one object, documented field by field in docs/engine.md. Only bytes that were fdatasync'd
before the state was written are listed, so a state file never claims data the disk lacks.

A state is only as good as the `.part` it describes: `trusted` decides, from the open `.part`'s
fstat and a few of its bytes, whether its bytes may be used. Format 2 records the `.part`'s
device, inode and size, and a CRC-32 of the last (up to) 4 KiB of every range's durable bytes: a
`.part` that is another file (swapped, linked elsewhere, or a new file that got the old inode
number) starts clean, one that got shorter is trusted only below its current size. Format 1 (no
identity) is trusted only with a regular, single-link `.part` of exactly the file's size (what a
format-1 run left after preallocating).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paxel.probe import ProbeResult

VERSION = 2
READABLE = (1, 2)  # formats decoded; 1 has no `part` identity
SUFFIX = ".paxel"  # NAME.part.paxel beside NAME.part
SAMPLE = 4096      # bytes checked at the end of each range's durable bytes


@dataclass(frozen=True)
class PartRecord:
    """The `.part` the bytes were written to, as fstat saw it at the checkpoint."""

    device: int
    inode: int
    size: int
    samples: tuple[tuple[int, int, int], ...] = ()   # (offset, length, crc32) of durable bytes


@dataclass(frozen=True)
class PartNow:
    """The `.part` as it is now (fstat of the file just opened with O_NOFOLLOW)."""

    device: int
    inode: int
    size: int
    links: int
    regular: bool


@dataclass(frozen=True)
class ResumeState:
    url: str
    final_url: str
    size: int
    etag: str | None
    last_modified: str | None
    ranges: tuple[tuple[int, int, int], ...]   # (start, end_exclusive, durable bytes from start)
    part: PartRecord | None = None             # None: format 1 (or not yet recorded)

    @property
    def done(self) -> int:
        return sum(d for _, _, d in self.ranges)


NAME_MAX = 255     # bytes in one path component on every common file system
TEMP_ROOM = 4      # storage.write_atomic writes NAME.part.paxel.tmp first


def part_path(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def state_path(final: Path) -> Path:
    """`NAME.part.paxel`; for a NAME so long that it (or its `.tmp`) would not fit in a path
    component, the name is cut and a CRC of the whole name keeps it unique (a NAME.part that
    fits is a download that must be resumable)."""
    name = final.name + ".part" + SUFFIX
    if len(name.encode()) + TEMP_ROOM <= NAME_MAX:
        return final.with_name(name)
    tail = f"~{zlib.crc32(final.name.encode()):08x}.part{SUFFIX}"
    budget = NAME_MAX - TEMP_ROOM - len(tail)
    return final.with_name(final.name.encode()[:budget].decode(errors="ignore") + tail)


def state_of_part(part: Path) -> Path:
    """The resume-state path beside a `.part` path (state_path of the final name it is for)."""
    return state_path(part.with_name(part.name.removesuffix(".part")))


def first_missing(state: ResumeState) -> int:
    """Offset of the first byte the `.part` lacks (the size when none is missing)."""
    for start, end, done in state.ranges:
        if start + done < end:
            return start + done
    return state.size


def resume_bounds(state: ResumeState) -> tuple[int, int]:
    """Where the resuming probe starts: the first missing byte, or the last byte when all are
    there (a 416 for an empty range would carry no validators to compare); and the end of the
    range holding it, which the probe does not ask beyond."""
    first = max(0, min(first_missing(state), state.size - 1))
    end = next((e for s, e, _ in state.ranges if s <= first < e), state.size)
    return first, end


def sample_spans(ranges: Iterable[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """(offset, length) of the bytes sampled: the last SAMPLE durable bytes of each range."""
    return [(a + d - min(SAMPLE, d), min(SAMPLE, d)) for a, _, d in ranges if d > 0]


def samples(ranges: Iterable[tuple[int, int, int]],
            read: Callable[[int, int], bytes]) -> tuple[tuple[int, int, int], ...]:
    """The samples to record: `read(offset, length)` gives the `.part`'s bytes there."""
    return tuple((off, n, zlib.crc32(read(off, n))) for off, n in sample_spans(ranges))


def same_file(state: ResumeState, probe: ProbeResult, *, same_url: bool = True) -> bool:
    """Validators say the server still has the file the `.part` bytes came from.

    With the URL the state was written for, matching size and validators (or none on either
    side) suffice; a state from another URL (an expired link refreshed) also needs a validator
    to compare, since a size alone says little about another URL."""
    if probe.size != state.size or not probe.ranges:
        return False
    if state.etag and probe.etag:
        return state.etag == probe.etag
    if state.last_modified and probe.last_modified:
        return state.last_modified == probe.last_modified
    return same_url and not (state.etag or state.last_modified)


def trusted(state: ResumeState, now: PartNow, read: Callable[[int, int], bytes],
            data_end: Callable[[int, int], int] | None = None) -> tuple[ResumeState | None, str | None]:
    """The part of `state` the `.part` described by `now` can be trusted with, and why not all.

    (None, reason): start clean. (state', reason): state' lists only bytes below the `.part`'s
    current size (bytes cut off while paused are fetched again) and before any hole in a range
    (`data_end(a, b)`: the first offset in [a, b) holding no data, else b): a `.part` cut short
    and grown back has zeros there that no sample may see, since the sample of that range can
    lie past the new end. reason is None when nothing was dropped. `read(offset, length)` reads
    the `.part` (only below its current size)."""
    if not now.regular or now.links != 1:
        return None, "the .part is not a plain file of its own (linked elsewhere?)"
    if state.part is None:
        if now.size != state.size:
            return None, f"the .part holds {now.size} bytes, not {state.size} (old resume state)"
        return _without_holes(state, data_end)
    if (state.part.device, state.part.inode) != (now.device, now.inode):
        return None, "the .part is not the file this download wrote (replaced?)"
    if [(off, n) for off, n, _ in state.part.samples] != sample_spans(state.ranges):
        # paxel samples every range it lists: a state that shows fewer (or other) bytes than it
        # claims was not written by paxel, and its claims cannot be checked
        return None, "the resume state does not sample the bytes it lists (edited?)"
    for off, n, crc in state.part.samples:
        if off + n <= now.size and zlib.crc32(read(off, n)) != crc:
            return None, "the .part does not hold the bytes this download wrote (replaced?)"
    clipped = tuple((a, b, max(0, min(d, now.size - a))) for a, b, d in state.ranges)
    if clipped == state.ranges:
        return _without_holes(state, data_end)
    kept, _ = _without_holes(replace(state, ranges=clipped), data_end)
    return kept, f"the .part got shorter ({now.size} bytes); fetching again what it lost"


def completed(state: ResumeState, now: PartNow, read: Callable[[int, int], bytes]) -> bool:
    """Is the file described by `now` (found at the final name) the very file `state`'s download
    finished? A run killed between its final rename and the removal of its state leaves exactly
    that: the rename moved the `.part` itself, so it is the same file (device and inode), of the
    full size, holding the bytes the state sampled. Only a format-2 state can say so (format 1
    has no identity: a file of the same size proves nothing)."""
    if state.part is None or not now.regular or now.links != 1 or now.size != state.size:
        return False
    if (state.part.device, state.part.inode) != (now.device, now.inode):
        return False
    if [(off, n) for off, n, _ in state.part.samples] != sample_spans(state.ranges):
        return False
    return all(zlib.crc32(read(off, n)) == crc for off, n, crc in state.part.samples)


def _without_holes(state: ResumeState, data_end: Callable[[int, int], int] | None
                   ) -> tuple[ResumeState, str | None]:
    if data_end is None:
        return state, None
    ranges = tuple((a, b, max(0, min(d, data_end(a, a + d) - a)) if d else 0) for a, b, d in state.ranges)
    if ranges == state.ranges:
        return state, None
    return replace(state, ranges=ranges), "the .part has holes where data was (cut and grown back?); " \
        "fetching those bytes again"


def encode(state: ResumeState) -> bytes:
    obj: dict[str, Any] = {
        "version": VERSION if state.part is not None else 1,
        "url": state.url, "final_url": state.final_url, "size": state.size,
        "etag": state.etag, "last_modified": state.last_modified,
        "ranges": [list(r) for r in state.ranges],
    }
    if state.part is not None:
        obj["part"] = {"device": state.part.device, "inode": state.part.inode, "size": state.part.size,
                       "samples": [list(x) for x in state.part.samples]}
    return json.dumps(obj, separators=(",", ":")).encode()


def decode(data: bytes) -> ResumeState:
    """Parse and validate; ValueError for anything that is not a consistent state."""
    try:
        obj: Any = json.loads(data)
    except (ValueError, RecursionError) as exc:   # (incl. too deep nesting, too long integers)
        raise ValueError(f"resume state is not JSON: {exc}") from None
    if not isinstance(obj, dict) or obj.get("version") not in READABLE or not _is_int(obj.get("version")):
        raise ValueError("resume state has an unknown version")
    url, final_url, size = obj.get("url"), obj.get("final_url"), obj.get("size")
    etag, modified, raw = obj.get("etag"), obj.get("last_modified"), obj.get("ranges")
    if not (isinstance(url, str) and isinstance(final_url, str) and isinstance(size, int)
            and _is_int(size) and size >= 0):
        raise ValueError("resume state lacks url/size")
    if not all(v is None or isinstance(v, str) for v in (etag, modified)):
        raise ValueError("resume state has bad validators")
    if not isinstance(raw, list):
        raise ValueError("resume state lacks ranges")
    ranges = []
    at = 0
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3 and all(_is_int(v) for v in item)):
            raise ValueError("resume state has a malformed range")
        start, end, done = item
        if start != at or end < start or not 0 <= done <= end - start:
            raise ValueError("resume state ranges do not tile the file")
        ranges.append((start, end, done))
        at = end
    if at != size:
        raise ValueError("resume state ranges do not cover the file")
    part = None
    if obj["version"] >= 2:
        rec = obj.get("part")
        if not (isinstance(rec, dict) and all(_is_int(rec.get(k)) and rec[k] >= 0
                                              for k in ("device", "inode", "size"))):
            raise ValueError("resume state lacks the .part's identity")
        raw_samples = rec.get("samples", [])
        if not (isinstance(raw_samples, list) and all(
                isinstance(x, list) and len(x) == 3 and all(_is_int(v) and v >= 0 for v in x)
                for x in raw_samples)):
            raise ValueError("resume state has malformed samples")
        part = PartRecord(rec["device"], rec["inode"], rec["size"], tuple(tuple(x) for x in raw_samples))
    return ResumeState(url, final_url, size, etag, modified, tuple(ranges), part)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
