"""Segment bookkeeping and the next-segment policy (pure: no I/O, no threads, no clock).

The file [0, total) is partitioned into contiguous Segments. Each one is fetched by at most one
connection, front to back. Positions only move forward:

    start <= durable <= written <= pos <= end,   requested <= end

`pos` is what the connection has claimed (about to be written), `written` what reached the file,
`durable` what is fdatasync'd and recorded in the resume state, `requested` where the owner's
current HTTP request ends, `reading` where its read in progress ends (a read that has started
waits for all its bytes: a steal never cuts inside it). Splitting shrinks `end` of a running
segment and creates a new one from the old end, so the partition always holds; it never cuts
below `requested`, because bytes already asked for are on the wire and would be sent twice (a
tail steal, the last resort, does: see `steal`). The caller serialises every call with one lock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ALIGN = 64 * 1024  # split points on 64 KiB boundaries keep writes page-aligned


@dataclass
class Segment:
    start: int
    end: int
    pos: int
    written: int
    durable: int
    owner: int | None = None
    requested: int = 0
    reading: int = 0   # set by the owner without the lock: only ever a hint for steal()

    @classmethod
    def fresh(cls, start: int, end: int, done: int = 0) -> Segment:
        at = start + done
        return cls(start, end, at, at, at, None, at)

    @property
    def remaining(self) -> int:
        """Bytes nobody has claimed yet."""
        return self.end - self.pos

    @property
    def finished(self) -> bool:
        return self.written >= self.end


class SegmentTable:
    """The partition of [0, total) into segments, plus per-connection claims."""

    def __init__(self, total: int, segments: Iterable[Segment]) -> None:
        self.total = total
        self.segments = sorted(segments, key=lambda s: s.start)
        check_partition(total, self.segments)

    @classmethod
    def plan(cls, total: int, parts: int) -> SegmentTable:
        """`parts` segments of (nearly) equal size on ALIGN boundaries; at least one."""
        bounds = [0]
        for i in range(1, max(1, parts)):
            cut = (total * i // parts) // ALIGN * ALIGN
            if cut > bounds[-1]:
                bounds.append(cut)
        bounds.append(total)
        if total == 0:
            bounds = [0, 0]
        return cls(total, [Segment.fresh(a, b) for a, b in itertools.pairwise(bounds)])

    @property
    def written(self) -> int:
        return sum(s.written - s.start for s in self.segments)

    @property
    def durable(self) -> int:
        return sum(s.durable - s.start for s in self.segments)

    @property
    def finished(self) -> bool:
        return all(s.finished for s in self.segments)

    def active(self) -> list[Segment]:
        return [s for s in self.segments if s.owner is not None]

    def claim(self, seg: Segment, size: int) -> int:
        """Reserve up to `size` bytes at seg.pos for its owner; returns how many (0 = stop)."""
        n = max(0, min(size, seg.end - seg.pos))
        seg.pos += n
        return n

    def commit(self, seg: Segment, size: int) -> None:
        """`size` claimed bytes are now in the file."""
        seg.written = min(seg.written + size, seg.pos)

    def request(self, seg: Segment, size: int) -> int:
        """The owner asks the server for `size` bytes from seg.pos; returns the end it may ask for."""
        seg.requested = min(seg.end, seg.pos + max(0, size))
        return seg.requested

    def release(self, seg: Segment) -> None:
        """The owner stops; unwritten claims go back so another connection can fetch them."""
        seg.pos = seg.requested = seg.written
        seg.owner = None

    def mark_durable(self, marks: Mapping[int, int]) -> None:
        """`marks` maps segment start -> written position captured before an fdatasync."""
        for seg in self.segments:
            mark = marks.get(seg.start)
            if mark is not None and mark > seg.durable:
                seg.durable = min(mark, seg.end)

    def written_marks(self) -> dict[int, int]:
        return {s.start: s.written for s in self.segments}

    def split(self, seg: Segment, min_size: int) -> Segment | None:
        """Cut the unclaimed half of `seg` off as a new unowned segment (None if too small)."""
        at = self._split_point(seg, min_size)
        return None if at is None else self._cut(seg, at)

    @staticmethod
    def _split_point(seg: Segment, min_size: int) -> int | None:
        """The middle of what is unclaimed, but never below what the owner already requested;
        None when the piece cut off would be smaller than `min_size`."""
        if seg.remaining < 2 * min_size:
            return None
        mid = seg.pos + seg.remaining // 2
        aligned = mid // ALIGN * ALIGN
        if aligned - seg.pos >= min_size // 2:
            mid = aligned
        at = max(mid, seg.requested)
        return at if seg.end - at >= min_size else None

    def steal(self, seg: Segment, worker: int, min_size: int) -> Segment | None:
        """Give `worker` the second half of what `seg`'s owner has not fetched yet, even though
        the owner already asked the server for it (it stops at the cut and reconnects: the bytes
        in flight past the cut are the price). The cut is never inside the owner's read in
        progress (`reading`): that read returns only once all its bytes are in, so a cut there
        would save the owner nothing and fetch those bytes twice. The tail's last resort, when
        no unrequested piece is left (see next_for); None when a piece would be smaller than
        `min_size`."""
        if seg.owner is None:
            return None
        busy = max(seg.pos, min(seg.reading, seg.end))
        left = seg.end - busy
        if left < 2 * min_size:
            return None
        at = busy + left // 2
        if (at // ALIGN * ALIGN) - busy >= min_size:
            at = at // ALIGN * ALIGN
        tail = self._cut(seg, at)
        tail.owner = worker
        return tail

    def take_over(self, seg: Segment) -> Segment | None:
        """Everything `seg`'s owner has not claimed becomes a new unowned segment."""
        if seg.remaining <= 0:
            return None
        return self._cut(seg, seg.pos)

    def _cut(self, seg: Segment, at: int) -> Segment:
        tail = Segment.fresh(at, seg.end)
        seg.end = at
        seg.requested = min(seg.requested, at)
        self.segments.insert(self.segments.index(seg) + 1, tail)
        return tail

    def next_for(self, worker: int, min_split: int) -> Segment | None:
        """The next-segment policy: an idle unfinished segment first (lowest offset, so the file
        fills front to back), else the largest piece a split can cut off a running one (half of
        what its owner has not requested yet); None when nothing is left."""
        for seg in self.segments:
            if seg.owner is None and seg.remaining > 0:
                seg.owner = worker
                return seg
        best: tuple[int, Segment, int] | None = None
        for seg in self.segments:
            at = self._split_point(seg, min_split) if seg.owner is not None else None
            if at is not None and (best is None or seg.end - at > best[0]):
                best = (seg.end - at, seg, at)
        if best is None:
            return None
        tail = self._cut(best[1], best[2])
        tail.owner = worker
        return tail

    def snapshot(self) -> tuple[tuple[int, int, int], ...]:
        return tuple((s.start, s.end, s.written - s.start) for s in self.segments)

    def durable_ranges(self) -> list[tuple[int, int, int]]:
        """(start, end, durable bytes) per segment, adjacent finished ones merged."""
        out: list[tuple[int, int, int]] = []
        for s in self.segments:
            done = s.durable - s.start
            if out and out[-1][1] - out[-1][0] == out[-1][2] and out[-1][1] == s.start:
                prev = out.pop()
                out.append((prev[0], s.end, prev[2] + done))
            else:
                out.append((s.start, s.end, done))
        return out


