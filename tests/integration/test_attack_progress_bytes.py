"""A download's progress as the panel, the popup and `paxel URL` show it, attacked by reading its
first frames: `done` counted only the bytes checkpointed (every ~0.5 s) while the speed counted
the bytes received, so a fast download's first frames said "0 B 0%" beside "14 MiB/s". What
is shown now counts the bytes received; resume still trusts only what was checkpointed."""

from __future__ import annotations

from typing import Any

import pytest

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

MiB = 1024 * 1024


@pytest.mark.timeout(90)
def test_the_bytes_shown_are_the_bytes_the_speed_counts(paxel_env: PaxelEnv,
                                                        faultserver: FaultServer) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=faultserver.url("steady.bin", size=3 * MiB, trickle=MiB), connections=1)
    seen: list[dict[str, Any]] = []
    host.wait_event("completed", view["download_id"], timeout=60, seen=seen)
    frames = [d for m in seen if m.get("event") == "progress" for d in m["data"]["downloads"]
              if d["download_id"] == view["download_id"] and d["state"] == "running"]
    moving = [f for f in frames if f["speed"] > 0]
    assert moving, frames
    assert all(f["done"] > 0 for f in moving), [(f["done"], f["speed"]) for f in moving]
    shown = [f["done"] for f in frames]
    assert shown == sorted(shown), shown   # never goes back
