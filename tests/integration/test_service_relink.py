"""Expired links through the real native host and service (docs/protocol.md "Expired links"): a
signed link that expires mid-download makes it `link_expired`; `refresh` gives the page; the next
`take` of the same file continues the old `.part` from the new link, re-fetching at most one
segment; a second click on a paused copy continues it; another file is never attached."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from support.faultserver import FaultServer
from support.paxel_env import NativeHost, PaxelEnv

MiB = 1024 * 1024
SIZE = 8 * MiB
# The first link's pace: 4 connections at 256 KiB/s need 8 s, so a loaded machine still has
# seconds between "3 MiB are in" and the test expiring the link (else the download may finish).
SLOW = 256 * 1024
PAGE = "http://127.0.0.1:9/files.html"


def take(host: NativeHost, request_id: int, url: str, cookie: str = "s=1", **expect: Any) -> dict[str, Any]:
    return host.take(request_id, url, expect, referrer=PAGE, headers={"Cookie": cookie}, connections=4)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served(faultserver: FaultServer, path: str) -> int:
    return sum(r.sent for r in faultserver.requests("GET") if r.path == path)


def test_an_expired_link_is_refreshed_and_its_part_continues(paxel_env: PaxelEnv,
                                                            faultserver: FaultServer) -> None:
    host = paxel_env.host("chrome")
    assert "refresh" in host.hello()["capabilities"]
    old = faultserver.signed_url("movie.bin", size=SIZE, trickle=SLOW, exp_cut=1)
    first = take(host, 2, old, size=SIZE, filename="movie.bin")
    assert first["outcome"] == "taken" and "attached" not in first, first
    download_id = first["download"]["download_id"]
    host.wait_written(download_id, 3 * MiB)  # a restart from 0 would re-fetch more than a segment

    faultserver.expire(old)

    failed = host.wait_event("failed", download_id)["data"]["download"]
    assert (failed["state"], failed["stop_reason"], failed["error"]["name"]) == ("failed", "link_expired",
                                                                                "HTTP_STATUS")
    assert failed["done"] >= 3 * MiB and "403" in failed["error"]["message"]
    # Retrying the dead link fails again the same way; the page is where a new one is found.
    refreshed = host.ask(3, type="refresh", download_id=download_id)
    assert refreshed["ok"] and refreshed["result"]["page"] == PAGE, refreshed
    assert refreshed["result"]["download"]["state"] == "failed"

    new = faultserver.signed_url("movie.bin", size=SIZE)
    again = take(host, 4, new, cookie="s=2", size=SIZE, filename="movie.bin")

    assert again["outcome"] == "taken" and again["attached"] is True, again
    assert again["download"]["download_id"] == download_id
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert done["url"] == new and sha256(Path(done["path"])) == faultserver.sha256(new)
    listed = host.ask(5, type="list")["result"]["downloads"]
    assert [v["download_id"] for v in listed] == [download_id]
    # After the attach every request went to the new link with the new request's cookie.
    after = [r for r in faultserver.requests("GET") if "sig=" in r.target and r.target.split("?")[1] in new]
    assert after and {r.cookie for r in after} == {"s=2"}
    assert all(r.status in (200, 206) for r in after)
    refetched = served(faultserver, "/movie.bin") - SIZE
    segment = SIZE // 4
    print(f"\nre-fetched after the refresh: {refetched} bytes (one segment: {segment})")
    assert refetched <= segment
    assert host.close() == 0


def test_a_second_click_continues_a_paused_copy_and_another_file_is_not_attached(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    first = take(host, 2, faultserver.signed_url("iso.bin", size=SIZE, trickle=SLOW), size=SIZE)
    download_id = first["download"]["download_id"]
    host.pause_written(download_id, MiB)

    # Another file of the same name (another size) is a download of its own.
    other = take(host, 5, faultserver.url("iso.bin", size=SIZE + 1, seed=7), size=SIZE + 1)
    assert other["outcome"] == "taken" and "attached" not in other
    assert other["download"]["download_id"] != download_id
    host.wait_event("completed", other["download"]["download_id"])

    # The same file again, from a new link: no question, the paused copy continues.
    again_url = faultserver.signed_url("iso.bin", size=SIZE)
    again = take(host, 6, again_url, size=SIZE)
    assert again["attached"] is True and again["download"]["download_id"] == download_id
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert done["filename"] == "iso.bin" and sha256(Path(done["path"])) == faultserver.sha256(again_url)
    # The paused bytes were kept: both links together served the file once, plus at most one
    # segment (the other file, another size, got a name of its own and is counted apart).
    assert served(faultserver, "/iso.bin") - (SIZE + 1) - SIZE <= SIZE // 4
    assert host.close() == 0


def test_refresh_needs_a_stopped_download_and_a_link_dead_before_any_byte_is_declined(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    running = take(host, 2, faultserver.url("r.bin", size=SIZE, trickle=MiB), size=SIZE)
    download_id = running["download"]["download_id"]
    refused = host.ask(3, type="refresh", download_id=download_id)
    assert not refused["ok"] and refused["error"]["name"] == "BAD_STATE", refused
    assert not host.ask(4, type="refresh", download_id="d-nope")["ok"]

    dead = faultserver.signed_url("dead.bin", gets=0, size=SIZE)
    declined = take(host, 5, dead, size=SIZE)
    assert (declined["outcome"], declined["reason"]) == ("declined", "status"), declined
    assert host.ask(6, type="cancel", download_id=download_id)["ok"]
    assert host.close() == 0


def test_an_attached_download_continues_its_part_after_a_service_restart(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Which link an attached download replaces is read from its `.part`'s state, not kept in
    memory: attached while another download holds the only slot, then the service restarts
    before the engine ever ran it with the new link."""
    paxel_env.write_settings(max_concurrent=1)
    host = paxel_env.host("chrome")
    host.hello()
    old = faultserver.signed_url("kept.bin", size=SIZE, trickle=SLOW, exp_cut=1)
    download_id = take(host, 2, old, size=SIZE)["download"]["download_id"]
    host.wait_written(download_id, 3 * MiB)
    faultserver.expire(old)
    assert host.wait_event("failed", download_id)["data"]["download"]["stop_reason"] == "link_expired"
    # The blocker holds the only slot for 32 s (4 x 64 KiB/s): at 8 s a loaded machine could
    # see it finish before the restart, and the attached download run (and complete) before it.
    blocker = take(host, 3, faultserver.url("blocker.bin", size=SIZE, trickle=64 * 1024), size=SIZE)
    host.wait_event("progress", blocker["download"]["download_id"])
    new = faultserver.signed_url("kept.bin", size=SIZE)
    attached = take(host, 4, new, size=SIZE)
    assert attached["attached"] is True and attached["download"]["state"] == "queued", attached
    assert host.close() == 0

    paxel_env.stop_service()
    host = paxel_env.host("chrome")
    host.hello()
    assert host.ask(5, type="cancel", download_id=blocker["download"]["download_id"])["ok"]

    # Asked, not awaited as an event: at full speed it can complete before this host's hello
    # reached the new service (which resumes its queue as it starts), and that event went to
    # nobody (a client lists what it missed).
    done = None
    deadline = time.monotonic() + 60
    for request_id in range(100, 10_000):
        listed = host.ask(request_id, type="list")["result"]["downloads"]
        done = next(d for d in listed if d["download_id"] == download_id)
        if done["state"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert done is not None and done["state"] == "completed", done
    assert sha256(Path(done["path"])) == faultserver.sha256(new)
    refetched = served(faultserver, "/kept.bin") - SIZE
    assert refetched <= SIZE // 4, f"{refetched} bytes fetched again: the .part was not continued"
    assert host.close() == 0
