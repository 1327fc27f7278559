"""The engine's restart, retry and integrity logic against a scripted fake transport (fast; the
nginx and fault-server tests are the end-to-end proof). Files are real, in tmp_path."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from paxel.engine import Download, DownloadOptions, HostSlots
from paxel.errors import NetworkError, PaxelError
from paxel.lowspeed import SpeedFloor
from paxel.ratelimit import TokenBucket
from paxel.retry import RetryPolicy
from support.fake_transport import FakeServer, Request, Step

MiB = 1 << 20
FAST_RETRY = RetryPolicy(attempts=6, base=0.001, cap=0.002)


def content(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def options(server: FakeServer, out: Path, url: str = "http://fake.test/f.bin",
            **more: object) -> DownloadOptions:
    return DownloadOptions(url, output=out, transport_factory=server.factory, retry=FAST_RETRY,
                           **more)  # type: ignore[arg-type]


def test_a_file_changed_midway_restarts_and_ends_with_the_new_bytes(tmp_path: Path) -> None:
    old, new = content(4 * MiB, 1), content(4 * MiB, 2)
    server = FakeServer(old)

    def script(n: int, _req: Request) -> Step | None:
        if n == 1:   # (request 1 is still answered from the old file; 2 connections make >= 3)
            server.change(new, '"v2"')
        return None

    server.script = script
    job = Download(options(server, tmp_path / "f.bin", connections=2))
    result = job.run()
    assert result.path.read_bytes() == new
    assert any(r.first == 0 for r in server.requests[2:]), "never started over"


def test_tries_that_bring_a_few_bytes_are_not_progress(tmp_path: Path) -> None:
    """Every request after the probe brings 100 bytes of the ~MiB it asked for: the retry budget
    runs out (6 tries per connection) instead of ~40,000 requests of 100 bytes each."""
    server = FakeServer(content(4 * MiB), script=lambda n, _r: Step(drop_after=100) if n else None)
    with pytest.raises(NetworkError, match="gave up"):
        Download(options(server, tmp_path / "f.bin", connections=2)).run()
    assert len(server.requests) <= 1 + 2 * 6 + 2


@pytest.mark.parametrize("connections", [1, 3])
def test_a_trickling_connection_is_replaced_on_a_fresh_connection(tmp_path: Path, connections: int) -> None:
    """The first two answers trickle a byte every 20 ms (50 B/s, under the 1000 B/s floor): each
    is given up after the floor's 0.2 s window, and its worker asks again only on a new TCP
    connection. (With 3 connections a working one may take the trickled range first while the
    trickling one waits out its backoff: then that worker may have nothing left to ask.)"""
    data = content(3 * MiB)
    server = FakeServer(data, script=lambda n, _r: Step(trickle=0.02) if n < 2 else None)
    floor = SpeedFloor(bytes_per_second=1000, seconds=0.2)
    result = Download(options(server, tmp_path / "f.bin", connections=connections,
                              speed_floor=floor)).run()
    assert result.path.read_bytes() == data
    nexts = [next((r for r in server.requests[n + 1:] if r.conn == server.requests[n].conn), None)
             for n in (0, 1)]   # what each trickling answer's worker asked next, if anything
    assert all(r is None or r.fresh for r in nexts), server.requests
    if connections == 1:
        assert all(r is not None for r in nexts), server.requests


def test_a_server_that_always_trickles_fails_after_the_retry_budget(tmp_path: Path) -> None:
    server = FakeServer(content(64 * 1024), script=lambda n, _r: Step(trickle=0.01))
    floor = SpeedFloor(bytes_per_second=1000, seconds=0.1)
    with pytest.raises(NetworkError, match=r"slower than 1000 bytes/s for 0.1 s \(gave up after 6 tries\)"):
        Download(options(server, tmp_path / "f.bin", connections=1, speed_floor=floor)).run()
    assert len(server.requests) == 6 and all(r.fresh for r in server.requests[1:])


def test_an_encoded_range_reply_falls_back_to_one_decoded_stream(tmp_path: Path) -> None:
    data = content(3 * MiB)
    server = FakeServer(data, script=lambda n, _r: Step(encoding="gzip"))
    result = Download(options(server, tmp_path / "f.bin", connections=4)).run()
    assert result.path.read_bytes() == data
    assert [r.first for r in server.requests] == [0, None]


def _fail_after_some_bytes(tmp_path: Path, server: FakeServer, url: str) -> None:
    server.script = lambda n, _r: (None, Step(drop_after=MiB // 2))[n] if n < 2 else Step(status=404)
    with pytest.raises(PaxelError):
        Download(options(server, tmp_path / "f.bin", url=url, connections=1)).run()
    server.script = lambda n, _r: None
    server.requests.clear()


@pytest.mark.parametrize(("validators", "replaces", "continued"), [
    (True, True, True),      # a refreshed link: the .part continues
    (True, False, False),    # another URL without saying it is the same download: start clean
    (False, True, False),    # no validator to compare: a size alone is not enough
])
def test_a_refreshed_url_continues_the_part_when_size_and_validators_match(
        tmp_path: Path, validators: bool, replaces: bool, continued: bool) -> None:
    data = content(4 * MiB)
    server = FakeServer(data, etag='"v1"' if validators else None,
                        last_modified=None if not validators else "Tue, 14 Nov 2023 22:13:20 GMT")
    old_url, new_url = "http://fake.test/old?token=expired", "http://fake.test/new?token=fresh"
    _fail_after_some_bytes(tmp_path, server, old_url)
    opts = options(server, tmp_path / "f.bin", url=new_url, connections=1,
                   headers={"Cookie": "session=new"}, replaces_url=old_url if replaces else None)
    result = Download(opts).run()
    assert result.path.read_bytes() == data
    first = server.requests[0]
    assert first.url == new_url and first.headers["Cookie"] == "session=new"
    assert all(r.first != 0 for r in server.requests) is continued


def test_the_speed_limit_can_change_while_running(tmp_path: Path) -> None:
    data = content(2 * MiB)
    server = FakeServer(data)
    job = Download(options(server, tmp_path / "f.bin", connections=2, max_speed=256 * 1024))
    threading.Timer(0.3, job.set_max_speed, args=(None,)).start()
    began = time.monotonic()
    assert job.run().path.read_bytes() == data
    assert time.monotonic() - began < 4.0  # at 256 KiB/s throughout it would take ~8 s


def test_a_shared_bucket_paces_downloads_together(tmp_path: Path) -> None:
    shared = TokenBucket(2 * MiB)
    jobs = [Download(options(FakeServer(content(2 * MiB, i)), tmp_path / f"f{i}.bin", connections=1,
                             shared_limit=shared)) for i in range(2)]
    began = time.monotonic()
    threads = [threading.Thread(target=j.run) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - began >= 1.5  # 4 MiB through one 2 MiB/s bucket (minus its burst)
    assert all(j.progress.state == "completed" for j in jobs)


def test_host_slots_cap_connections_across_downloads(tmp_path: Path) -> None:
    slots = HostSlots(per_host=3)
    seen: list[int] = []
    server = FakeServer(content(8 * MiB))
    job = Download(options(server, tmp_path / "f.bin", connections=8, host_slots=slots),
                   on_progress=lambda p: seen.append(slots.in_use("http://fake.test/")),
                   progress_interval=0.01)
    assert job.run().path.stat().st_size == 8 * MiB
    assert seen and max(seen) <= 3 and slots.in_use("http://fake.test/") == 0


def test_host_slots_grant_at_least_one_and_never_more_than_free() -> None:
    slots = HostSlots(per_host=4)
    assert slots.acquire("http://a.test/x", 3) == 3
    assert slots.acquire("http://A.test/y", 3) == 1      # one free
    assert slots.acquire("http://a.test/z", 2) == 1      # none free: still one (never starved)
    assert slots.acquire("http://b.test/", 8) == 4       # another host has its own
    slots.release("http://a.test/", 5)
    assert slots.in_use("http://a.test/") == 0 and slots.in_use("http://b.test/") == 4


def test_a_misplaced_range_falls_back_to_one_plain_stream(tmp_path: Path) -> None:
    """A worker's 206 for other bytes than asked: never written; one plain GET instead."""
    data = content(4 * MiB)
    server = FakeServer(data, script=lambda n, r: Step(shift=4096) if r.first else None)
    job = Download(options(server, tmp_path / "f.bin", connections=4))
    assert job.run().path.read_bytes() == data
    assert any(r.first is None for r in server.requests)


