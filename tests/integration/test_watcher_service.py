"""The watcher inside the real service, seen from a client: one `completed`, one `missing`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from support.nginx import Nginx
from support.paxel_env import NativeHost, PaxelEnv


def drain(host: NativeHost, seconds: float) -> list[dict[str, Any]]:
    """Every message the host sends within `seconds` (a duplicate event would show up here)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            messages.append(host.recv(left))
        except TimeoutError:
            break
    return messages


def count(messages: list[dict[str, Any]], event: str, download_id: str) -> int:
    return sum(
        1 for m in messages
        if m.get("event") == event and m["data"].get("download", {}).get("download_id") == download_id
    )  # fmt: skip


def test_service_announces_completion_once_and_missing_once(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("watched.bin", 4 << 20)
    host = paxel_env.host("chrome")
    host.hello()
    download_id = host.add(2, url=nginx.url("watched.bin"), connections=2)["download_id"]
    seen: list[dict[str, Any]] = []
    view = host.wait_event("completed", download_id, seen=seen)["data"]["download"]
    received = time.time()

    final = Path(view["path"])
    assert final == paxel_env.downloads / "watched.bin"
    assert view["state"] == "completed" and final.stat().st_size == 4 << 20
    assert not final.with_name("watched.bin.part").exists()
    # rename() sets the file's ctime: the gap to the event is the watcher + service + host path.
    print(f"\nrename -> `completed` event at the client: {(received - final.stat().st_ctime) * 1000:.1f} ms")
    assert count(seen + drain(host, 1.0), "completed", download_id) == 1

    final.unlink()
    missing = host.wait_event("missing", download_id)["data"]["download"]
    assert missing["state"] == "missing" and missing["path"] == str(final)
    assert count(drain(host, 1.0), "missing", download_id) == 0  # the one above was the only one
    assert host.close() == 0
