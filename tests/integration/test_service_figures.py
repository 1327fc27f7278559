"""Figures quoted in the service's closing note, measured on a real service (run with -s to see them):
time from a `download` message to the first byte on disk, and service RSS idle and with 10 active
downloads. The assertions are the targets (idle ≤ 60 MB) with room for a noisy shared machine."""

from __future__ import annotations

import os
import time

import psutil

from support.nginx import Nginx
from support.paxel_env import PaxelEnv

MiB = 1024 * 1024


def first_byte_seconds(path_glob: str, env: PaxelEnv, started: float, timeout: float = 10.0) -> float:
    """Seconds until a file matching the glob in Downloads has a non-zero data block written."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        for path in env.downloads.glob(path_glob):
            try:
                with open(path, "rb") as handle:
                    # preallocated .part files read as zeros until written: look for real data
                    if handle.read(4096).strip(b"\0"):
                        return time.monotonic() - started
            except OSError:
                pass
        time.sleep(0.001)
    raise AssertionError(f"no data in {path_glob} within {timeout} s")


def test_first_byte_latency_and_rss(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("fb-cold.bin", 4 * MiB)
    nginx.add_file("fb-warm.bin", 4 * MiB)
    nginx.add_file("rss.bin", 32 * MiB)  # fetched 10 times at once under distinct URLs
    paxel_env.write_settings(max_concurrent=10)
    host = paxel_env.host("chrome")

    # cold: the host starts the service on its first request
    started = time.monotonic()
    host.send({"id": 1, "type": "download", "url": nginx.url("fb-cold.bin", "capped"), "connections": 4})
    cold = first_byte_seconds("fb-cold.bin*", paxel_env, started)
    assert host.reply(1)["ok"]
    # warm: service running, host connected
    started = time.monotonic()
    host.send({"id": 2, "type": "download", "url": nginx.url("fb-warm.bin", "capped"), "connections": 4})
    warm = first_byte_seconds("fb-warm.bin*", paxel_env, started)
    assert host.reply(2)["ok"]

    service = psutil.Process(paxel_env.service_pid())
    deadline = time.monotonic() + 10
    while not all((paxel_env.downloads / name).exists() for name in ("fb-cold.bin", "fb-warm.bin")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    idle = service.memory_info().rss / MiB

    for number in range(10):
        host.add(10 + number, url=nginx.url(f"rss.bin?copy={number}", "capped"), connections=2)
    time.sleep(1.0)  # each takes ~2 s at 2 x 8 MiB/s
    active = service.memory_info().rss / MiB
    threads = service.num_threads()
    host.send({"id": 99, "type": "list"})
    listed = host.reply(99)["result"]["downloads"]
    states = [d["state"] for d in listed]
    assert states.count("running") == 10, [(d["state"], d["filename"], d["error"]) for d in listed]

    print(f"\nfirst byte on disk after `download`: cold service {cold * 1000:.0f} ms, "
          f"warm {warm * 1000:.0f} ms")
    print(f"service RSS: idle {idle:.1f} MiB, 10 active downloads x 2 connections {active:.1f} MiB "
          f"({threads} threads); pid {service.pid}, cpus {os.cpu_count()}")
    assert warm < 1.0 and cold < 5.0
    assert idle <= 60
    assert active <= 150
