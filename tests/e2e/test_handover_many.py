"""A page that starts many downloads at once, in real Chromium with paxel's extension: 50 real
clicks in a row on 50 links whose server answers each request after 200 ms, so the takes
overlap. Every file must end up exactly once (in paxel's folder or in the browser's, the
exact bytes), none lost, none twice."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import socketserver
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from browser_chromium import Chromium
from browser_firefox import Firefox

from conftest import paxel_list, wait_for
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser

COUNT = 50
KiB = 1024
SIZE = 2 * 1024 * KiB
BROWSER_DELAY = 1.5   # > the time between the two tabs' clicks (Firefox's take ~0.5 s)


def test_fifty_clicks_at_once_each_file_ends_up_exactly_once(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    paxel_env.write_settings(open_panel_on_add=False)
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {json.dumps({'minSize': 0})}}})")
    urls = [faultserver.url(f"many-{i}.bin", size=64 * KiB + i, delay=200) for i in range(COUNT)]
    links = "".join(f'<a id="l{i}" href="{u}" style="display:inline-block;width:70px;height:40px">{i}</a>'
                    for i, u in enumerate(urls))
    html = f"<!doctype html><meta charset=utf-8><body style=margin:0>{links}"
    nginx.add_file("many.html", content=html.encode())
    tab = chromium.open_page(nginx.url("many.html"))
    # What the browser itself made a download of: a click that comes before the previous link's
    # answer cancels that navigation in the browser (with or without paxel): no download at all.
    chromium.in_extension("(globalThis.__created = [], chrome.downloads.onCreated.addListener("
                          "(d) => globalThis.__created.push(d.finalUrl || d.url)), true)")

    for i in range(COUNT):
        chromium.click(tab, f"#l{i}")

    def places() -> dict[str, list[Path]] | None:
        return where_each_ended(urls, set(chromium.in_extension("globalThis.__created")),
                                chromium.downloads_listed(), paxel_env)

    found = wait_for(places, 60, "every download the browser made to end in paxel or the browser")
    assert len(found) >= COUNT * 3 // 4, f"the browser made only {len(found)} downloads of {COUNT} clicks"
    each_exactly_once(found, chromium.downloads, faultserver, paxel_env, COUNT)


def where_each_ended(urls: list[str], created: set[str], browser_items: list[dict[str, Any]],
                     paxel_env: PaxelEnv) -> dict[str, list[Path]] | None:
    """Where each download the browser made ended (its file in the browser's folder, in paxel's,
    or both), once nothing is running in either; None while something still runs or a download
    the browser made has not ended anywhere yet."""
    found: dict[str, list[Path]] = {u: [] for u in urls}
    busy = False
    for item in browser_items:
        if item["url"] in found and item["state"] == "complete" and item["exists"]:
            found[item["url"]].append(Path(item["filename"]))
        busy |= item["state"] == "in_progress"
    for view in paxel_list(paxel_env):
        busy |= view["state"] not in ("completed", "failed", "cancelled")
        if view["url"] in found and view["state"] == "completed":
            found[view["url"]].append(Path(view["path"]))
    done = bool(created) and all(found[u] for u in created) and not busy
    return {u: found[u] for u in urls if u in created or found[u]} if done else None


def each_exactly_once(found: dict[str, list[Path]], browser_downloads: Path, faultserver: FaultServer,
                      paxel_env: PaxelEnv, clicks: int) -> None:
    """Each file in exactly one place with the server's bytes, and no stray file in the
    browser's folder."""
    for url, paths in found.items():
        assert len(paths) == 1, (url, paths)
        assert hashlib.sha256(paths[0].read_bytes()).hexdigest() == faultserver.sha256(url), url
    mine = {p for paths in found.values() for p in paths}
    extra = sorted(p.name for p in browser_downloads.iterdir() if p not in mine)
    assert extra == [], extra
    taken = sum(1 for v in paxel_list(paxel_env) if v["state"] == "completed")
    print(f"\n{len(found)} downloads of {clicks} clicks: {taken} with paxel, "
          f"{len(found) - taken} with the browser")


def by_cookie(conn: socket.socket) -> None:
    """A file that depends on who asks: with the site's SameSite=Strict cookie it is SIZE bytes,
    without it SIZE + 1 (another file at the same URL, as a per-user export would be). A
    browser's request (no Range) is answered after BROWSER_DELAY s, its body at ~1.3 MiB/s (so
    Firefox's own copy, which it keeps until paxel has taken the download, does not win)."""
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(65536)
        if not data:
            return
        head += data
    lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    body = (b"A" if "tab_strict=1" in fields.get("cookie", "") else b"B") * (SIZE + (
        0 if "tab_strict=1" in fields.get("cookie", "") else 1))
    wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", fields.get("range", ""))
    if wanted:
        first = int(wanted[1])
        last = min(int(wanted[2]) if wanted[2] else len(body) - 1, len(body) - 1)
        status = f"206 Partial Content\r\nContent-Range: bytes {first}-{last}/{len(body)}"
        body = body[first:last + 1]
    else:
        time.sleep(BROWSER_DELAY)
        status = "200 OK"
    conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
    for at in range(0, len(body), 64 * KiB):
        conn.sendall(body[at:at + 64 * KiB])
        if not wanted:
            time.sleep(0.05)


