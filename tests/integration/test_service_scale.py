"""The service with a long queue: 500 queued downloads, 4 of them running with 8 connections each
against a capped nginx, must keep the service under 80 MiB RSS and 60 threads (issue 10's bound).

Also a measurement: `pytest tests/integration/test_service_scale.py -s` prints the figures
quoted in docs/protocol.md ("Service limits")."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest

from support.nginx import Nginx
from support.paxel_env import PaxelEnv

MiB = 1024 * 1024
QUEUED, RUNNING, CONNECTIONS = 500, 4, 8
RSS_LIMIT_MIB, THREAD_LIMIT = 80, 60


@pytest.fixture
def slow_nginx() -> Iterator[Nginx]:
    """64 KiB/s per connection: a 64 MiB download takes 128 s at 8 connections, so the four
    running ones still run while we measure even when adding the 500 took a loaded machine
    half a minute (at 512 KiB/s they finished in 16 s, and a slow add saw them complete)."""
    server = Nginx(rate="64k")
    yield server
    server.stop()


def test_500_queued_4_running_stay_under_80_mib_and_60_threads(paxel_env: PaxelEnv,
                                                               slow_nginx: Nginx) -> None:
    slow_nginx.add_file("scale.bin", 64 * MiB)
    paxel_env.write_settings(max_concurrent=RUNNING, open_panel_on_add=False)
    host = paxel_env.host("chrome")
    host.hello()
    service = psutil.Process(paxel_env.service_pid())
    idle_rss = service.memory_info().rss / MiB
    started = time.monotonic()
    for number in range(QUEUED):
        host.send({"id": 10 + number, "type": "download", "connections": CONNECTIONS,
                   "url": slow_nginx.url(f"scale.bin?copy={number}", "capped")})
    for number in range(QUEUED):
        assert host.reply(10 + number, timeout=60)["ok"]
    added_in = time.monotonic() - started

    rss, threads = [], []
    for _ in range(20):  # 5 s of four downloads x 8 connections at work
        rss.append(service.memory_info().rss / MiB)
        threads.append(service.num_threads())
        time.sleep(0.25)
    host.send({"id": 1, "type": "list"})
    listed = host.reply(1, timeout=30)["result"]
    states = [d["state"] for d in listed["downloads"]]
    assert states.count("running") == RUNNING, (sorted(set(states)), f"added in {added_in:.1f} s")
    assert states.count("queued") + states.count("running") == QUEUED or listed.get("truncated")
    print(f"\nservice with {QUEUED} downloads ({RUNNING} running x {CONNECTIONS} connections): "
          f"RSS idle {idle_rss:.1f} MiB, peak {max(rss):.1f} MiB; threads peak {max(threads)}; "
          f"{QUEUED} `download` requests answered in {added_in:.1f} s")
    assert max(rss) < RSS_LIMIT_MIB
    assert max(threads) < THREAD_LIMIT
