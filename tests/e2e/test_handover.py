"""The hand-over on the real web, in both browsers: what cannot be replayed stays with the
browser, and what paxel takes it fetches with the headers the browser really sent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_chromium import Chromium
from browser_firefox import Firefox

from conftest import (
    MiB,
    browser_finished,
    link_page,
    native_hosts,
    paxel_download,
    paxel_list,
    sha256,
    wait_for,
)
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

Browser = Chromium | Firefox
pytestmark = pytest.mark.browser


@pytest.fixture(params=["chromium", "firefox"])
def browser(request: pytest.FixtureRequest) -> Browser:
    started: Browser = request.getfixturevalue(request.param)
    return started


class Tab:
    """One page in either browser: Chromium by CDP session, Firefox by Marionette's current tab."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.url = url
        if isinstance(browser, Chromium):
            self.session = browser.open_page(url)
        else:
            browser.client.navigate(url)

    def run(self, expression: str) -> Any:
        if isinstance(self.browser, Chromium):
            return self.browser.evaluate(self.session, expression)
        return self.browser.client.execute_script(f"return {expression}")

    def click(self, selector: str) -> None:
        if isinstance(self.browser, Chromium):
            self.browser.click(self.session, selector)
        else:
            self.browser.click(selector)


def in_extension(browser: Browser, expression: str) -> Any:
    """`expression` (may be a promise) evaluated in the extension; `api` is browser/chrome."""
    if isinstance(browser, Chromium):
        return browser.in_extension(f"(api => {expression})(chrome)")
    return browser.in_extension(f"return (api => {expression})(browser)")


def set_settings(browser: Browser, **settings: object) -> None:
    in_extension(browser, f"api.storage.sync.set({{settings: {json.dumps(settings)}}})")


def trace(browser: Browser) -> list[dict[str, Any]]:
    decisions: list[dict[str, Any]] = in_extension(
        browser, "api.storage.session.get('trace').then(s => s.trace || [])")
    return decisions


def page(nginx: Nginx, name: str, body: str) -> str:
    html = f"<!doctype html><meta charset=utf-8><title>paxel e2e</title>{body}"
    nginx.add_file(name, content=html.encode())
    return nginx.url(name)


BUTTON = 'style="font-size:40px;margin:20px"'
# Firefox keeps its own copy until paxel has taken the download (it cannot hold one): a file
# paxel should get is served at 2 MiB/s per connection (`?slow=2m`): Firefox's one connection
# needs 8 s, paxel's eight 1 s.
SLOW_SIZE = 16 * MiB


