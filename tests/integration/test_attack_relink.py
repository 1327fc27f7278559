"""Attacks on the hand-over's attach (docs/protocol.md "Expired links") through the real native
host, service and fault server: a click is attached to an unfinished download only when it is
that download's file, and never lets another site's bytes into a `.part`."""

from __future__ import annotations

import hashlib
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import NativeHost, PaxelEnv

MiB = 1024 * 1024
SIZE = 4 * MiB


def take(host: NativeHost, request_id: int, url: str, referrer: str, **expect: Any) -> dict[str, Any]:
    return host.take(request_id, url, expect, referrer=referrer, connections=2)


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
    host.pause_written(download_id, MiB)

    evil = faultserver.url("app.iso", other=True, size=SIZE, noetag=1, seed=666)
    assert faultserver.content(evil) != faultserver.content(real)
    lure = take(host, 3, evil, referrer=f"{faultserver.other_base}/free-stuff.html", size=SIZE)
    assert lure["outcome"] == "taken", lure
    assert lure.get("attached") is not True and lure["download"]["download_id"] != download_id, (
        "a click on another site was attached to the user's paused download")

    # The user's own download, resumed, is still the real file.
    assert host.ask(4, type="resume", download_id=download_id)["ok"]
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert hashlib.sha256(Path(done["path"]).read_bytes()).hexdigest() == faultserver.sha256(real)
    assert host.close() == 0


def test_a_second_generated_export_of_the_same_name_and_size_is_not_swallowed_by_a_paused_one(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A web app generates `export.csv` per request, without validators: two exports of one size
    are two files. The second click must not take over the first, paused one: the engine cannot
    continue a `.part` without a validator, so an attach only throws the first export away (found:
    attached; the first download became the second export and the first was lost)."""
    host = paxel_env.host("chrome")
    host.hello()
    page = f"{faultserver.base}/app/reports"
    january = faultserver.url("export.csv", size=SIZE, seed=1, noetag=1, nolm=1, trickle=MiB)
    first = take(host, 2, january, referrer=page, size=SIZE, filename="export.csv")
    download_id = first["download"]["download_id"]
    host.pause_written(download_id, MiB)

    february = faultserver.url("export.csv", size=SIZE, seed=2, noetag=1, nolm=1)
    second = take(host, 3, february, referrer=page, size=SIZE, filename="export.csv")
    assert second["outcome"] == "taken", second
    assert second.get("attached") is not True, "another export took over the paused one"
    host.wait_event("completed", second["download"]["download_id"])
    assert host.ask(4, type="resume", download_id=download_id)["ok"]
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert hashlib.sha256(Path(done["path"]).read_bytes()).hexdigest() == faultserver.sha256(january)
    assert host.close() == 0


def test_two_files_of_one_nginx_with_the_same_name_size_and_mtime_are_not_spliced(
        paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """nginx's ETag is the file's mtime and size ("5f1e-400000"): two builds of `data.bin` in two
    folders, unpacked with one mtime, share it, and nothing else tells them apart. A click on the
    second must not continue the paused first's `.part` with its bytes (found: attached as
    VALIDATED, and the finished file was the first's start and the second's rest)."""
    host = paxel_env.host("chrome")
    host.hello()
    stamp = time.time() - 86400
    digests = {}
    for build in ("2025", "2026"):
        name = f"attack-relink/{build}/data.bin"
        digests[build] = nginx.add_file(name, SIZE)
        os.utime(nginx.data / name, (stamp, stamp))
    page = f"http://127.0.0.1:{nginx.port}/builds.html"
    old = nginx.url("attack-relink/2025/data.bin") + "?slow=1m"
    first = take(host, 2, old, referrer=page, size=SIZE)
    download_id = first["download"]["download_id"]
    host.pause_written(download_id, MiB)

    new = take(host, 3, nginx.url("attack-relink/2026/data.bin") + "?slow=1m", referrer=page, size=SIZE)
    assert new["outcome"] == "taken", new
    if new.get("attached") is True:   # then it must at least be the file it says it is
        done = host.wait_event("completed", download_id)["data"]["download"]
        got = hashlib.sha256(Path(done["path"]).read_bytes()).hexdigest()
        assert got == digests["2026"], "the finished file is neither build: two files spliced"
    assert host.close() == 0


def test_a_link_good_for_the_take_but_not_for_the_engine_is_not_a_lost_click(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A link that lets two requests through (a download counter, a token with seconds to live):
    the browser's own request, then paxel's take. The browser gives its download up at `taken`;
    the engine's first request then gets 403. The user must at least be told the link expired,
    and the next click must continue this download, not leave it dead beside a new one."""
    host = paxel_env.host("chrome")
    host.hello()
    page = f"{faultserver.base}/downloads.html"
    url = faultserver.signed_url("counted.bin", gets=2, size=SIZE)
    with urllib.request.urlopen(url) as browser:   # the browser's own request used the link once
        assert browser.status == 200
    first = take(host, 2, url, referrer=page, size=SIZE)
    assert first["outcome"] == "taken", first        # the take's probe was the second use
    download_id = first["download"]["download_id"]
    failed = host.wait_event("failed", download_id)["data"]["download"]
    assert failed["stop_reason"] == "link_expired", failed

    assert host.ask(3, type="refresh", download_id=download_id)["ok"]
    again = take(host, 4, faultserver.signed_url("counted.bin", size=SIZE), referrer=page, size=SIZE)
    assert again.get("attached") is True and again["download"]["download_id"] == download_id, again
    assert host.close() == 0


def test_an_open_redirect_on_the_site_does_not_bring_another_sites_bytes_into_a_refresh(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A download waits for a new link (its link expired, the user pressed Refresh link). A page
    elsewhere links to the site's own open redirect (`/go?to=...`), which sends paxel to another
    site serving the same name and size with the copied Last-Modified. The click's URL is on the
    download's server, but the answer, and its validators, come from the other one (found:
    attached, the `.part` continued with the other site's bytes)."""
    host = paxel_env.host("chrome")
    host.hello()
    real = faultserver.signed_url("app.iso", size=SIZE, noetag=1, trickle=MiB, exp_cut=1)
    first = take(host, 2, real, referrer=f"{faultserver.base}/downloads.html", size=SIZE)
    download_id = first["download"]["download_id"]
    host.wait_written(download_id, MiB)
    faultserver.expire(real)
    assert host.wait_event("failed", download_id)["data"]["download"]["stop_reason"] == "link_expired"
    assert host.ask(3, type="refresh", download_id=download_id)["ok"]

    evil = faultserver.url("app.iso", other=True, size=SIZE, noetag=1, seed=666)
    bounce = faultserver.url("go", location=evil)
    lure = take(host, 4, bounce, referrer=f"{faultserver.other_base}/free-stuff.html", size=SIZE)
    assert lure["outcome"] == "taken", lure
    assert lure.get("attached") is not True, "another site's answer was attached through a redirect"
    assert host.close() == 0
