"""Which unit answers may be split into pieces (engine.unitpieces.running) and which running
unit an idle connection takes a piece of (unitpieces.steal), with the scripted fake transport."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from paxel import storage
from paxel.engine import DownloadOptions
from paxel.engine.coordinator import MIN_STEAL
from paxel.engine.shared import Shared
from paxel.engine.unitpieces import Running, may_steal_later, running, steal
from support.fake_transport import FakeServer, Step

SIZE = 4 * MIN_STEAL


def _running(tmp_path: Path, server: FakeServer, index: int = 0, first: int | None = None,
             last: int | None = None, step: Step | None = None) -> tuple[Shared, Running | None]:
    if step is not None:
        server.script = lambda n, r: step
    s = Shared(DownloadOptions("http://x/a.ts", transport_factory=server.factory), None, 0.25)
    reply = server.factory(s.options).get("http://x/a.ts", first, last)
    part = storage.PartFile.claim(tmp_path / f"{index}.part")
    assert part is not None
    return s, running(s, index, part, reply, wid=index, offset=first or 0)


def test_a_plain_answer_of_known_length_is_one_segment_of_its_owner(tmp_path: Path) -> None:
    s, r = _running(tmp_path, FakeServer(bytes(SIZE)))
    assert r is not None and r.table.total == SIZE and r.total == SIZE and r.offset == 0
    [seg] = r.table.segments
    assert (seg.start, seg.end, seg.owner) == (0, SIZE, 0)
    assert r.if_range == '"v1"' and r.shared.lock is s.lock and r.shared.replies is s.replies
    assert s.table is None   # the job's own Shared keeps no table


def test_a_byte_range_unit_keeps_its_offset_and_the_resource_length(tmp_path: Path) -> None:
    _, r = _running(tmp_path, FakeServer(bytes(SIZE * 2)), first=1000, last=1000 + SIZE - 1)
    assert r is not None and r.offset == 1000 and r.total == SIZE * 2 and r.table.total == SIZE


@pytest.mark.parametrize("content, step", [
    (bytes(SIZE), Step(encoding="gzip")),         # compressed: its bytes are not the file's
    (bytes(2 * MIN_STEAL - 1), None),             # too small to be worth a piece
], ids=["encoded", "small"])
def test_answers_that_cannot_be_split(tmp_path: Path, content: bytes, step: Step | None) -> None:
    assert _running(tmp_path, FakeServer(content), step=step)[1] is None


def test_no_length_or_no_ranges_is_not_split(tmp_path: Path) -> None:
    server = FakeServer(bytes(SIZE))
    s = Shared(DownloadOptions("http://x/a.ts"), None, 0.25)
    part = storage.PartFile.claim(tmp_path / "x.part")
    assert part is not None
    for drop in ("Content-Length", None):
        reply = server.factory(s.options).get("http://x/a.ts")
        headers = dict(reply.headers)
        if drop:
            del headers[drop]
        else:
            headers["Accept-Ranges"] = "none"
        reply.headers = headers
        assert running(s, 0, part, reply, 0, 0) is None


def test_an_idle_connection_splits_the_unit_with_most_left(tmp_path: Path) -> None:
    server = FakeServer(bytes(SIZE))
    now = time.monotonic()
    units = []
    for i, read in enumerate((MIN_STEAL, 0)):   # unit 1 has more left
        s, r = _running(tmp_path, server, index=i)
        assert r is not None
        seg = r.table.segments[0]
        seg.pos = seg.written = read
        s.replies[i] = object()   # type: ignore[assignment]   # its owner is reading
        s.seg_started[i] = (now - 1.0, 0)
        units.append(r)
    # (each _running made its own Shared: steal looks at each unit's own view)
    units[0].shared.seg_started[0] = (now - 1.0, 0)
    assert may_steal_later(units)
    got = steal(units, wid=7, now=now)
    assert got is not None
    r, piece = got
    assert r is units[1] and piece.owner == 7 and piece.end == SIZE and piece.start >= SIZE // 2
    assert r.table.segments[0].end == piece.start     # the owner now stops at the cut
    units[1].whole = units[0].whole = True             # a unit going whole gives no pieces
    assert steal(units, wid=8, now=now) is None and not may_steal_later(units)
