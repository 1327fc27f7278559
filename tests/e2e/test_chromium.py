"""paxel's extension in a real Chromium: clicks, context menu, popup, and the fallbacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from browser_chromium import Chromium

from conftest import (
    MiB,
    browser_finished,
    link_page,
    native_hosts,
    paxel_download,
    paxel_list,
    paxel_view,
    settled,
    sha256,
    wait_for,
)
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb


def set_settings(browser: Chromium, **settings: object) -> None:
    browser.in_extension(f"chrome.storage.sync.set({{settings: {json.dumps(settings)}}})")


def assert_browser_kept_nothing(browser: Chromium, url: str) -> None:
    wait_for(lambda: not any(d["url"] == url for d in browser.downloads_listed()), 10,
             "the browser to erase its own entry")
    assert list(browser.downloads.iterdir()) == []


def native_host(browser: Chromium) -> psutil.Process:
    """The one paxel-host process this browser started (its native port's other end)."""
    hosts = native_hosts(browser)
    assert len(hosts) == 1, hosts
    return hosts[0]


def test_extension_loads_with_the_registered_id(chromium: Chromium) -> None:
    assert chromium.in_extension("chrome.runtime.id") == CHROMIUM_DEV_EXTENSION_ID
    assert chromium.in_extension("chrome.runtime.getManifest().background.type") == "module"


def test_click_on_cookie_protected_link_goes_to_paxel(chromium: Chromium, paxel_env: PaxelEnv,
                                                      nginx: Nginx) -> None:
    digest = nginx.add_file("chr-click.bin", 3 * MiB)
    url = nginx.url("chr-click.bin", "private")
    page = chromium.open_page(link_page(nginx, "chr-click.html", url))
    chromium.evaluate(page, "document.cookie = 'paxel_session=letmein; path=/'")
    nginx.clear_log()

    chromium.click(page, "#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    assert Path(view["path"]).parent == paxel_env.downloads
    assert_browser_kept_nothing(chromium, url)
    notification = f"paxel:file:{view['download_id']}"
    wait_for(lambda: notification in chromium.in_extension("chrome.notifications.getAll()"), 10,
             "the completion notification")
    assert chromium.in_extension("chrome.action.getBadgeText({})") == ""
    private = [line for line in nginx.log() if line.request.startswith("/private/chr-click.bin")]
    assert private and all(line.status in (200, 206) for line in private), private
    assert all("paxel_session=letmein" in line.cookie for line in private)


def test_a_download_the_browser_did_not_start_is_not_its_to_announce(chromium: Chromium, paxel_env: PaxelEnv,
                                                                    nginx: Nginx) -> None:
    # Issue 12, item 7: the service picks one announcer per outcome; a CLI download goes to the
    # desktop, so this browser (connected, with its popup open, receiving the event) stays quiet.
    nginx.add_file("chr-cli.bin", 1 * MiB)
    paxel_env.paxel("service", "start")  # the popup starts none (hello start:false)
    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html")
    wait_for(lambda: chromium.evaluate(popup, "document.getElementById('host-status').dataset.state")
             == "connected", 10, "the popup to connect")
    added = json.loads(paxel_env.paxel("add", nginx.url("chr-cli.bin"), "--json").stdout)
    row = f"li.download[data-id='{added['download_id']}'][data-state=completed]"
    wait_for(lambda: chromium.evaluate(popup, f"document.querySelector({json.dumps(row)}) !== null"), 20,
             "the popup to show it completed (the event reached this browser)")
    time.sleep(0.5)
    shown = chromium.in_extension("chrome.notifications.getAll()")
    assert not any(added["download_id"] in key for key in shown), shown


def test_context_menu_handler_sends_link_with_page_as_referrer(chromium: Chromium, paxel_env: PaxelEnv,
                                                               nginx: Nginx) -> None:
    digest = nginx.add_file("chr-menu.bin", 2 * MiB)
    url = nginx.url("chr-menu.bin", "private")
    page_url = link_page(nginx, "chr-menu.html", url)
    page = chromium.open_page(page_url)
    chromium.evaluate(page, "document.cookie = 'paxel_session=letmein; path=/'")

    # Headless Chromium draws no native menu: call the menu's own onClicked handler.
    result = chromium.in_extension(f"""
        chrome.tabs.query({{}}).then(tabs => globalThis.paxel.onMenuClicked(
            {{menuItemId: globalThis.paxel.MENU_ID, linkUrl: {json.dumps(url)},
              pageUrl: {json.dumps(page_url)}, frameId: 0}}, tabs.find(t => !t.incognito)))""")
    assert result["url"] == url

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    assert chromium.downloads_listed() == []


def test_host_not_registered_browser_downloads_itself(chromium_factory: Callable[..., Chromium],
                                                      paxel_env: PaxelEnv, nginx: Nginx) -> None:
    browser = chromium_factory(register=False)
    digest = nginx.add_file("chr-nohost.bin", 2 * MiB)
    url = nginx.url("chr-nohost.bin")
    page = browser.open_page(link_page(nginx, "chr-nohost.html", url))

    browser.click(page, "#dl")

    done = browser_finished(browser, "the browser to finish the download itself")
    assert [d["url"] for d in done] == [url]
    assert sha256(Path(done[0]["filename"])) == digest
    assert Path(done[0]["filename"]).parent == browser.downloads
    status = browser.in_extension("chrome.storage.session.get('hostStatus').then(s => s.hostStatus)")
    assert status["state"] == "not_installed"
    assert status["message"] == "Specified native messaging host not found."
    assert paxel_env.service_pid() is None


def test_below_minimum_size_browser_keeps_it(chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    set_settings(chromium, minSize=MiB)
    digest = nginx.add_file("chr-small.bin", 100 * 1024)
    url = nginx.url("chr-small.bin")
    page = chromium.open_page(link_page(nginx, "chr-small.html", url))

    chromium.click(page, "#dl")

    done = browser_finished(chromium, "the browser to keep and finish the small file")
    assert sha256(Path(done[0]["filename"])) == digest
    assert paxel_env.service_pid() is None or paxel_download(paxel_env, url) is None


def test_popup_shows_progress_and_pauses_in_the_service(chromium: Chromium, paxel_env: PaxelEnv,
                                                        nginx: Nginx) -> None:
    set_settings(chromium, connections=2)
    nginx.add_file("chr-slow.bin", 96 * MiB)
    url = nginx.url("chr-slow.bin", "capped")  # 2 connections at 8 MiB/s: ~6 s
    page = chromium.open_page(link_page(nginx, "chr-slow.html", url))
    chromium.click(page, "#dl")
    wait_for(lambda: paxel_download(paxel_env, url, "running"), 15, "paxel to start it")

    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html")
    row = "#downloads li.download[data-state=running]"
    read_width = f"(document.querySelector('{row} .bar .fill') || {{style: {{}}}}).style.width"
    first = wait_for(lambda: chromium.evaluate(popup, read_width), 10, "a progress bar in the popup")
    wait_for(lambda: chromium.evaluate(popup, read_width) not in ("", first), 10, "the bar to move")
    # one block per connection (a view from between two engine snapshots may have none yet)
    wait_for(lambda: chromium.evaluate(popup, f"document.querySelectorAll('{row} .segment').length") == 2, 5,
             "one segment block per connection")
    assert chromium.evaluate(popup, "document.getElementById('host-status').dataset.state") == "connected"
    assert chromium.in_extension("chrome.action.getBadgeText({})") == "1"

    chromium.click(popup, f"{row} button[data-action=pause]")

    paused = wait_for(lambda: paxel_download(paxel_env, url, "paused"), 10, "the service to pause it")
    done = settled(lambda: paxel_view(paxel_env, paused["download_id"], "paused")["done"], "paused bytes")
    assert done < 96 * MiB
    resume = "li.download[data-state=paused] button[data-action=resume]"
    wait_for(lambda: chromium.evaluate(popup, f"document.querySelector('{resume}') !== null"), 5,
             "the popup to offer resume")
    paxel_env.paxel("cancel", paused["download_id"])


def test_popup_shows_a_refused_pause_on_the_download_and_stays_connected(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    # Pause pressed on a download the service has completed meanwhile, made certain instead of
    # raced: the native host is stopped (SIGSTOP) while the popup still shows it running, so the
    # completion event and the pause request both wait in its pipes; the pause reaches the
    # service after completion and paxel answers BAD_STATE.
    set_settings(chromium, connections=1)
    digest = nginx.add_file("chr-refuse.bin", 40 * MiB)
    url = nginx.url("chr-refuse.bin", "capped")  # 1 connection at 8 MiB/s: ~5 s
    page = chromium.open_page(link_page(nginx, "chr-refuse.html", url))
    chromium.click(page, "#dl")
    running = wait_for(lambda: paxel_download(paxel_env, url, "running"), 15, "paxel to start it")
    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html")
    row = f"#downloads li.download[data-id='{running['download_id']}']"
    pause = f"{row}[data-state=running] button[data-action=pause]"
    wait_for(lambda: chromium.evaluate(popup, f"document.querySelector({json.dumps(pause)}) !== null"), 10,
             "the popup to offer pause")
    host = native_host(chromium)

    os.kill(host.pid, signal.SIGSTOP)
    try:
        view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "the service to complete it")
        assert chromium.evaluate(popup, f"document.querySelector({json.dumps(pause)}) !== null"), \
            "the download completed before the host was stopped: nothing left to race"
        chromium.click(popup, pause)
    finally:
        os.kill(host.pid, signal.SIGCONT)

    refusal = wait_for(lambda: chromium.evaluate(
        popup, f"(document.querySelector({json.dumps(row + ' .refusal')}) || {{}}).textContent"), 20,
        "the refusal on the download")
    assert refusal == (f"Pause: download {view['download_id']} is completed; this needs it queued or running")
    assert chromium.evaluate(popup, f"document.querySelector({json.dumps(row)}).dataset.state") == "completed"
    assert chromium.evaluate(popup, "document.getElementById('host-status').dataset.state") == "connected"
    assert chromium.evaluate(popup, "document.getElementById('host-help').hidden") is True
    stored = chromium.in_extension("chrome.storage.session.get('hostStatus').then(s => s.hostStatus)")
    assert stored["state"] == "connected"
    assert host.is_running() and host.status() != psutil.STATUS_STOPPED
    assert sha256(Path(view["path"])) == digest


def test_real_right_click_under_xvfb(chromium_factory: Callable[..., Chromium], paxel_env: PaxelEnv,
                                     nginx: Nginx, xvfb: Xvfb) -> None:
    env = {**paxel_env.env, "DISPLAY": xvfb.display}
    browser = chromium_factory(headless=False, env=env)
    set_settings(browser, enabled=False)  # so only the menu item, not a download, can reach paxel
    nginx.add_file("chr-rclick.bin", 2 * MiB)
    url = nginx.url("chr-rclick.bin", "private")
    page = browser.open_page(link_page(nginx, "chr-rclick.html", url))
    browser.evaluate(page, "document.cookie = 'paxel_session=letmein; path=/'")
    browser.send("Target.activateTarget", {"targetId": browser.target_of(page)})
    x, y = browser.screen_point(page, "#dl")
    xdo = ["xdotool"]
    subprocess.run([*xdo, "mousemove", str(x), str(y), "click", "3"], env=env, check=True)
    # The extension's single item sits just above "Inspect", the menu's last entry.
    time.sleep(0.5)
    subprocess.run([*xdo, "key", "Up", "Up", "Return"], env=env, check=True)

    wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to get it from the menu")
    assert [v["url"] for v in paxel_list(paxel_env)] == [url]


def test_options_page_refuses_bad_values_and_saves_good_ones(chromium: Chromium, paxel_env: PaxelEnv) -> None:
    paxel_env.paxel("service", "start")  # the folders come from it; opening the options does not start it
    paxel_env.wait_service()
    options = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/options/options.html")
    folders = wait_for(lambda: chromium.evaluate(
        options, "[...document.querySelectorAll('select[name=folder] option')].map(o => o.value)")[1:],
        10, "the folder list from the service's roots")
    assert folders == [str(paxel_env.downloads)]
    fill = """(() => { const f = document.getElementById('settings').elements;
        f.connections.value = %s; f.skipDomains.value = 'example.com\\n*.cdn.test';
        f.folder.value = %s; document.querySelector('button[type=submit]').click(); })()"""
    result = "document.getElementById('result')"

    chromium.evaluate(options, fill % ("'40'", json.dumps(str(paxel_env.downloads))))
    refused = f"{result}.dataset.ok === 'false' && {result}.textContent"
    error = wait_for(lambda: chromium.evaluate(options, refused), 5, "a refusal of 40 connections")
    assert error == "Not saved: see the fields marked in red."
    beside = ("(e => e && [e.previousElementSibling.name, e.textContent])"
              "(document.getElementById('error-connections'))")
    assert chromium.evaluate(options, beside) == ["connections", "Must be a whole number from 1 to 32"]
    assert chromium.in_extension("chrome.storage.sync.get('settings').then(s => s.settings ?? null)") is None
    # A size in the user's unit (MiB), said in that unit next to its field.
    chromium.evaluate(options, "(f => { f.minSizeMiB.value = '-2'; "
                               "document.querySelector('button[type=submit]').click(); })"
                               "(document.getElementById('settings').elements)")
    size_error = wait_for(lambda: chromium.evaluate(
        options, "(document.getElementById('error-minSizeMiB') || {}).textContent"), 5, "the size error")
    assert size_error == "Enter a size in MiB: 0 or more, e.g. 1 or 0.5."
    assert chromium.evaluate(options, "document.getElementById('error-connections')") is None
    chromium.evaluate(options, "document.getElementById('settings').elements.minSizeMiB.value = '1'")

    chromium.evaluate(options, fill % ("'4'", json.dumps(str(paxel_env.downloads))))
    wait_for(lambda: chromium.evaluate(options, f"{result}.dataset.ok === 'true'"), 5, "the save to succeed")
    stored = chromium.in_extension("chrome.storage.sync.get('settings').then(s => s.settings)")
    assert stored["connections"] == 4
    assert stored["folder"] == str(paxel_env.downloads)
    assert stored["skipDomains"] == ["example.com", "cdn.test"]

    # Anything else the background does not know is refused by name, not ignored.
    bad_open = {"type": "action", "action": "open", "download_id": "d-1", "what": "/etc/passwd"}
    cases = (({"type": "shutdown"}, "UNKNOWN_TYPE"), (bad_open, "BAD_FIELD"), (None, "UNKNOWN_TYPE"))
    for message, code in cases:
        reply = chromium.evaluate(options, f"chrome.runtime.sendMessage({json.dumps(message)})")
        assert reply["ok"] is False and reply["error"]["code"] == code, reply


def test_refused_by_paxel_browser_goes_on_with_its_own_download(chromium: Chromium, paxel_env: PaxelEnv,
                                                                nginx: Nginx) -> None:
    set_settings(chromium, folder="/proc/not-a-paxel-root")  # paxel answers FOLDER_NOT_ALLOWED
    digest = nginx.add_file("chr-refused.bin", 2 * MiB)
    url = nginx.url("chr-refused.bin")
    page = chromium.open_page(link_page(nginx, "chr-refused.html", url))

    chromium.click(page, "#dl")

    done = browser_finished(chromium, "the browser to finish the download it was holding")
    assert [d["url"] for d in chromium.downloads_listed()] == [url]
    assert sha256(Path(done[0]["filename"])) == digest
    assert paxel_env.service_pid() is not None  # paxel was asked, and refused
    assert paxel_download(paxel_env, url) is None


def test_unknown_size_is_probed_by_paxel_then_taken(chromium: Chromium, paxel_env: PaxelEnv,
                                                    nginx: Nginx, faultserver: FaultServer) -> None:
    # Chunked and no length anywhere: the browser knows no size, the minimum-size rule asks
    # paxel to probe, the probe cannot tell either, so paxel takes it (a stream of unknown size).
    set_settings(chromium, minSize=MiB)
    url = faultserver.url("chunked.bin", size=100 * 1024, chunked=1)
    page = chromium.open_page(link_page(nginx, "chr-probe.html", url))

    chromium.click(page, "#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to take it")
    assert sha256(Path(view["path"])) == faultserver.sha256(url)
    assert_browser_kept_nothing(chromium, url)
    # the browser's own GET, then paxel's take, which is its download too (one stream: the
    # server ignores Range)
    requests = [(r.method, r.range) for r in faultserver.requests()]
    assert requests == [("GET", None), ("GET", "bytes=0-1048575")], requests


def test_native_port_reconnects_after_the_host_dies(chromium: Chromium, paxel_env: PaxelEnv,
                                                    nginx: Nginx) -> None:
    set_settings(chromium, connections=2)
    nginx.add_file("chr-reconnect.bin", 48 * MiB)
    url = nginx.url("chr-reconnect.bin", "capped")  # 2 connections at 8 MiB/s: ~3 s
    page = chromium.open_page(link_page(nginx, "chr-reconnect.html", url))
    chromium.click(page, "#dl")
    wait_for(lambda: paxel_download(paxel_env, url, "running"), 15, "paxel to start it")

    native_host(chromium).kill()  # a host started by our browser: the service and the download live on

    stored = "chrome.storage.session.get(null)"
    wait_for(lambda: chromium.in_extension(stored)["hostStatus"]["state"] == "failed", 5, "the loss noticed")
    session = wait_for(lambda: (s := chromium.in_extension(stored))["hostStatus"]["state"] == "connected"
                       and any(v["url"] == url and v["state"] == "completed" for v in s["downloads"]) and s,
                       30, "a new port and the completed download in the extension's state")
    assert session["hostStatus"]["at"] > 0
    assert chromium.in_extension("chrome.action.getBadgeText({})") == ""