def test_retryable_statuses_are_retried_with_the_servers_delay(tmp_path: Path) -> None:
    data = content(3 * MiB)
    server = FakeServer(data, script=lambda n, _r: Step(status=503, retry_after="0") if n in (1, 2) else None)
    assert Download(options(server, tmp_path / "f.bin", connections=2)).run().path.read_bytes() == data
    server.requests.clear()
    server.script = lambda n, _r: Step(status=503, retry_after="0")
    with pytest.raises(PaxelError, match="503") as caught:
        Download(options(server, tmp_path / "g.bin", connections=2)).run()
    assert len(server.requests) == FAST_RETRY.attempts and caught.value.part_path is None


def test_a_pause_keeps_the_part_and_the_next_run_fetches_only_what_is_missing(tmp_path: Path) -> None:
    """The pause must come mid-way: the in-memory server is far faster than the coordinator's
    checkpoints (an fdatasync can take 100 ms on a loaded machine), so requests after the first
    ~4 MiB wait until the pause was asked for instead of racing it to the end of the file."""
    data = content(6 * MiB)
    paused = threading.Event()

    def script(n: int, _r: Request) -> Step | None:
        if n >= 4:  # the probe's 3 MiB + three drops of 0.5 MiB are in before this
            assert paused.wait(30), "no pause after 30 s"
        return Step(drop_after=MiB // 2) if n else None

    server = FakeServer(data, script=script)
    out = tmp_path / "f.bin"
    jobs: list[Download] = []

    def pause_soon(_p: object) -> None:
        if jobs[0].progress.done >= MiB:
            jobs[0].pause()
            paused.set()

    jobs.append(Download(options(server, out, connections=2), on_progress=pause_soon,
                         progress_interval=0.001))
    first = jobs[0].run()
    assert first.paused and MiB <= first.size < len(data)
    server.script = lambda n, _r: None
    server.requests.clear()
    assert Download(options(server, out, connections=2)).run().path.read_bytes() == data
    asked = sum((len(data) - 1 if r.last is None else r.last) - (r.first or 0) + 1 for r in server.requests)
    assert asked <= len(data) - first.size + 2 * MiB