class ByCookie(socketserver.ThreadingTCPServer):
    """`by_cookie` on 127.0.0.1, a thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def __enter__(self) -> int:  # type: ignore[override]
        return int(self.server_address[1])

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class Answer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):
            by_cookie(self.request)


def test_two_tabs_asking_for_one_url_each_hand_paxel_their_own_request(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Tab A (a page on the file's own site: its SameSite=Strict cookie goes along) and tab B (a
    page on another site: it does not) click links to one URL 0.1 s apart. paxel must take A's
    download with A's request's Cookie and B's with B's: the server gives each its own file.
    Newest-first matching gave A's download B's request (and B's A's): paxel was answered the
    other file of another size and declined both."""
    paxel_env.write_settings(open_panel_on_add=False)
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {json.dumps({'minSize': 0})}}})")
    with ByCookie() as port:
        url = f"http://127.0.0.1:{port}/tabs.bin"
        nginx.add_file("tabs.html", content=(
            f'<!doctype html><a id=dl href="{url}" style="font-size:40px">download</a>').encode())
        site = chromium.open_page(nginx.url("tabs.html"))
        chromium.evaluate(site, "document.cookie = 'tab_strict=1; SameSite=Strict; path=/'")
        other = chromium.open_page(nginx.url("tabs.html").replace("127.0.0.1", "localhost"))

        chromium.click(site, "#dl")
        time.sleep(0.1)
        chromium.click(other, "#dl")

        def decided() -> list[dict[str, Any]] | None:
            trace: list[dict[str, Any]] = chromium.in_extension(
                "chrome.storage.session.get('trace').then(s => s.trace || [])")
            return trace if len(trace) >= 2 else None

        decisions = wait_for(decided, 30, "both downloads to be decided")
        assert [d["to"] for d in decisions] == ["paxel", "paxel"], decisions

        def both_done() -> list[dict[str, Any]] | None:
            views = [v for v in paxel_list(paxel_env) if v["url"] == url and v["state"] == "completed"]
            return views if len(views) == 2 else None

        views = wait_for(both_done, 30, "paxel to complete both")
    files = sorted(Path(v["path"]).read_bytes() for v in views)
    assert files == [b"A" * SIZE, b"B" * (SIZE + 1)]
    assert list(chromium.downloads.iterdir()) == []


def test_two_tabs_asking_for_one_url_each_hand_paxel_their_own_request_in_firefox(
        firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """The same in Firefox, whose webRequest events may come after `downloads.onCreated`."""
    paxel_env.write_settings(open_panel_on_add=False)
    firefox.set_settings(minSize=0)
    with ByCookie() as port:
        url = f"http://127.0.0.1:{port}/tabs.bin"
        nginx.add_file("tabs-ff.html", content=(
            f'<!doctype html><a id=dl href="{url}" style="font-size:40px">download</a>').encode())
        firefox.client.navigate(nginx.url("tabs-ff.html"))
        firefox.client.execute_script("document.cookie = 'tab_strict=1; SameSite=Strict; path=/'")
        site = firefox.client.current_window_handle
        other = firefox.client.open(type="tab")["handle"]
        firefox.client.switch_to_window(other)
        firefox.client.navigate(nginx.url("tabs-ff.html").replace("127.0.0.1", "localhost"))

        firefox.client.switch_to_window(site)
        firefox.click("#dl")
        firefox.client.switch_to_window(other)
        firefox.click("#dl")

        def both_done() -> list[dict[str, Any]] | None:
            views = [v for v in paxel_list(paxel_env) if v["url"] == url and v["state"] == "completed"]
            return views if len(views) == 2 else None

        try:
            views = wait_for(both_done, 30, "paxel to take and complete both")
        except AssertionError:
            print("decisions:", firefox.in_extension(
                "return browser.storage.session.get('trace').then(s => s.trace || [])"))
            raise
    files = sorted(Path(v["path"]).read_bytes() for v in views)
    assert files == [b"A" * SIZE, b"B" * (SIZE + 1)]


def test_a_link_clicked_twice_is_downloaded_once(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    """The user clicks a link, and again while paxel downloads it (impatience, a double click):
    one download, one file, no copy in the browser's folder."""
    paxel_env.write_settings(open_panel_on_add=False)
    # 4 connections at 512 KiB/s: ~4 s, so the second click surely finds it running
    settings = json.dumps({"minSize": 0, "connections": 4})
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {settings}}})")
    url = faultserver.url("twice.bin", size=8 * 1024 * KiB, trickle=512 * KiB)
    nginx.add_file("twice.html", content=(
        f'<!doctype html><a id=dl href="{url}" style="font-size:40px">download</a>').encode())
    tab = chromium.open_page(nginx.url("twice.html"))
    chromium.click(tab, "#dl")
    wait_for(lambda: [v for v in paxel_list(paxel_env) if v["state"] == "running"], 15, "paxel to start it")

    chromium.click(tab, "#dl")

    decisions = wait_for(lambda: (lambda t: t if len(t) >= 2 else None)(chromium.in_extension(
        "chrome.storage.session.get('trace').then(s => s.trace || [])")), 15, "the second decision")
    assert decisions[0]["to"] == "paxel" and "continues" in (decisions[0].get("detail") or ""), decisions[0]
    done = wait_for(lambda: [v for v in paxel_list(paxel_env) if v["state"] == "completed"], 30,
                    "paxel to finish")
    assert len(paxel_list(paxel_env)) == 1 and len(done) == 1
    assert hashlib.sha256(Path(done[0]["path"]).read_bytes()).hexdigest() == faultserver.sha256(url)
    assert list(chromium.downloads.iterdir()) == []