def test_post_form_stays_with_the_browser_and_a_post_answered_303_goes_to_paxel(
        browser: Browser, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    set_settings(browser, minSize=0)  # nothing but the POST rule may keep these from paxel
    tag = type(browser).__name__.lower()
    posted = f"ho-form-{tag}.bin"
    redirected = f"ho-303-{tag}.bin"
    digest = nginx.add_file(posted, 2 * MiB)
    digest_303 = nginx.add_file(redirected, SLOW_SIZE)
    tab = Tab(browser, page(nginx, f"ho-form-{tag}.html", (
        f'<form method=post action="/form/{posted}"><input type=hidden name=q value=1>'
        f'<button id=post {BUTTON}>export</button></form>'
        f'<form method=post action="/see-other/{redirected}?slow=2m">'
        f'<button id=see {BUTTON}>export 303</button></form>')))
    nginx.clear_log()

    tab.click("#post")

    done = browser_finished(browser, "the browser to keep the POST download")
    assert [Path(d["filename"]).name for d in done] == [posted]
    assert sha256(browser.downloads / posted) == digest
    assert all(line.method == "POST" for line in nginx.log() if posted in line.request), nginx.log()

    tab.click("#see")

    final_url = nginx.url(redirected) + "?slow=2m"
    view = wait_for(lambda: paxel_download(paxel_env, final_url, "completed"), 30,
                    "paxel to take the 303's GET")
    assert sha256(Path(view["path"])) == digest_303
    assert sorted(p.name for p in browser.downloads.iterdir()) == [posted]
    assert [v["filename"] for v in paxel_list(paxel_env)] == [redirected]
    decisions = wait_for(lambda: trace(browser)[:2] if len(trace(browser)) >= 2 else None, 10,
                         "two decisions")
    assert [(d["to"], d["reason"], d.get("request")) for d in decisions] == [
        ("paxel", "rules-matched", "seen"), ("browser", "post", None)]


def one_identity(nginx: Nginx, name: str) -> tuple[str, str, str]:
    """The browser's own request comes first, then paxel's (probe and segments): all of them
    must carry the same Cookie, Referer, User-Agent, Accept-Language and Origin. Returns
    (Cookie, Referer, Origin)."""
    lines = [line for line in nginx.log() if line.request.split("?")[0] == f"/files/{name}"]
    assert len(lines) >= 2, lines
    sent = {(line.cookie, line.referer, line.user_agent, line.accept_language, line.origin) for line in lines}
    assert len(sent) == 1, lines
    cookie, referer, agent, language, origin = sent.pop()
    assert agent and language, lines
    return cookie, referer, origin


def test_link_with_download_attribute_paxel_sends_what_the_browser_sent(
        browser: Browser, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Firefox fetches `<a download>` as a navigation: paxel sends what it sent. Chromium fetches
    it outside any navigation (webRequest type "other", whose onSendHeaders lacks Cookie and
    Referer even with extraHeaders): the request counts as not seen, and paxel gets the cookie
    store's cookies and the download's referrer, as the trace says."""
    set_settings(browser, minSize=0)
    tag = type(browser).__name__.lower()
    name = f"ho-attr-{tag}.bin"
    digest = nginx.add_file(name, SLOW_SIZE)
    url = nginx.url(name) + "?slow=2m"
    link = f'<a id=dl download href="{url}" {BUTTON}>download</a>'
    tab = Tab(browser, page(nginx, f"ho-attr-{tag}.html", link))
    tab.run("(document.cookie = 'ho_strict=1; SameSite=Strict; path=/', document.cookie)")
    nginx.clear_log()

    tab.click("#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    if isinstance(browser, Firefox):
        assert one_identity(nginx, name)[:2] == ("ho_strict=1", tab.url)
        assert trace(browser)[0]["request"] == "seen"
    else:
        lines = [line for line in nginx.log() if line.request.split("?")[0] == f"/files/{name}"]
        assert {(line.cookie, line.referer) for line in lines} == {("ho_strict=1", tab.url)}, lines
        assert trace(browser)[0]["request"] == "cookies"


def test_cross_site_link_paxel_sends_exactly_what_the_browser_sent(
        browser: Browser, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Two sites on loopback: the page on `localhost`, the file on `127.0.0.1` (a host's site is
    its name, so no DNS tricks are needed and paxel's service reaches the same server). The
    SameSite=Strict cookie is not sent on the cross-site click; cookies.getAll would have given
    it to paxel."""
    set_settings(browser, minSize=0)
    tag = type(browser).__name__.lower()
    name = f"ho-site-{tag}.bin"
    digest = nginx.add_file(name, SLOW_SIZE)
    url = nginx.url(name) + "?slow=2m"
    Tab(browser, page(nginx, f"ho-cookies-{tag}.html", "cookies")).run(
        "(document.cookie = 'ho_strict=1; SameSite=Strict; path=/',"
        " document.cookie = 'ho_lax=1; SameSite=Lax; path=/', document.cookie)")
    link = page(nginx, f"ho-site-{tag}.html", f'<a id=dl href="{url}" {BUTTON}>download</a>')
    nginx.clear_log()

    Tab(browser, link.replace("127.0.0.1", "localhost")).click("#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    assert one_identity(nginx, name) == ("ho_lax=1", f"http://localhost:{nginx.port}/", "")
    assert trace(browser)[0]["request"] == "seen"
    wait_for(lambda: not any(d["url"] == url for d in browser.downloads_listed()), 10,
             "the browser to erase its entry")
    assert list(browser.downloads.iterdir()) == []


def test_popup_switch_lets_the_next_download_go_to_the_browser_and_the_trace_says_so(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    set_settings(chromium, minSize=0)
    digest = nginx.add_file("ho-bypass.bin", 2 * MiB)
    url = nginx.url("ho-bypass.bin")
    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html")
    # ~0.2 s after it opens the popup learns the service's state and shows its help line ("paxel
    # is stopped…"): the switch moves 39 px down, and a click aimed before lands above it (1 in 3).
    known = "document.getElementById('host-status').dataset.state !== 'unknown'"
    wait_for(lambda: chromium.evaluate(popup, known), 10, "the popup to know the service's state")
    chromium.click(popup, "#bypass-next")
    armed = "chrome.storage.session.get('bypassNext').then(s => s.bypassNext)"
    wait_for(lambda: chromium.in_extension(armed), 10, "the switch to reach the background")
    page = chromium.open_page(link_page(nginx, "ho-bypass.html", url))

    chromium.click(page, "#dl")

    done = browser_finished(chromium, "the browser to keep the download the user let go")
    assert sha256(Path(done[0]["filename"])) == digest
    assert paxel_list(paxel_env) == []
    # One download only: the switch is off again, and the popup shows why this one stayed.
    wait_for(lambda: chromium.evaluate(popup, "!document.getElementById('bypass-next').checked"), 10,
             "the switch to reset")
    line = wait_for(lambda: chromium.evaluate(
        popup, "document.querySelector('#trace-list li[data-reason=bypass] .why')?.textContent"), 10,
        "the trace line")
    assert "browser: you let this one go to the browser" in line


def test_keyboard_shortcut_lets_the_next_download_go_to_the_browser(
        chromium_factory: Callable[..., Chromium], paxel_env: PaxelEnv, nginx: Nginx, xvfb: Xvfb) -> None:
    """Real key events (xdotool on Xvfb): the manifest's `commands` shortcut, as a user presses it."""
    env = {**paxel_env.env, "DISPLAY": xvfb.display}
    browser = chromium_factory(headless=False, env=env)
    set_settings(browser, minSize=0)
    digest = nginx.add_file("ho-key.bin", 2 * MiB)
    page = browser.open_page(link_page(nginx, "ho-key.html", nginx.url("ho-key.bin")))
    browser.send("Target.activateTarget", {"targetId": browser.target_of(page)})
    x, y = browser.screen_point(page, "body")  # focus the page, away from the link
    subprocess.run(["xdotool", "mousemove", str(x), str(y + 200), "click", "1"], env=env, check=True)

    subprocess.run(["xdotool", "key", "alt+shift+j"], env=env, check=True)

    wait_for(lambda: browser.in_extension("chrome.storage.session.get('bypassNext').then(s => s.bypassNext)"),
             5, "the shortcut to arm the switch")
    browser.click(page, "#dl")
    done = browser_finished(browser, "the browser to keep the download")
    assert sha256(Path(done[0]["filename"])) == digest
    assert paxel_list(paxel_env) == []
    assert trace(browser)[0]["reason"] == "bypass"


def test_one_time_link_and_login_page_stay_with_the_browser(
        browser: Browser, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    """What paxel cannot fetch the way the browser did goes back to the browser: a link whose token
    the browser's request used (410 from the second request on), and a site that answers
    anything but a browser navigation with a "please log in" page (200, text/html)."""
    set_settings(browser, minSize=0)
    tag = type(browser).__name__.lower()
    once = faultserver.url(f"once-{tag}.bin", size=MiB, status=410, status_from=1, status_times=100)
    gated_name = f"gated-{tag}.bin"
    gated_digest = nginx.add_file(gated_name, MiB)
    tab = Tab(browser, page(nginx, f"ho-decline-{tag}.html", (
        f'<a id=once href="{once}" {BUTTON}>once</a>'
        f'<a id=gated href="{nginx.url(gated_name, "gated")}" {BUTTON}>gated</a>')))

    tab.click("#once")
    browser_finished(browser, "the browser to keep the one-time download")
    tab.click("#gated")
    wait_for(lambda: len([d for d in browser.downloads_listed() if d["state"] == "complete"]) == 2, 20,
             "the browser to keep the gated download")

    assert sha256(browser.downloads / f"once-{tag}.bin") == faultserver.sha256(once)
    assert sha256(browser.downloads / gated_name) == gated_digest
    assert sorted(p.name for p in browser.downloads.iterdir()) == sorted([f"once-{tag}.bin", gated_name])
    # Firefox's own copy may finish before paxel's answer: wait for both decisions.
    decisions = wait_for(lambda: trace(browser)[:2] if len(trace(browser)) >= 2 else None, 20,
                         "two decisions")
    assert paxel_list(paxel_env) == []
    assert [(d["to"], d["reason"]) for d in decisions] == [("browser", "declined")] * 2, decisions
    why = {d["name"]: d["detail"] for d in decisions}  # Firefox may decide the second click first
    assert "410" in why[f"once-{tag}.bin"] and "HTML page" in why[gated_name], decisions


def test_no_answer_within_the_deadline_the_browser_keeps_it_and_a_late_taken_is_let_go(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """The native host is stopped (SIGSTOP) with the port open, so `take` waits in its pipe: at
    the deadline the extension lets Chromium go on; once the host runs again paxel takes it after
    all, and the extension removes paxel's copy at once. One copy: the browser's. The deadline is
    10 s (extension/test/takeover.test.mjs); this test stores a 2 s one (storage.session
    `takeDeadlineMs`, lib/takeover.js) instead of waiting 8 s more for the same path."""
    set_settings(chromium, minSize=0)
    in_extension(chromium, "api.storage.session.set({takeDeadlineMs: 2000})")
    digest = nginx.add_file("ho-late.bin", 2 * MiB)
    url = nginx.url("ho-late.bin")
    # The popup opens the port; it starts no service (hello start:false): one is running already.
    paxel_env.paxel("service", "start")
    wait_for(lambda: paxel_env.service_pid(), 10, "the service")
    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html")
    # Connected first: a host caught while its hello is still on its way (the popup polls every
    # second until it is connected) would hold the click's hello, not its take, past the deadline.
    wait_for(lambda: chromium.evaluate(popup, "document.getElementById('host-status').dataset.state")
             == "connected", 10, "the popup to connect")
    host = wait_for(lambda: native_hosts(chromium), 10, "the native host")[0]
    page = chromium.open_page(link_page(nginx, "ho-late.html", url))
    os.kill(host.pid, signal.SIGSTOP)
    try:
        clicked = time.monotonic()
        chromium.click(page, "#dl")
        done = browser_finished(chromium, "the browser to go on after the deadline")
        assert time.monotonic() - clicked < 9, "the stored 2 s deadline was not the one kept"
        assert paxel_list(paxel_env) == []
    finally:
        os.kill(host.pid, signal.SIGCONT)

    assert sha256(Path(done[0]["filename"])) == digest
    assert trace(chromium)[0]["reason"] == "timeout", trace(chromium)
    # paxel took it late (its request was only delayed) and was told to let go: no second copy.
    wait_for(lambda: [line for line in nginx.log()
                      if line.request == "/files/ho-late.bin" and line.range == "bytes=0-1048575"], 20,
             "paxel's late first request")

    def dropped() -> bool:
        files = list(paxel_env.downloads.iterdir()) if paxel_env.downloads.exists() else []
        return paxel_download(paxel_env, url) is None and not files

    wait_for(dropped, 20, "paxel to drop its late copy")
    added = [line for line in (paxel_env.state_dir / "service.log").read_text().splitlines()
             if " added " in line and url in line]
    assert len(added) == 1, "paxel took it late (queued it) before it was told to let go"
