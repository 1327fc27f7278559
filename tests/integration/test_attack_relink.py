"""Attacks on the hand-over's attach (docs/protocol.md "Expired links") through the real native
host, service and fault server: a click is attached to an unfinished download only when it is
that download's file, and never lets another site's bytes into a `.part`."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from support.faultserver import FaultServer
from support.paxel_env import NativeHost, PaxelEnv

MiB = 1024 * 1024
SIZE = 4 * MiB


def take(host: NativeHost, request_id: int, url: str, referrer: str, **expect: Any) -> dict[str, Any]:
    host.send({"id": request_id, "type": "take", "url": url, "source": "click", "referrer": referrer,
               "connections": 2, "expect": expect})
    reply = host.reply(request_id, timeout=20)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def ask(host: NativeHost, request_id: int, **request: Any) -> dict[str, Any]:
    host.send({"id": request_id, **request})
    reply: dict[str, Any] = host.reply(request_id)
    return reply


def paused_with_bytes(host: NativeHost, download_id: str, at_least: int) -> None:
    """Pause once `at_least` bytes are written, and wait until the service has recorded them."""
    while True:
        event = host.wait_event("progress", download_id)
        if any(d["download_id"] == download_id and d["done"] >= at_least for d in event["data"]["downloads"]):
            break
    assert ask(host, 90, type="pause", download_id=download_id)["ok"]
    host.wait_event("paused", download_id)
    deadline = time.monotonic() + 10
    while True:
        listed = {v["download_id"]: v for v in ask(host, 91, type="list")["result"]["downloads"]}
        if listed[download_id]["done"] >= at_least:
            return
        assert time.monotonic() < deadline, "the paused download never recorded its bytes"
        time.sleep(0.1)


def test_a_page_on_another_site_cannot_splice_its_bytes_into_a_paused_download(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A page on another site offers a file of the same name and size with the same (public)
    validator as a download the user paused: its click must not continue that `.part`, or the
    user's file is half the real one and half the attacker's (found: it was attached, and the
    engine continued the `.part` from the other site)."""
    host = paxel_env.host("chrome")
    host.hello()
    # A server that sends Last-Modified only (no ETag): the attacker copies it, as anyone can.
    real = faultserver.url("app.iso", size=SIZE, noetag=1, trickle=MiB)
    first = take(host, 2, real, referrer=f"{faultserver.base}/downloads.html", size=SIZE)
    assert first["outcome"] == "taken", first
    download_id = first["download"]["download_id"]
    paused_with_bytes(host, download_id, MiB)

    evil = faultserver.url("app.iso", other=True, size=SIZE, noetag=1, seed=666)
    assert faultserver.content(evil) != faultserver.content(real)
    lure = take(host, 3, evil, referrer=f"{faultserver.other_base}/free-stuff.html", size=SIZE)
    assert lure["outcome"] == "taken", lure
    assert lure.get("attached") is not True and lure["download"]["download_id"] != download_id, (
        "a click on another site was attached to the user's paused download")

    # The user's own download, resumed, is still the real file.
    assert ask(host, 4, type="resume", download_id=download_id)["ok"]
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert hashlib.sha256(Path(done["path"]).read_bytes()).hexdigest() == faultserver.sha256(real)
    assert host.close() == 0
