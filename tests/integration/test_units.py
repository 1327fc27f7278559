"""The media-segment job kind (engine.UnitJob): many URLs of unknown size, each into its own
file, over the same connection machinery, against the fault server."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from paxel.engine import DownloadOptions, Unit, UnitJob
from paxel.errors import Cancelled, ServerMisbehaved
from paxel.retry import RetryPolicy
from support.faultserver import FaultServer


def test_segments_of_unknown_size_land_in_their_own_files(faultserver: FaultServer, tmp_path: Path) -> None:
    urls = [faultserver.url(f"seg{i}.ts", size=50_000 + i * 7_919, nolength=1) for i in range(11)]
    # with a length, so a drop shows (without one an early close looks like the end)
    urls.append(faultserver.url("seg-drops.ts", size=300_000, drop=100_000, drop_times=2))
    urls.append(faultserver.url("seg-gzip.ts", size=120_000, encode="gzip", encode_full=1))
    units = [Unit(url, tmp_path / "media" / f"{i:03}.ts") for i, url in enumerate(urls)]
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "000.ts").write_bytes(b"the user's file")
    done = UnitJob(units, DownloadOptions(urls[0], connections=4,
                                          retry=RetryPolicy(base=0.01, cap=0.02))).run()
    assert [d.unit for d in done] == units
    for d in done:
        assert hashlib.sha256(d.path.read_bytes()).hexdigest() == faultserver.sha256(d.unit.url)
        assert d.size == d.path.stat().st_size
    assert (tmp_path / "media" / "000.ts").read_bytes() == b"the user's file"
    assert done[0].path.name == "000 (1).ts"
    assert not list((tmp_path / "media").glob("*.part"))
    assert len(faultserver.requests("GET")) == len(urls) + 2   # each unit once, plus the 2 drops


def test_byte_range_units_get_exactly_their_range(faultserver: FaultServer, tmp_path: Path) -> None:
    """EXT-X-BYTERANGE / DASH mediaRange: each unit asks for its range and must get exactly it;
    a server that ignores Range or sends another range is an error, never the wrong bytes."""
    url = faultserver.url("single.ts", size=200_000)
    units = [Unit(url, tmp_path / "a.seg", (0, 99_999)), Unit(url, tmp_path / "b.seg", (100_000, 199_999))]
    done = UnitJob(units, DownloadOptions(url, connections=2)).run()
    assert [d.size for d in done] == [100_000, 100_000]
    assert (tmp_path / "a.seg").read_bytes() + (tmp_path / "b.seg").read_bytes() == faultserver.content(url)
    assert sorted(r.range for r in faultserver.requests("GET")) == ["bytes=0-99999", "bytes=100000-199999"]
    for bad in (faultserver.url("x.ts", size=200_000, norange=1),
                faultserver.url("y.ts", size=200_000, badrange=7)):
        with pytest.raises(ServerMisbehaved):
            UnitJob([Unit(bad, tmp_path / "c.seg", (1000, 1999))],
                    DownloadOptions(bad, connections=1, retry=RetryPolicy(base=0.01, cap=0.02))).run()
        assert not (tmp_path / "c.seg").exists() and not (tmp_path / "c.seg.part").exists()


@pytest.mark.parametrize("size", [60_000, 600_000])   # stream_body's one read; pump (in pieces)
def test_a_pause_after_a_units_last_byte_keeps_the_unit(faultserver: FaultServer, tmp_path: Path,
                                                        size: int) -> None:
    """A small segment comes in one read (a read returns once its buffer is full): a pause while
    that read waits must not throw away the unit the read then brings whole; it is placed and
    reported, and the job ends Cancelled for the units not started. Also for a unit in pieces
    (pump): a pause after its last byte keeps it."""
    from paxel.errors import Cancelled
    from paxel.transport import transport_for

    urls = [faultserver.url(f"p{size}-{i}.ts", size=size) for i in range(3)]
    units = [Unit(url, tmp_path / f"{size}-{i}.seg") for i, url in enumerate(urls)]
    job: UnitJob | None = None

    class PausingReply:
        """The real reply; the job is paused as the read that brings its last byte returns."""

        def __init__(self, reply: Any) -> None:
            self._reply, self._got = reply, 0
            self.status, self.headers, self.url = reply.status, reply.headers, reply.url
            self.body_end = reply.body_end

        def readinto(self, buf: memoryview) -> int:
            n: int = self._reply.readinto(buf)
            self._got += n
            if self._got >= size:
                assert job is not None
                job.pause()
            return n

        def close(self, *, reusable: bool = False) -> None:
            self._reply.close(reusable=reusable)

        def abort(self) -> None:
            self._reply.abort()

    class PausingTransport:
        def __init__(self, options: DownloadOptions) -> None:
            self._t = transport_for(options.url, options.headers, options.cookies, options.proxy,
                                    options.timeout)

        def get(self, url: str, first: int | None = None, last: int | None = None,
                if_range: str | None = None, *, fresh: bool = False) -> Any:
            return PausingReply(self._t.get(url, first, last, if_range, fresh=fresh))

        def abort(self) -> None:
            self._t.abort()

        def close(self) -> None:
            self._t.close()

    got: list[Path] = []
    job = UnitJob(units, DownloadOptions(urls[0], connections=1, transport_factory=PausingTransport),
                  on_unit=lambda d: got.append(d.path))
    with pytest.raises(Cancelled):
        job.run()
    assert got == [units[0].path], size
    assert hashlib.sha256(units[0].path.read_bytes()).hexdigest() == faultserver.sha256(urls[0])
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("faults", [{"stall_at": 300_000}, {"silent": 1}], ids=["stalled-body", "no-headers"])
def test_a_pause_ends_a_unit_waiting_on_a_silent_server_at_once(
        faultserver: FaultServer, tmp_path: Path, faults: dict[str, int]) -> None:
    """A media segment whose server stops mid-body (or never answers): the pause ends the job at
    once and the server sees the connection close (paxel.hangup; stream_body's reply is abortable)."""
    url = faultserver.url("seg.ts", size=1 << 20, nolength=1, stall_ms=120_000, **faults)
    job = UnitJob([Unit(url, tmp_path / "seg.ts")], DownloadOptions(url, connections=1))
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            job.run()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not any(r.path == "/seg.ts" and (r.sent >= 300_000 or "silent" in faults)
                  for r in faultserver.requests("GET")):
        assert time.monotonic() < deadline, "the segment never began"
        time.sleep(0.01)
    time.sleep(0.1)   # (the read is blocked by now)
    began = time.monotonic()
    job.pause()
    worker.join(5.0)
    took = time.monotonic() - began
    assert not worker.is_alive() and took < 1.0, took
    assert isinstance(outcome[0], Cancelled), outcome
    deadline = time.monotonic() + 1.0
    while faultserver.open_connections():
        assert time.monotonic() < deadline, "the connection stayed open"
        time.sleep(0.01)
