"""Attacks on the two-phase hand-over (docs/protocol.md "Two-phase hand-over") through the real
native host, service and fault server, as an unlucky user or a strange server would make them.

The one invariant every test checks: paxel has a download for a click exactly when it answered
that click's `take` with `taken` (the browser then gives up its copy); for every other answer
(declined, an error, no answer) paxel has nothing, because the browser keeps its own. Either
way the file ends up exactly once, with the server's exact bytes.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from support.faultserver import FaultServer
from support.paxel_env import NativeHost, PaxelEnv

KiB = 1024
MiB = 1024 * KiB


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def send_take(host: NativeHost, request_id: int, url: str, **expect: Any) -> None:
    host.send({"id": request_id, "type": "take", "url": url, "source": "click", "expect": expect})


def replies(host: NativeHost, ids: set[int], timeout: float) -> dict[int, dict[str, Any]]:
    """The replies to every request in `ids`, whatever order they come in (events skipped)."""
    got: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(ids):
        message = host.recv(max(0.1, deadline - time.monotonic()))
        if message.get("id") in ids:
            got[message["id"]] = message
    return got


def listed(host: NativeHost, request_id: int) -> list[dict[str, Any]]:
    reply = host.ask(request_id, type="list")
    assert reply["ok"], reply
    views: list[dict[str, Any]] = reply["result"]["downloads"]
    return views


def wait_all_finished(host: NativeHost, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    n = 10_000
    while True:
        n += 1
        views = listed(host, n)
        if all(v["state"] in ("completed", "failed", "cancelled") for v in views):
            return views
        assert time.monotonic() < deadline, [(v["url"], v["state"]) for v in views]
        time.sleep(0.2)


def test_a_cookie_the_browser_sent_does_not_follow_a_take_to_another_host(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The browser's own Cookie header (captured from its request) belongs to the site it was
    sent to: a redirect of the take to another host must not carry it there."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("moved.bin", size=256 * KiB, redirect="other")
    result = host.take(2, url, {"size": 256 * KiB}, headers={"Cookie": "session=secret-of-the-site"})
    assert result["outcome"] in ("taken", "declined"), result
    other = faultserver.requests(server="other")
    assert other, "the redirect was not followed"
    assert all("secret-of-the-site" not in (r.cookie or "") for r in other), [r.headers for r in other]
    assert host.close() == 0


def test_a_take_answered_with_a_shifted_range_is_never_saved_shifted(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The take's answer is the file's first bytes only if the server says so: a 206 that starts
    elsewhere (honest Content-Range, bytes 100-...) must not be written at offset 0."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("shifted.bin", size=2 * MiB, badrange=100, badrange_times=1)
    result = host.take(2, url, {"size": 2 * MiB, "filename": "shifted.bin"})
    if result["outcome"] == "taken":
        download_id = result["download"]["download_id"]
        done = host.wait_event("completed", download_id)["data"]["download"]
        assert sha256(Path(done["path"])) == faultserver.sha256(url)
    else:
        assert listed(host, 3) == []
    assert host.close() == 0


def test_a_take_answered_with_another_total_is_declined(paxel_env: PaxelEnv,
                                                        faultserver: FaultServer) -> None:
    """The browser got 2 MiB; paxel's 206 says the file is 2 MiB + 1: not what the browser got."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("total.bin", size=2 * MiB, badtotal=1, badrange_times=1)
    result = host.take(2, url, {"size": 2 * MiB})
    assert result["outcome"] == "declined" and result["reason"] == "size", result
    assert listed(host, 3) == []
    assert host.close() == 0