def test_a_link_clicked_twice_is_downloaded_once_in_firefox(
        firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    """Firefox keeps its own copy of each click going until paxel has taken it: the second
    click's copy is cancelled too, and paxel's one download goes on."""
    paxel_env.write_settings(open_panel_on_add=False)
    firefox.set_settings(minSize=0, connections=4)
    url = faultserver.url("twice-ff.bin", size=8 * 1024 * KiB, trickle=512 * KiB)
    nginx.add_file("twice-ff.html", content=(
        f'<!doctype html><a id=dl href="{url}" style="font-size:40px">download</a>').encode())
    firefox.client.navigate(nginx.url("twice-ff.html"))
    firefox.click("#dl")
    wait_for(lambda: [v for v in paxel_list(paxel_env) if v["state"] == "running"], 15, "paxel to start it")

    firefox.click("#dl")

    def decided() -> list[dict[str, Any]] | None:
        trace: list[dict[str, Any]] = firefox.in_extension(
            "return browser.storage.session.get('trace').then(s => s.trace || [])")
        return trace if len(trace) >= 2 else None

    decisions = wait_for(decided, 15, "the second decision")
    assert decisions[0]["to"] == "paxel" and "continues" in (decisions[0].get("detail") or ""), decisions[0]
    done = wait_for(lambda: [v for v in paxel_list(paxel_env) if v["state"] == "completed"], 30,
                    "paxel to finish")
    assert len(paxel_list(paxel_env)) == 1 and len(done) == 1
    assert hashlib.sha256(Path(done[0]["path"]).read_bytes()).hexdigest() == faultserver.sha256(url)
    wait_for(lambda: not any(firefox.downloads.iterdir()), 10, "Firefox to drop its own copies")


def test_many_clicks_in_firefox_each_file_ends_up_exactly_once(
        firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    """Firefox cannot hold a download: each of these small files races paxel's take (Firefox's
    copy may finish first, then paxel lets go; or paxel takes it and Firefox's copy goes).
    Whichever wins, each file must end up exactly once."""
    paxel_env.write_settings(open_panel_on_add=False)
    firefox.set_settings(minSize=0)
    count = 20
    urls = [faultserver.url(f"ffmany-{i}.bin", size=512 * KiB + i, trickle=1024 * KiB)
            for i in range(count)]
    links = "".join(f'<a id="l{i}" href="{u}" style="display:inline-block;width:70px;height:40px">{i}</a>'
                    for i, u in enumerate(urls))
    nginx.add_file("ffmany.html", content=f"<!doctype html><meta charset=utf-8><body>{links}".encode())
    firefox.client.navigate(nginx.url("ffmany.html"))
    firefox.chrome("""
        const { Downloads } = ChromeUtils.importESModule("resource://gre/modules/Downloads.sys.mjs");
        window.paxelTestSeen = [];
        return Downloads.getList(Downloads.ALL).then((list) => list.addView(
            { onDownloadAdded: (d) => { window.paxelTestSeen.push(d.source.url); } }));""")

    for i in range(count):
        firefox.click(f"#l{i}")

    def places() -> dict[str, list[Path]] | None:
        return where_each_ended(urls, set(firefox.chrome("return window.paxelTestSeen")),
                                firefox.downloads_listed(), paxel_env)

    found = wait_for(places, 60, "every download Firefox made to end in paxel or Firefox")
    assert len(found) >= count // 2, f"Firefox made only {len(found)} downloads of {count} clicks"
    time.sleep(1)   # a late `taken` let go of, or a copy removed, would show now
    found = places() or {}
    each_exactly_once(found, firefox.downloads, faultserver, paxel_env, count)
