"""`max_connections_per_host` changed while downloads from the host run (issue 13), on a real nginx.

Connections are counted in the kernel's table (/proc/net/tcp: every socket to nginx's port,
idle kept-alive ones too), so a connection paxel merely stopped using would still count."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from paxel.errors import ProtocolError
from paxel.service.lifecycle import State
from support.nginx import Nginx
from support.scheduler import Schedulers, add, wait_state

MiB = 1 << 20


def _established_to(port: int) -> int:
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[2].split(":")[1], 16) == port:
            count += 1
    return count


def _peak(port: int, seconds: float) -> int:
    peak, until = 0, time.monotonic() + seconds
    while time.monotonic() < until:
        peak = max(peak, _established_to(port))
        time.sleep(0.01)
    return peak


def test_lowering_the_cap_shrinks_running_downloads_and_raising_it_starts_a_waiting_one(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    """Cap 4, two downloads of 2 connections each. Lowered to 2: each running download is told
    to shrink (the coordinator, every 0.25 s, aborts one connection's piece and hands its rest
    on), down to one connection each, never below. The bound tested: at most 2 connections from
    2 s after the change on (0.25 s to notice, the abort, and slack for a loaded machine), over
    4 s of sampling every 10 ms. A third download waits at cap 2; raised to 6, it starts."""
    # 12 MiB: at most ~9 MiB can arrive before the sampling ends (2 connections at 1 MiB/s until
    # the change, 1 after), so both still run while sampled; the rest comes after the raise
    digests = {name: nginx.add_file(name, 12 * MiB) for name in ("c1.bin", "c2.bin", "c3.bin")}
    scheduler = make_scheduler(max_connections_per_host=4)
    running = [add(scheduler, nginx.url(name) + "?slow=1m", 2) for name in ("c1.bin", "c2.bin")]
    for ident in running:
        wait_state(scheduler, ident, State.RUNNING, 5.0)
    deadline = time.monotonic() + 5.0
    while _established_to(nginx.port) < 4:
        assert time.monotonic() < deadline, "both ran with 2 connections each"
        time.sleep(0.01)

    with pytest.raises(ProtocolError, match="max_connections_per_host"):
        scheduler.change_settings({"max_connections_per_host": 0})
    assert scheduler.settings.max_connections_per_host == 4, "a refused value changes nothing"

    assert scheduler.change_settings({"max_connections_per_host": 2}).max_connections_per_host == 2
    waiting = add(scheduler, nginx.url("c3.bin") + "?slow=1m", 2)
    time.sleep(2.0)
    assert _peak(nginx.port, 4.0) <= 2
    assert {scheduler.get(i)["state"] for i in running} == {State.RUNNING}, "shrunk, not stopped"
    assert scheduler.get(waiting)["state"] == State.QUEUED, "the host is at its cap"

    scheduler.change_settings({"max_connections_per_host": 6})
    wait_state(scheduler, waiting, State.RUNNING, 3.0)
    scheduler.cancel(waiting)
    for ident, name in zip(running, ("c1.bin", "c2.bin"), strict=True):
        wait_state(scheduler, ident, State.COMPLETED, 25.0)
        path = Path(scheduler.get(ident)["path"])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digests[name], "the handed-on rest came"
