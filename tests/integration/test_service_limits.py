"""Speed limits and the per-host connection cap in the service's queue, on a real nginx.

The scheduler runs in this process (real engine, real SQLite, real sockets), so the bytes a
download has written can be sampled every 0.1 s: its view's segments count written bytes, not
only the checkpointed ones."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from paxel.service.lifecycle import State
from paxel.service.scheduler import Scheduler
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.scheduler import Schedulers, add, wait_state

MiB = 1 << 20


def _written(scheduler: Scheduler, download_id: str) -> int:
    view = scheduler.get(download_id)
    return sum(done for _, _, done in view["segments"]) if view["segments"] else int(view["done"])


class Samples:
    """Bytes written by one download, from the service's own `progress` events (4 a second, each
    made right after the engine was asked for a fresh snapshot), timed as they come."""

    def __init__(self) -> None:
        self.points: list[tuple[float, int]] = []
        self.watch = ""

    def __call__(self, name: str, data: dict[str, Any]) -> None:
        if name == "progress":
            for view in data["downloads"]:
                if view["download_id"] == self.watch and view["segments"]:
                    self.points.append((time.monotonic(), sum(done for _, _, done in view["segments"])))

    def take(self, scheduler: Scheduler, download_id: str, seconds: float) -> None:
        self.watch = download_id
        time.sleep(seconds)

    def rates(self, since: float, until: float, window: float) -> list[float]:
        """Bytes/s over every `window`-long span of samples inside [since, until]."""
        inside = [p for p in self.points if since <= p[0] <= until]
        out = []
        for i, (t0, b0) in enumerate(inside):
            later = [p for p in inside[i:] if p[0] - t0 >= window]
            if later:
                t1, b1 = later[0]
                out.append((b1 - b0) / (t1 - t0))
        return out


def test_own_limit_holds_beside_an_unlimited_download_and_changes_within_a_second(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("limited.bin", 48 * MiB)
    nginx.add_file("free.bin", 80 * MiB)
    samples = Samples()
    scheduler = make_scheduler(emit=samples)
    limited = add(scheduler, nginx.url("limited.bin"), 8)
    scheduler.set_limit(limited, 2 * MiB)  # it has just started: applied to the running engine
    free = add(scheduler, nginx.url("free.bin") + "?slow=2m", 2)
    samples.take(scheduler, limited, 9.0)
    # steady state: from 1 s after its first byte (the probe, the connections' set-up and the
    # 48 MiB preallocation come before; on a loaded machine they take a while)
    start = next(t for t, written in samples.points if written > 0) + 0.5
    assert scheduler.get(free)["state"] == State.RUNNING, "the other download ran unlimited meanwhile"
    assert scheduler.get(free)["max_speed"] is None
    rates = samples.rates(start + 0.5, start + 9.0, 4.0)
    print("2 MiB/s, 4-s windows:", min(rates) / MiB, max(rates) / MiB)
    assert rates and all(0.9 * 2 * MiB <= r <= 1.1 * 2 * MiB for r in rates), \
        [round(r / MiB, 2) for r in rates]

    lowered = time.monotonic()
    assert scheduler.set_limit(limited, MiB)["max_speed"] == MiB
    samples.take(scheduler, limited, 3.8)
    slow = samples.rates(lowered + 1.0, lowered + 3.8, 2.0)
    print("lowered to 1 MiB/s, 2-s windows from 1 s on:", [round(r / MiB, 3) for r in slow])
    assert slow and all(r <= 1.1 * MiB for r in slow), [round(r / MiB, 2) for r in slow]

    raised = time.monotonic()
    scheduler.set_limit(limited, 4 * MiB)
    samples.take(scheduler, limited, 3.8)
    fast = samples.rates(raised + 1.0, raised + 3.8, 2.0)
    print("raised to 4 MiB/s, 2-s windows from 1 s on:", [round(r / MiB, 3) for r in fast])
    assert fast and all(0.9 * 4 * MiB <= r <= 1.1 * 4 * MiB for r in fast), [round(r / MiB, 2) for r in fast]


def test_global_limit_set_while_running_bounds_the_sum(nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("g1.bin", 32 * MiB)
    nginx.add_file("g2.bin", 32 * MiB)
    scheduler = make_scheduler()
    ids = [add(scheduler, nginx.url(name) + "?slow=2m", 4) for name in ("g1.bin", "g2.bin")]
    time.sleep(0.5)  # both run unlimited (2 MiB/s per connection from nginx) ...
    scheduler.limits.set_global_speed(3 * MiB)  # ... until the global limit comes
    time.sleep(1.0)
    before = [(time.monotonic(), sum(_written(scheduler, i) for i in ids))]
    time.sleep(4.0)
    after = (time.monotonic(), sum(_written(scheduler, i) for i in ids))
    rate = (after[1] - before[0][1]) / (after[0] - before[0][0])
    assert 0.9 * 3 * MiB <= rate <= 1.1 * 3 * MiB, rate / MiB


def _established_to(port: int) -> int:
    """Client sockets to 127.0.0.1:port now (the kernel's table: every process, every thread)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            count += 1
    return count


def test_two_downloads_from_one_host_never_exceed_the_cap(nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("h1.bin", 24 * MiB)
    nginx.add_file("h2.bin", 24 * MiB)
    nginx.clear_log()
    scheduler = make_scheduler(max_connections_per_host=6)
    first = add(scheduler, nginx.url("h1.bin", "capped"), 4)
    second = add(scheduler, nginx.url("h2.bin", "capped"), 4)
    peak, both = 0, False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = {scheduler.get(i)["state"] for i in (first, second)}
        both = both or states == {State.RUNNING}
        peak = max(peak, _established_to(nginx.port))
        if states == {State.COMPLETED}:
            break
        time.sleep(0.02)
    assert {scheduler.get(i)["state"] for i in (first, second)} == {State.COMPLETED}
    assert both, "the second download ran beside the first, on the connections left"
    assert peak <= 6
    per_file: dict[str, set[int]] = {}
    for line in nginx.log():
        if line.request.endswith(("/h1.bin", "/h2.bin")):
            per_file.setdefault(line.request.rsplit("/", 1)[1], set()).add(line.connection)
    assert len(per_file["h1.bin"]) == 4 and len(per_file["h2.bin"]) == 2, per_file
    # and each finished file carries its mark of origin (paxel.origin)
    path = Path(scheduler.get(first)["path"])
    assert os.getxattr(path, "user.xdg.origin.url").decode() == nginx.url("h1.bin", "capped")


def test_limit_from_the_cli(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """`paxel limit` through a real service: stored on the download, shown in its view; the
    global one answered; nonsense refused before it reaches the service."""
    nginx.add_file("cli-limit.bin", 8 * MiB)
    added = json.loads(paxel_env.paxel("add", nginx.url("cli-limit.bin") + "?slow=1m", "-n", "1",
                                       "--json").stdout)
    ident = added["download_id"]
    assert paxel_env.paxel("limit", ident, "512K").stdout == f"{ident}: 512 KiB/s\n"
    views = json.loads(paxel_env.paxel("list", "--json").stdout)
    assert [v["max_speed"] for v in views if v["download_id"] == ident] == [512 * 1024]
    assert paxel_env.paxel("limit", "--global", "8M").stdout == "all downloads: 8.0 MiB/s\n"
    assert paxel_env.paxel("limit", "--global", "off").stdout == "all downloads: no limit\n"
    assert paxel_env.paxel("limit", ident, "off").stdout == f"{ident}: no limit\n"
    missing = paxel_env.paxel("limit", "d-nosuch", "1M", check=False)
    assert missing.returncode != 0 and "no download d-nosuch" in missing.stderr
    nonsense = paxel_env.paxel("limit", ident, "fast", check=False)
    assert nonsense.returncode == 2 and "not a speed" in nonsense.stderr
    paxel_env.paxel("cancel", ident)


def test_schedule_window_with_the_clock_jumped_across_it(nginx: Nginx, make_scheduler: Schedulers) -> None:
    """The queue starts only inside 02:00-06:00 (local wall clock). The clock jumps from 01:50
    straight to 02:07, as after a suspend through 02:00: the window is open on waking."""
    nginx.add_file("night1.bin", 2 * MiB)
    nginx.add_file("night2.bin", 2 * MiB)
    wall = [datetime(2026, 11, 30, 1, 50).timestamp()]
    scheduler = make_scheduler(schedule={"windows": [{"start": "02:00", "stop": "06:00"}]},
                               clock=lambda: wall[0])
    first = add(scheduler, nginx.url("night1.bin"), 2)
    time.sleep(2.0)
    assert scheduler.get(first)["state"] == State.QUEUED
    wall[0] = datetime(2026, 11, 30, 2, 7).timestamp()  # wakes up inside the window
    assert wait_state(scheduler, first, State.COMPLETED, 5.0) < 2.5
    wall[0] = datetime(2026, 11, 30, 6, 30).timestamp()  # the window has closed meanwhile
    time.sleep(1.5)
    second = add(scheduler, nginx.url("night2.bin"), 2)
    time.sleep(2.0)
    assert scheduler.get(second)["state"] == State.QUEUED
    wall[0] = datetime(2026, 12, 1, 2, 0).timestamp()  # the next night
    assert wait_state(scheduler, second, State.COMPLETED, 5.0) < 2.5


def test_a_closing_window_sends_running_downloads_back_to_the_queue(nginx: Nginx,
                                                                     make_scheduler: Schedulers) -> None:
    """06:00 comes while a download runs: it goes back to `queued` (stop reason `schedule`) with
    its .part, and continues from there the next night: the bytes come once."""
    digest = nginx.add_file("held.bin", 6 * MiB)
    nginx.clear_log()
    wall = [datetime(2026, 11, 30, 5, 59).timestamp()]
    scheduler = make_scheduler(schedule={"windows": [{"start": "02:00", "stop": "06:00"}]},
                               clock=lambda: wall[0])
    ident = add(scheduler, nginx.url("held.bin") + "?slow=1m", 2)
    wait_state(scheduler, ident, State.RUNNING, 5.0)
    time.sleep(1.0)
    wall[0] = datetime(2026, 11, 30, 6, 0).timestamp()
    wait_state(scheduler, ident, State.QUEUED, 3.0)
    held = scheduler.get(ident)
    assert held["stop_reason"] == "schedule" and 0 < held["done"] < 6 * MiB
    time.sleep(1.5)
    assert scheduler.get(ident)["state"] == State.QUEUED
    wall[0] = datetime(2026, 12, 1, 2, 30).timestamp()
    wait_state(scheduler, ident, State.COMPLETED, 15.0)
    path = Path(scheduler.get(ident)["path"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    sent = sum(line.bytes_sent for line in nginx.log() if "/held.bin" in line.request)
    assert sent < 6 * MiB + 2 * MiB, f"continued, not restarted: nginx sent {sent}"
