"""Idle connections of a UnitJob take byte ranges of units still running (engine.unitpieces),
against the fault server: the pieces land at the right offsets, and a server that mishandles a
piece's Range never makes a unit of mixed bytes (it is fetched again whole, on one connection)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions, HostSlots, Unit, UnitJob
from paxel.media.job import MediaJob
from paxel.retry import RetryPolicy
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.pieces import kill_9_while_pieces_run, killed_pieces

SIZE = 1_000_000
RATE = 1_000_000   # bytes/s per request: a unit takes 1 s, long enough to be split


def _ranges(server: FaultServer) -> list[str]:
    return [r.range for r in server.requests("GET") if r.range]


def test_an_idle_connection_takes_the_tail_of_a_unit(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("big.ts", size=SIZE, trickle=RATE)
    small = faultserver.url("small.ts", size=1000)
    job = UnitJob([Unit(url, tmp_path / "big.seg"), Unit(small, tmp_path / "small.seg")],
                  DownloadOptions(url, connections=3))
    done = job.run()
    assert (tmp_path / "big.seg").read_bytes() == faultserver.content(url)
    assert (tmp_path / "small.seg").read_bytes() == faultserver.content(small)
    assert [d.size for d in done] == [SIZE, 1000]
    assert job.pieces >= 1
    assert _ranges(faultserver)   # the pieces, each asked for as a Range
    assert not list(tmp_path.glob("*.part"))


def test_a_byte_range_unit_is_split_within_its_range(faultserver: FaultServer, tmp_path: Path) -> None:
    """EXT-X-BYTERANGE: a piece of the unit is a piece of its range, offset by its first byte."""
    url = faultserver.url("single.ts", size=SIZE + 200_000, trickle=RATE)
    job = UnitJob([Unit(url, tmp_path / "r.seg", (100_000, 100_000 + SIZE - 1))],
                  DownloadOptions(url, connections=2))
    job.run()
    assert (tmp_path / "r.seg").read_bytes() == faultserver.content(url)[100_000:100_000 + SIZE]
    assert job.pieces >= 1
    stolen = [r for r in _ranges(faultserver) if r != f"bytes=100000-{100_000 + SIZE - 1}"]
    assert stolen
    for r in stolen:
        first, last = (int(x) for x in r.removeprefix("bytes=").split("-"))
        assert 100_000 < first <= last == 100_000 + SIZE - 1


@pytest.mark.parametrize("fault", [{"norange": 1}, {"badtotal": 7}, {"encode": "gzip"}, {"badrange": 5}],
                         ids=["ignores-range", "changes-length", "compresses", "shifts"])
def test_a_piece_the_server_mishandles_is_never_mixed_in(faultserver: FaultServer, tmp_path: Path,
                                                        fault: dict[str, object]) -> None:
    """200 to the piece's Range, another total length, a compressed 206, another range: none of
    its bytes are written; the unit is fetched again whole and the job splits no more units."""
    url = faultserver.url("bad.ts", size=SIZE, trickle=RATE, **fault)
    second = faultserver.url("bad2.ts", size=SIZE, trickle=RATE, **fault)
    job = UnitJob([Unit(url, tmp_path / "a.seg"), Unit(second, tmp_path / "b.seg")],
                  DownloadOptions(url, connections=3, retry=RetryPolicy(base=0.01, cap=0.02)))
    job.run()
    assert (tmp_path / "a.seg").read_bytes() == faultserver.content(url)
    assert (tmp_path / "b.seg").read_bytes() == faultserver.content(second)
    gets = faultserver.requests("GET")
    assert len([r for r in gets if r.range]) == 1          # one piece tried, then no more
    assert len([r for r in gets if not r.range]) == 3      # the two units, one of them again whole
    assert not list(tmp_path.glob("*.part"))


def test_a_piece_that_drops_makes_its_unit_whole_again(faultserver: FaultServer, tmp_path: Path) -> None:
    """A drop in a piece (here the first, twice): the unit is fetched again from byte 0, never
    a hole or a splice."""
    url = faultserver.url("drop.ts", size=SIZE, trickle=RATE, drop=150_000, drop_times=2)
    job = UnitJob([Unit(url, tmp_path / "d.seg")],
                  DownloadOptions(url, connections=2, retry=RetryPolicy(base=0.01, cap=0.02)))
    job.run()
    assert (tmp_path / "d.seg").read_bytes() == faultserver.content(url)


def test_kill_9_mid_piece_then_the_rerun_fetches_that_segment_whole(tmp_path: Path) -> None:
    """A media job killed while its segments are being fetched in pieces: the resume state lists
    finished segments only and a piece leaves just a `.part` (its pieces are not tracked), so the
    rerun deletes that and fetches the segment again from byte 0; the file is exact."""
    root = Path(tempfile.mkdtemp(prefix="paxel-pieces-"))
    root.chmod(0o755)
    # two 1 MB "MPEG-TS" segments (sync byte every 188): joined into a .ts without ffmpeg,
    # so the output can be compared byte for byte
    segments = [b"".join(b"\x47" + os.urandom(187) for _ in range(5_320)) for _ in range(2)]
    for i, data in enumerate(segments):
        (root / f"s{i}.ts").write_bytes(data)
    (root / "index.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                                     "#EXTINF:2.0,\ns0.ts\n#EXTINF:2.0,\ns1.ts\n#EXT-X-ENDLIST\n")
    server = Nginx(rate="300k", root=root)   # 3.3 s a segment on one connection
    out, work = tmp_path / "clip.ts", tmp_path / "clip.ts.paxel-media"
    url = server.url("index.m3u8", "capped")
    try:
        serial = kill_9_while_pieces_run(server, url, out, "*.part", units=2)
        assert killed_pieces(server, serial), "no piece was taken"
        state = json.loads((work / "state.json").read_bytes()) if (work / "state.json").exists() else {}
        assert not [n for n in state.get("done", {}) if n.endswith(".seg")]
        assert list(work.glob("*.part"))
        result = MediaJob(DownloadOptions(url, output=out, connections=4), ffmpeg=False).run()
        assert out.read_bytes() == b"".join(segments) and result.size == sum(map(len, segments))
        rerun = [line for line in server.log() if line.connection > serial]   # (not the killed job's)
        for name in ("s0.ts", "s1.ts"):   # each asked for again from byte 0 (a GET without Range)
            assert [line for line in rerun if line.request.endswith(name) and not line.range]
        assert not work.exists()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_a_connection_with_nothing_to_take_gives_its_host_slot_back_at_once(faultserver: FaultServer,
                                                                         tmp_path: Path) -> None:
    """A UnitJob starts all its connections (they may take pieces), but one that finds nothing to
    take (here: one unit too small to split) ends and frees its per-host slot while the unit
    still runs, not when the job ends; every slot is back afterwards."""
    url = faultserver.url("slow-small.ts", size=60_000, trickle=60_000)   # 1 s, never split
    slots = HostSlots(per_host=10)
    job = UnitJob([Unit(url, tmp_path / "s.seg")], DownloadOptions(url, connections=8, host_slots=slots))
    runner = threading.Thread(target=job.run)
    runner.start()
    time.sleep(0.5)
    free = slots.acquire(url, 10, at_least=0)
    slots.release(url, free)
    runner.join()
    assert free == 9
    assert slots.acquire(url, 10, at_least=0) == 10
