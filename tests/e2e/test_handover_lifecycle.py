"""The hand-over across paxel's and the browser's lifecycle, in real Chromium (issue 11 items 4
and 7): `paxel uninstall` while the browser runs leaves the next click with the browser, also
through the host the browser started before; a click while the extension's service worker is
not running and the service is stopped is taken like any other."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

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
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser


def worker_running(browser: Chromium) -> bool:
    prefix = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/"
    return any(t["type"] == "service_worker" and t["url"].startswith(prefix)
               for t in browser.send("Target.getTargets")["targetInfos"])


def test_uninstall_while_the_browser_runs_leaves_the_next_click_with_the_browser(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    first = nginx.url("life-before.bin")
    nginx.add_file("life-before.bin", 2 * MiB)
    digest = nginx.add_file("life-after.bin", 2 * MiB)
    after = nginx.url("life-after.bin")
    page = chromium.open_page(link_page(nginx, "life-before.html", first))
    chromium.click(page, "#dl")
    wait_for(lambda: paxel_download(paxel_env, first, "completed"), 30, "paxel to take the first click")
    old_host = wait_for(lambda: native_hosts(chromium), 5, "the host the browser started")[0]

    paxel_env.paxel("uninstall")
    assert old_host.is_running(), "the test needs the host started before uninstall"

    page = chromium.open_page(link_page(nginx, "life-after.html", after))
    chromium.click(page, "#dl")

    done = [d for d in browser_finished(chromium, "the browser to keep the click") if d["url"] == after]
    assert len(done) == 1 and sha256(Path(done[0]["filename"])) == digest
    assert [v["url"] for v in paxel_list(paxel_env)] == [first]
    wait_for(lambda: not old_host.is_running(), 5, "the old host to exit")
    # A stopped service is not started again on demand: the extension's reconnect finds no host.
    paxel_env.paxel("service", "stop")
    time.sleep(3)
    assert paxel_env.service_pid() is None and native_hosts(chromium) == []
    status = chromium.in_extension("chrome.storage.session.get('hostStatus').then(s => s.hostStatus)")
    assert status["state"] in ("failed", "not_installed"), status  # "Native host has exited."


def test_uninstall_while_firefox_runs_keeps_the_browsers_finished_copy(
        firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Firefox cannot hold a download: its copy is removed only once paxel answered `taken`, and
    a host started before uninstall never answers it, so the finished copy stays."""
    nginx.add_file("life-ff-before.bin", 16 * MiB)
    first = nginx.url("life-ff-before.bin") + "?slow=2m"  # Firefox's one connection needs 8 s
    digest = nginx.add_file("life-ff-after.bin", 8 * MiB)
    after = nginx.url("life-ff-after.bin") + "?slow=2m"  # slow: paxel would take it first
    firefox.client.navigate(link_page(nginx, "life-ff-before.html", first))
    firefox.click("#dl")
    wait_for(lambda: paxel_download(paxel_env, first), 30, "paxel to take the first click")
    old_host = wait_for(lambda: native_hosts(firefox), 5, "the host the browser started")[0]

    paxel_env.paxel("uninstall")
    assert old_host.is_running(), "the test needs the host started before uninstall"
    firefox.client.navigate(link_page(nginx, "life-ff-after.html", after))
    firefox.click("#dl")

    done = wait_for(lambda: [d for d in firefox.downloads_listed()
                             if d["url"] == after and d["state"] == "complete"], 30,
                    "Firefox to keep the click")
    assert done[0]["exists"] and sha256(Path(done[0]["filename"])) == digest
    time.sleep(1)  # a late removal of the browser's copy would show now
    assert Path(done[0]["filename"]).is_file()
    assert [v["url"] for v in paxel_list(paxel_env)] == [first]
    wait_for(lambda: not old_host.is_running(), 5, "the old host to exit")


def test_a_click_with_the_worker_and_the_service_stopped_is_taken(
        chromium_factory: Callable[..., Chromium], paxel_env: PaxelEnv, nginx: Nginx) -> None:
    browser = chromium_factory()
    digest = nginx.add_file("life-cold.bin", 3 * MiB)
    url = nginx.url("life-cold.bin")
    page = browser.open_page(link_page(nginx, "life-cold.html", url))
    paxel_env.paxel("service", "stop")
    browser.send("ServiceWorker.enable", session=page)
    browser.send("ServiceWorker.stopAllWorkers", session=page)
    browser._worker_session = None  # that session ended with the worker
    wait_for(lambda: not worker_running(browser), 10, "the service worker to stop")
    assert paxel_env.service_pid() is None and native_hosts(browser) == []
    started = time.monotonic()

    browser.click(page, "#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to take the cold click")
    assert sha256(Path(view["path"])) == digest
    assert time.monotonic() - started < 30
    wait_for(lambda: not [d for d in browser.downloads_listed() if d["url"] == url], 10,
             "the browser to erase its own entry")
    assert list(browser.downloads.iterdir()) == []
    decisions = browser.in_extension("chrome.storage.session.get('trace').then(s => s.trace || [])")
    assert [(d["to"], d["reason"], d.get("request")) for d in decisions[:1]] == [
        ("paxel", "rules-matched", "seen")], decisions
