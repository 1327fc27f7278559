"""A unit (media segment) being fetched in byte-range pieces: when a UnitJob's connection finds
no unit left to start, it takes the unfinished tail of a running one, with the same planner a
single download's idle connections use (coordinator.steal_tail over a SegmentTable of the unit's
bytes, pump for the body), so the last wave of segments ends together instead of on the few
connections that happened to start last.

Integrity: a unit is split only when its first answer is plain bytes of a known length (a
Content-Length, no Content-Encoding, not `Accept-Ranges: none`). Every stolen piece must come
back as a 206 of exactly its range of the same resource (check_partial: the Content-Range, the
total length, the validators, no Content-Encoding; If-Range sent), or none of its bytes are
written. Any piece that fails (such an answer, a drop) makes the unit `whole`: once no piece of
it is running any more it is fetched again from byte 0 on one connection (stream_body), so a
unit is never made of bytes of two answers that do not belong together. Crash safety is the
caller's: nothing here is recorded until the unit is complete (a media job deletes a `.part` it
finds, so a unit killed mid-steal is fetched again whole).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from paxel import storage
from paxel.engine.coordinator import MIN_STEAL, steal_tail
from paxel.engine.shared import Reply, Shared
from paxel.headers import parse_content_range
from paxel.probe import encoding
from paxel.segments import Segment, SegmentTable


@dataclass(eq=False)
class Running:
    """A unit on its way in pieces (fields under the job's Shared.lock, except the constants)."""

    index: int
    url: str                 # where its answer came from (after redirects): the pieces ask there
    part: storage.PartFile
    shared: Shared           # the job's Shared with this unit's table (see running())
    offset: int              # a byte-range unit's first byte in the resource (else 0)
    total: int | None        # the resource's length as its first answer gave it
    etag: str | None
    last_modified: str | None
    whole: bool = False      # a piece failed: fetch it again from byte 0 on one connection
    pieces: int = field(default=0)   # stolen pieces so far (for tests and logs)

    @property
    def table(self) -> SegmentTable:
        table = self.shared.table
        assert table is not None
        return table

    @property
    def if_range(self) -> str | None:
        strong = self.etag if self.etag and not self.etag.startswith("W/") else None
        return strong or self.last_modified

    def free(self) -> int:
        """Bytes of it no connection is reading yet (the most is the best to split)."""
        return sum(seg.end - max(seg.pos, min(seg.reading, seg.end))
                   for seg in self.table.segments if seg.owner is not None)

    def owned(self) -> bool:
        return any(seg.owner is not None for seg in self.table.segments)


def running(s: Shared, index: int, part: storage.PartFile, reply: Reply, wid: int,
            offset: int) -> Running | None:
    """The unit as a table of one segment owned by `wid` (reading `reply`), or None when its
    answer does not allow pieces: an unknown length, an encoded body, a server that says it
    has no ranges, or too small to be worth a piece."""
    headers = reply.headers
    raw = (headers.get("Content-Length") or "").strip()
    if not (raw.isascii() and raw.isdigit()) or encoding(headers) is not None \
            or headers.get("Accept-Ranges", "").strip().lower() == "none":
        return None
    size = int(raw)
    if size < 2 * MIN_STEAL:
        return None
    total: int | None = size
    if "Content-Range" in headers:   # a byte-range unit's 206: the resource is longer
        try:
            total = parse_content_range(headers["Content-Range"]).total
        except ValueError:
            return None
    seg = Segment.fresh(0, size)
    seg.owner, seg.requested = wid, size
    view = copy.copy(s)   # the same lock, stop, limit and per-worker dicts; its own table
    view.table = SegmentTable(size, [seg])
    reply.body_end = size
    return Running(index, reply.url, part, view, offset, total, headers.get("ETag"),
                   headers.get("Last-Modified"))


def steal(candidates: list[Running], wid: int, now: float) -> tuple[Running, Segment] | None:
    """For an idle connection: the tail of the unit with the most bytes still to come, when
    steal_tail finds one worth a request (caller holds the lock)."""
    for r in sorted((r for r in candidates if not r.whole), key=lambda r: -r.free()):
        seg = steal_tail(r.shared, wid, now)
        if seg is not None:
            r.pieces += 1
            return r, seg
    return None


def may_steal_later(candidates: list[Running]) -> bool:
    """A unit still running could give a piece once its speed is known (caller holds the lock)."""
    return any(not r.whole and r.free() >= 2 * MIN_STEAL for r in candidates)