def check_partition(total: int, segments: list[Segment]) -> None:
    """Raise ValueError unless `segments` tile [0, total) with consistent positions."""
    at = 0
    for s in segments:
        ordered = s.start <= s.durable <= s.written <= s.pos <= s.end and s.requested <= s.end
        if s.start != at or not ordered:
            raise ValueError(f"segment {s} breaks the partition at {at}")
        at = s.end
    if at != total:
        raise ValueError(f"segments end at {at}, file has {total} bytes")


def request_size(remaining: int, rate: float | None, min_size: int, seconds: float, *,
                 own_share: bool = False) -> int:
    """How much of its segment a connection asks for in its next request.

    Half of what is left, so an idle connection can take the other half without cutting into
    bytes already on the wire (those would be sent twice); all of it once the rest could not be
    split anyway or would arrive within `seconds` at the connection's last `rate` (a split would
    gain little and cost a round trip). Halving keeps the number of requests logarithmic.
    `own_share`: the connection's first request for its share of the initial plan asks for all
    of it: every connection starts with a share of its own, so nobody is idle to take a half
    before the end, where a steal (SegmentTable.steal) balances the tail instead; that saves one
    request per connection.
    """
    if own_share or remaining < 2 * min_size or (rate is not None and remaining <= rate * seconds):
        return max(0, remaining)
    return remaining // 2


def slow_owners(rates: Mapping[int, float], elapsed: Mapping[int, float], remaining: Mapping[int, int],
                finished: Sequence[float] = (), *, factor: float = 4.0, min_elapsed: float = 0.5,
                min_gain: float = 0.5) -> list[int]:
    """Connections far slower than the others, where moving the rest to a fresh connection saves time.

    `rates`, `elapsed` and `remaining` are keyed by owner; `finished` holds the speeds of recently
    completed segments, so a lone straggler is still judged when every other connection is done.
    An owner qualifies when it has run `min_elapsed` seconds, is `factor` times slower than the
    median of the others, and its remainder would arrive at least `min_gain` seconds sooner.
    It is relative: when every connection is slow, none is. 0.5 s is long enough for TCP's
    start and a few reads (a connection 10x slower than its peers has shown it by then) and
    short enough that the slow one has carried little of its range when it is replaced.
    """
    slow = []
    for owner, rate in rates.items():
        others = sorted([r for o, r in rates.items() if o != owner] + list(finished))
        if not others or elapsed.get(owner, 0.0) < min_elapsed:
            continue
        median = others[len(others) // 2]
        left = remaining.get(owner, 0)
        if median > 0 and rate * factor < median and left / max(rate, 1.0) - left / median >= min_gain:
            slow.append(owner)
    return slow
