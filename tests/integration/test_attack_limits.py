"""Attacks on the speed limits, the queues' concurrency and the per-host cap, with a real nginx,
the fault server, a real scheduler (engine, SQLite, sockets) in this process.

What an unlucky user does: a limit of 1 B/s and then none, a queue removed from the settings
while its downloads run, the concurrency lowered while more run; and a server that redirects to
another host, whose connections the cap must count too."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from paxel.service.lifecycle import State
from paxel.service.scheduler import Scheduler
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.scheduler import Schedulers, add, wait_state

MiB = 1 << 20


def _written(scheduler: Scheduler, download_id: str) -> int:
    view = scheduler.get(download_id)
    return sum(done for _, _, done in view["segments"]) if view["segments"] else int(view["done"])


def _wait_written(scheduler: Scheduler, download_id: str, at_least: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _written(scheduler, download_id) < at_least:
        assert time.monotonic() < deadline, f"{download_id}: {_written(scheduler, download_id)} B"
        time.sleep(0.05)


def test_a_limit_of_one_byte_per_second_lifted_takes_effect_within_a_second(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """At 1 B/s every connection's next read owes the bucket hours; `paxel limit ID off` must
    still let the download go on within a second, not after those hours."""
    nginx.add_file("crawl.bin", 16 * MiB)
    scheduler = make_scheduler()
    ident = add(scheduler, nginx.url("crawl.bin") + "?slow=1m", 4)
    scheduler.set_limit(ident, 1)
    wait_state(scheduler, ident, State.RUNNING, 10.0)
    time.sleep(2.0)  # every connection has charged the bucket and sleeps on its debt
    crawled = _written(scheduler, ident)
    scheduler.set_limit(ident, None)
    _wait_written(scheduler, ident, crawled + 256 * 1024, 2.5)


def test_a_global_limit_of_one_byte_per_second_lifted_takes_effect_within_a_second(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("crawl-all.bin", 16 * MiB)
    scheduler = make_scheduler(max_speed=1)
    ident = add(scheduler, nginx.url("crawl-all.bin") + "?slow=1m", 4)
    wait_state(scheduler, ident, State.RUNNING, 10.0)
    time.sleep(2.0)
    crawled = _written(scheduler, ident)
    scheduler.change_settings({"max_speed": None})
    _wait_written(scheduler, ident, crawled + 256 * 1024, 2.5)


def test_a_limit_changed_many_times_a_second_stays_between_its_values(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """1 and 2 MiB/s, 25 changes a second for 5 s: no change lets a burst through."""
    nginx.add_file("flicker.bin", 64 * MiB)
    scheduler = make_scheduler()
    ident = add(scheduler, nginx.url("flicker.bin"), 8)
    scheduler.set_limit(ident, MiB)
    _wait_written(scheduler, ident, 1, 10.0)
    time.sleep(1.0)
    began, before = time.monotonic(), _written(scheduler, ident)
    n = 0
    while time.monotonic() - began < 5.0:
        scheduler.set_limit(ident, MiB if n % 2 else 2 * MiB)
        n += 1
        time.sleep(0.04)
    rate = (_written(scheduler, ident) - before) / (time.monotonic() - began)
    print(f"{n} changes: {rate / MiB:.3f} MiB/s")
    assert 0.9 * MiB <= rate <= 1.1 * 2 * MiB, rate / MiB


def _fresh(scheduler: Scheduler, download_id: str) -> tuple[float, int]:
    """The written count the moment the service's view of it moves (it is sampled 4 times a
    second: a count read at any other moment is up to 0.25 s old)."""
    was = _written(scheduler, download_id)
    while (now := _written(scheduler, download_id)) == was:
        time.sleep(0.005)
    return time.monotonic(), now


def _rate(scheduler: Scheduler, download_id: str, seconds: float) -> float:
    began, before = _fresh(scheduler, download_id)
    time.sleep(seconds)
    ended, after = _fresh(scheduler, download_id)
    return (after - before) / (ended - began)


def test_a_global_limit_below_the_downloads_own_wins_and_lifted_gives_the_own_back(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """Own 3 MiB/s, global 1 MiB/s: the lower one holds; the global one off, the own one within
    a second (the own bucket saved nothing up meanwhile to burst with)."""
    nginx.add_file("both.bin", 64 * MiB)
    scheduler = make_scheduler(max_speed=MiB)
    ident = add(scheduler, nginx.url("both.bin"), 8)
    scheduler.set_limit(ident, 3 * MiB)
    _wait_written(scheduler, ident, 1, 10.0)
    time.sleep(1.0)
    low = _rate(scheduler, ident, 4.0)
    scheduler.change_settings({"max_speed": None})
    time.sleep(1.0)
    own = _rate(scheduler, ident, 4.0)
    print(f"global 1 MiB/s: {low / MiB:.3f}; own 3 MiB/s: {own / MiB:.3f}")
    assert 0.9 * MiB <= low <= 1.1 * MiB and 0.9 * 3 * MiB <= own <= 1.1 * 3 * MiB, (low / MiB, own / MiB)


def test_a_queue_removed_while_its_downloads_run_counts_them_in_main(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """`night` (2 at once) is removed from the settings while its two downloads run: they go on
    in main, whose limit is 1, so a new download in main waits instead of making three."""
    for name in ("n1.bin", "n2.bin", "m1.bin"):
        nginx.add_file(name, 8 * MiB)
    scheduler = make_scheduler(max_concurrent=1, queues={"night": {"max_concurrent": 2}})
    night = [add(scheduler, nginx.url(name) + "?slow=512k", 1, queue="night")
             for name in ("n1.bin", "n2.bin")]
    for ident in night:
        wait_state(scheduler, ident, State.RUNNING, 10.0)
    scheduler.change_settings({"queues": None})
    assert {scheduler.get(i)["queue"] for i in night} == {"main"}
    later = add(scheduler, nginx.url("m1.bin"), 1)
    time.sleep(1.5)
    assert scheduler.get(later)["state"] == State.QUEUED
    main = next(q for q in scheduler.queues() if q["name"] == "main")
    assert (main["running"], main["queued"]) == (2, 1), main
    scheduler.cancel(night[0])
    time.sleep(1.0)
    assert scheduler.get(later)["state"] == State.QUEUED, "one still runs: main is full"
    scheduler.cancel(night[1])
    wait_state(scheduler, later, State.RUNNING, 5.0)


def test_concurrency_lowered_while_four_run_starts_nothing_until_below_it(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    for k in range(5):
        nginx.add_file(f"c{k}.bin", 8 * MiB)
    scheduler = make_scheduler(max_concurrent=4)
    running = [add(scheduler, nginx.url(f"c{k}.bin") + "?slow=512k", 1) for k in range(4)]
    for ident in running:
        wait_state(scheduler, ident, State.RUNNING, 10.0)
    scheduler.change_settings({"max_concurrent": 2})
    assert [scheduler.get(i)["state"] for i in running] == [State.RUNNING] * 4, "running ones go on"
    waiting = add(scheduler, nginx.url("c4.bin"), 1)
    for ident in running[:2]:
        scheduler.cancel(ident)
        time.sleep(1.0)
        assert scheduler.get(waiting)["state"] == State.QUEUED
    scheduler.cancel(running[2])
    wait_state(scheduler, waiting, State.RUNNING, 5.0)


def _established_to(host: str, port: int) -> int:
    """Client sockets to host:port now (the kernel's table: every process, every thread)."""
    want = "".join(f"{int(part):02X}" for part in reversed(host.split("."))) + f":{port:04X}"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and fields[2] == want:
            count += 1
    return count


def test_the_per_host_cap_counts_connections_a_redirect_brought_to_the_host(
        faultserver: FaultServer, make_scheduler: Schedulers) -> None:
    """Cap 2. A link on the other host runs with its 2 connections; then a link that redirects to
    that host: the scheduler budgets the link's host only, so the engine must hold the second
    download until a connection to the host it landed on is free. Its first request (the probe)
    is the one connection past the cap, for a moment: the host is known only once it answers.
    Before, that connection stayed and carried the download beside the other's two."""
    scheduler = make_scheduler(max_connections_per_host=2)
    trickle = 1 * MiB
    direct = add(scheduler, faultserver.url("d.bin", other=True, size=8 * MiB, trickle=trickle), 2)
    _wait_written(scheduler, direct, 256 * 1024, 10.0)
    redirected = add(scheduler, faultserver.url("r.bin", size=4 * MiB, trickle=trickle, redirect="other"), 2)
    host, port = faultserver.other_base.removeprefix("http://").rsplit(":", 1)
    over_since: float | None = None
    longest = 0.0
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        now = time.monotonic()
        if _established_to(host, int(port)) > 2:
            over_since = now if over_since is None else over_since
            longest = max(longest, now - over_since)
        else:
            over_since = None
        if {scheduler.get(i)["state"] for i in (redirected, direct)} <= {State.COMPLETED, State.FAILED}:
            break
        time.sleep(0.01)
    assert {scheduler.get(i)["state"] for i in (redirected, direct)} == {State.COMPLETED}
    # before: 3 for as long as the redirected download ran (4 s); a probe's moment, under load: < 1 s
    assert longest < 1.0, f"3 connections to the other host for {longest:.2f} s"


def test_move_up_after_a_paused_download_returned_beside_a_moved_one(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """A, B, C wait (the window is closed); C is paused and keeps its number; A goes to the bottom
    (one past B: C's number); C is resumed, so A and C share a number. "Up" on C must still move
    it above A."""
    wall = [datetime(2026, 11, 30, 1, 0).timestamp()]
    scheduler = make_scheduler(schedule={"windows": [{"start": "02:00", "stop": "03:00"}]},
                               clock=lambda: wall[0])
    a, b, c = (add(scheduler, nginx.url(f"{name}.bin")) for name in "abc")
    scheduler.pause(c)
    scheduler.move(a, "bottom")
    scheduler.resume(c)

    def order() -> list[str]:
        views = sorted((v for v in scheduler.list() if v["state"] == State.QUEUED),
                       key=lambda v: v["queue_position"])
        return [v["download_id"] for v in views]
    assert order() == [b, a, c]
    scheduler.move(c, "up")
    assert order() == [b, c, a]
    scheduler.move(c, "up")
    assert order() == [c, b, a]
    scheduler.move(a, "up")
    assert order() == [c, a, b]


def test_start_now_on_a_host_at_its_cap_waits_for_a_connection_then_starts(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """"Start now" passes the queue's limit, never the per-host cap: with the host's 2 connections
    taken it waits, and starts as soon as they are given back."""
    nginx.add_file("hog.bin", 16 * MiB)
    nginx.add_file("urgent.bin", 1 * MiB)
    scheduler = make_scheduler(max_concurrent=1, max_connections_per_host=2)
    hog = add(scheduler, nginx.url("hog.bin") + "?slow=512k", 2)
    wait_state(scheduler, hog, State.RUNNING, 10.0)
    urgent = add(scheduler, nginx.url("urgent.bin"), 2)
    scheduler.start_now(urgent)
    time.sleep(1.0)
    assert scheduler.get(urgent)["state"] == State.QUEUED
    scheduler.cancel(hog)
    wait_state(scheduler, urgent, State.COMPLETED, 10.0)