def test_two_clicks_of_one_link_at_once_end_as_whole_files_and_nothing_dangles(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Two `take`s of the same link sent together (a double click): each taken answer names a
    download that completes with the exact bytes, and paxel has no download nobody took."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("twice.bin", size=3 * MiB, delay=300)
    send_take(host, 2, url, size=3 * MiB, filename="twice.bin")
    send_take(host, 3, url, size=3 * MiB, filename="twice.bin")
    got = replies(host, {2, 3}, 30)
    taken = {got[i]["result"]["download"]["download_id"] for i in (2, 3)
             if got[i]["ok"] and got[i]["result"]["outcome"] == "taken"}
    views = wait_all_finished(host)
    assert {v["download_id"] for v in views} == taken, (got, views)
    for view in views:
        assert view["state"] == "completed", view
        assert sha256(Path(view["path"])) == faultserver.sha256(url)
    assert len({v["path"] for v in views}) == len(views)
    assert host.close() == 0


def test_fifty_clicks_at_once_none_lost_none_doubled(paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A page that starts 50 downloads at once: every take is answered, within the extension's
    deadline; paxel has exactly the downloads it answered `taken` (the browser keeps the rest),
    each once, each complete and exact."""
    paxel_env.write_settings(open_panel_on_add=False)
    host = paxel_env.host("chrome")
    host.hello()
    urls = {100 + i: faultserver.url(f"many-{i}.bin", size=64 * KiB + i, delay=200) for i in range(50)}
    started = time.monotonic()
    for request_id, url in urls.items():
        n = request_id - 100
        send_take(host, request_id, url, size=64 * KiB + n, filename=f"many-{n}.bin")
    got = replies(host, set(urls), 40)
    answered_in = time.monotonic() - started
    taken_urls = {urls[i] for i, r in got.items() if r["ok"] and r["result"]["outcome"] == "taken"}
    views = wait_all_finished(host)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        by_url.setdefault(view["url"], []).append(view)
    assert set(by_url) == taken_urls, "paxel has a download it did not answer taken, or lost one"
    for url, same in by_url.items():
        assert len(same) == 1, same
        assert same[0]["state"] == "completed", same[0]
        assert sha256(Path(same[0]["path"])) == faultserver.sha256(url)
    print(f"\n{len(taken_urls)} of 50 taken, all answered in {answered_in:.2f} s")
    assert host.close() == 0


def test_a_click_while_the_service_stops_is_taken_only_if_it_is_kept(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """`paxel service stop` while a take waits for its server: a `taken` answer must name a
    download the next service still has (it resumes), anything else leaves paxel nothing."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("stopping.bin", size=MiB, delay=800)
    send_take(host, 2, url, size=MiB, filename="stopping.bin")
    time.sleep(0.3)   # the take is waiting for the server's answer
    paxel_env.paxel("service", "stop", check=False)
    try:
        reply: dict[str, Any] | None = replies(host, {2}, 15)[2]
    except AssertionError:   # the host went with the service: no answer, the browser keeps it
        reply = None
    host.close()
    taken = reply is not None and reply["ok"] and reply["result"]["outcome"] == "taken"
    print(f"\nthe take during the stop: {reply}")
    again = paxel_env.host("chrome")
    again.hello()
    views = wait_all_finished(again)
    if taken:
        assert [v["url"] for v in views] == [url], (reply, views)
        assert views[0]["state"] == "completed", views
        assert sha256(Path(views[0]["path"])) == faultserver.sha256(url)
    else:
        assert views == [], (reply, views)
    assert again.close() == 0


def test_clicks_answered_around_a_service_stop_are_kept_exactly_when_taken(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """30 takes whose servers answer over 1.5 s, and `paxel service stop` in the middle: some
    were answered before, some lose their service. A download paxel keeps must be one it
    answered `taken` (else the browser's copy is kept too: two copies), and each `taken` must be
    kept (else the browser let go of it for nothing: a lost click)."""
    paxel_env.write_settings(open_panel_on_add=False)
    host = paxel_env.host("chrome")
    host.hello()
    urls = {100 + i: faultserver.url(f"around-{i}.bin", size=32 * KiB, delay=50 * i) for i in range(30)}
    for request_id, url in urls.items():
        send_take(host, request_id, url, size=32 * KiB)
    time.sleep(0.7)
    paxel_env.paxel("service", "stop", check=False)
    got: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + 15
    while len(got) < len(urls) and time.monotonic() < deadline:
        try:
            message = host.recv(max(0.1, deadline - time.monotonic()))
        except AssertionError:
            break   # the host ended: the rest had no answer
        if message.get("id") in urls:
            got[message["id"]] = message
    host.close()
    taken = {urls[i] for i, r in got.items() if r["ok"] and r["result"]["outcome"] == "taken"}
    again = paxel_env.host("chrome")
    again.hello()
    views = wait_all_finished(again)
    kept = {v["url"] for v in views}
    print(f"\n{len(taken)} taken, {len(got)} answered, {len(kept)} kept")
    assert kept == taken, (sorted(kept - taken), sorted(taken - kept))
    assert all(v["state"] == "completed" for v in views), views
    assert again.close() == 0


def test_clicking_a_file_paxel_is_downloading_right_now_does_not_start_it_over(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The issue's rule for a second click: "while an unfinished copy exists: continue it, don't
    start over, without asking". A download that is running is the most unfinished of all: a
    second click on the same link (same path, same server, the same validators) must not
    fetch the whole file a second time beside it."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("busy.bin", size=4 * MiB, trickle=MiB)
    first = host.take(2, url, {"size": 4 * MiB, "filename": "busy.bin"}, connections=2)
    assert first["outcome"] == "taken", first
    download_id = first["download"]["download_id"]
    host.wait_written(download_id, 256 * KiB)
    again = host.take(3, url, {"size": 4 * MiB, "filename": "busy.bin"}, connections=2)
    views = listed(host, 4)
    print(f"\nsecond click: {again}\nlist: {[(v['download_id'], v['state']) for v in views]}")
    assert [v["download_id"] for v in views] == [download_id], "the second click started it over"
    assert again["outcome"] == "taken" and again["download"]["download_id"] == download_id, again
    assert again["attached"] is True and again["already"] is True, again   # a late one: left alone
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert sha256(Path(done["path"])) == faultserver.sha256(url)
    assert host.close() == 0


def paused_waiting_for_a_link(host: NativeHost, url: str, name: str) -> str:
    """A download of `url` paused with 512 KiB written, then asked to wait for a new link."""
    first = host.take(2, url, {"size": 4 * MiB, "filename": name}, connections=2, filename=name,
                      referrer="http://127.0.0.1/page.html")
    assert first["outcome"] == "taken", first
    download_id: str = first["download"]["download_id"]
    host.pause_written(download_id, 512 * KiB)
    refreshed = host.ask(3, type="refresh", download_id=download_id)
    assert refreshed["ok"], refreshed
    return download_id


def test_a_refreshed_link_to_another_file_of_the_same_name_and_size_is_not_attached(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The user asked to refresh a paused download; meanwhile the file behind the link changed
    (a new build of `app.iso`: same name, same size, new ETag and Last-Modified). The new click
    is another file: it must be a download of its own, and the paused one keep its bytes."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("app.iso", size=4 * MiB, trickle=MiB)
    download_id = paused_waiting_for_a_link(host, url, "app.iso")
    faultserver.change(url)
    fresh = faultserver.url("app.iso", size=4 * MiB, nonce="2")   # a fresh link to the new build
    again = host.take(4, fresh, {"size": 4 * MiB, "filename": "app.iso"}, connections=2)
    assert again["outcome"] == "taken", again
    assert again.get("attached") is not True and again["download"]["download_id"] != download_id, again
    done = host.wait_event("completed", again["download"]["download_id"])["data"]["download"]
    assert sha256(Path(done["path"])) == faultserver.sha256(fresh, version=1)
    old = {v["download_id"]: v for v in listed(host, 5)}[download_id]
    assert old["state"] == "paused" and old["done"] >= 512 * KiB, old
    assert host.close() == 0


def test_a_refreshed_link_whose_name_differs_only_by_case_and_unicode_form_is_attached(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The page now names the file `RE\u0301SUME\u0301.PDF` (upper case, decomposed accents)
    where the paused download is `résumé.pdf`: the same file, by the same-file rule."""
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("cv.bin", size=4 * MiB, trickle=MiB)
    download_id = paused_waiting_for_a_link(host, url, "résumé.pdf")
    again = host.take(4, faultserver.url("cv.bin", size=4 * MiB), {"size": 4 * MiB},
                      filename="RE\u0301SUME\u0301.PDF", connections=2)
    assert again["outcome"] == "taken" and again.get("attached") is True, again
    assert again["download"]["download_id"] == download_id
    done = host.wait_event("completed", download_id)["data"]["download"]
    assert sha256(Path(done["path"])) == faultserver.sha256(url)
    assert host.close() == 0
