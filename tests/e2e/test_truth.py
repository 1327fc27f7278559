"""Issue 12, "truthful": the service stopped and started again under an open panel (Xvfb, the
real pywebview page) and an open popup (headless Chromium, the real extension). Each must show
the change within 2 s: greyed out and saying so while the service is gone, connected again with
the service's own view of the download once it is back. A service the user stopped stays stopped
while both poll for it: the popup says so with a Start button, and only that click starts it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser_chromium import Chromium
from test_panel import ARTIFACTS, PanelPage, screenshot, service_view

from conftest import wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = [pytest.mark.gui, pytest.mark.browser]
POPUP = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html"
TRUTH_WITHIN = 2.0


@pytest.fixture
def slow_nginx() -> Iterator[Nginx]:
    server = Nginx(rate="1m")
    yield server
    server.stop()


def start_panel(env: PaxelEnv, hook_name: str, extra_env: dict[str, str] | None = None,
                ) -> tuple[PanelPage, subprocess.Popen[bytes]]:
    hook = env.root / hook_name
    with (env.root / f"{hook_name}.log").open("wb") as log:
        panel = subprocess.Popen([sys.executable, "-m", "paxel", "panel"],
                                 env={**env.env, "PAXEL_PANEL_TEST_SOCKET": str(hook), **(extra_env or {})},
                                 stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    page = PanelPage(hook, panel)
    page.wait_for("window.paxel && window.paxel.ready === true", timeout=40)
    return page, panel


def watch_popup_status(chromium: Chromium, popup: str) -> None:
    """Record every change of the popup's status line with its time, in the page."""
    chromium.evaluate(popup, """(() => {
        const s = document.getElementById('host-status');
        window.seen = [[Date.now(), s.dataset.state]];
        new MutationObserver(() => window.seen.push([Date.now(), s.dataset.state]))
            .observe(s, {attributes: true, attributeFilter: ['data-state']});
    })()""")


# Records, in the page, the time of every change of what `key` shows (a state and a row's state):
# the page's own clock says when it told the truth, not the test's polling through the panel's
# hook, which at load 10 took longer than the 2 s being measured.
RECORD = """((key) => {
    window.seenKeys = [[Date.now(), key()]];
    new MutationObserver(() => {
        const k = key();
        if (k !== window.seenKeys[window.seenKeys.length - 1][1]) window.seenKeys.push([Date.now(), k]);
    }).observe(document.body, {subtree: true, attributes: true, childList: true, characterData: true});
})(() => %s)"""


def shown_at(read: Callable[[], list[list[Any]]], since_ms: float, wanted: str, what: str) -> float:
    """The page's time (ms) of the first change to `wanted` (a trailing `|` : any row state) at
    or after `since_ms`, waited for (a late one fails the test's assertion on it, not this wait)."""
    def match(key: str) -> bool:
        return key.startswith(wanted) if wanted.endswith("|") else key == wanted

    def found() -> float | None:
        return next((float(at) for at, key in read() if at >= since_ms and match(key)), None)
    return float(wait_for(found, TRUTH_WITHIN + 5, what))


def first_after(seen: list[list[Any]], since_ms: float, wanted: str | None = None) -> float | None:
    """Seconds from `since_ms` to the first status (other than connected, or `wanted`) after it."""
    for at, state in seen:
        if at >= since_ms and (state == wanted if wanted else state != "connected"):
            return float((at - since_ms) / 1000)
    return None


def test_panel_and_popup_tell_the_truth_across_a_service_restart(
        paxel_env: PaxelEnv, xvfb: Xvfb, slow_nginx: Nginx, chromium: Chromium) -> None:
    slow_nginx.add_file("truth.bin", 64 << 20)  # 1 MiB/s: still running when the test ends
    paxel_env.start_service_without_auto_panel(xvfb.display)
    added = paxel_env.paxel("add", slow_nginx.url("truth.bin", "capped"), "--connections", "1", "--json")
    download_id = json.loads(added.stdout)["download_id"]
    page, panel = start_panel(paxel_env, "truth-hook.sock")
    try:
        popup = chromium.open_page(POPUP)
        row = f"li.download[data-id='{download_id}']"
        popup_state = f"(document.querySelector({json.dumps(row)}) || {{dataset: {{}}}}).dataset.state"
        panel_row = f"document.querySelector({json.dumps(row)})"
        wait_for(lambda: chromium.evaluate(popup, popup_state) == "running", 10, "the popup to show it")
        page.wait_for(f"{panel_row} && {panel_row}.dataset.state === 'running'")
        wait_for(lambda: chromium.evaluate(popup, "document.getElementById('host-status').dataset.state")
                 == "connected", 10, "the popup to say connected")
        watch_popup_status(chromium, popup)
        row_state = f"(document.querySelector({json.dumps(row)}) || {{dataset: {{}}}}).dataset.state"
        page.js(RECORD % f"`${{document.body.dataset.connected}}|${{{row_state}}}`")
        chromium.evaluate(popup, RECORD % ("`${document.getElementById('host-status').dataset.state}|"
                                           f"${{{row_state}}}`"))
        first_pid = paxel_env.service_pid()

        # The service stops (the user ran `paxel service stop`).
        stopped_ms = time.time() * 1000
        paxel_env.paxel("service", "stop")
        grey_at = shown_at(lambda: page.js("window.seenKeys"), stopped_ms, "false|",
                           "the panel to grey out")
        panel_grey = grey_at - stopped_ms
        assert panel_grey <= TRUTH_WITHIN * 1000, page.js("window.seenKeys")
        assert page.js("document.getElementById('active').getAttribute('aria-disabled')") == "true"
        assert "service stopped" in page.js("document.getElementById('banner').textContent")
        assert page.js("document.getElementById('summary').textContent") == "not connected"
        screenshot(xvfb.display, ARTIFACTS / "truth-panel-disconnected.png")
        seen = wait_for(lambda: (s := chromium.evaluate(popup, "window.seen")) and first_after(s, stopped_ms)
                        is not None and s, TRUTH_WITHIN + 1, "the popup to stop saying connected")
        popup_lost = first_after(seen, stopped_ms)
        assert popup_lost is not None and popup_lost <= TRUTH_WITHIN, seen

        # Stopped by the user: it stays stopped while the popup's background polls (every second)
        # and the panel looks for it (every 0.5 s); the popup offers to start it.
        start_button = "document.getElementById('start-service')"
        wait_for(lambda: chromium.evaluate(popup, f"!!{start_button} && !{start_button}.disabled"),
                 TRUTH_WITHIN, "the popup's Start button")
        help_text = chromium.evaluate(popup, "document.getElementById('host-help').textContent")
        assert help_text.startswith("paxel is stopped."), help_text
        assert chromium.evaluate(popup, "document.getElementById('host-status').textContent") == "stopped"
        time.sleep(4)
        assert paxel_env.service_pid() is None, "something started the service the user stopped"
        assert chromium.evaluate(popup, "document.getElementById('host-status').dataset.state") != "connected"
        screenshot(xvfb.display, ARTIFACTS / "truth-panel-stopped.png")

        # The user presses Start in the popup: its host starts the service.
        chromium.evaluate(popup, f"{start_button}.click()")
        new_pid = paxel_env.wait_service(timeout=15, other_than=first_pid)
        back_ms = time.time() * 1000
        assert new_pid != first_pid
        # From the grey state on (the page may show it back before the test saw the new pid)
        panel_back = shown_at(lambda: page.js("window.seenKeys"), grey_at, "true|running",
                              "the panel to show the download running again") - back_ms
        assert panel_back <= TRUTH_WITHIN * 1000, page.js("window.seenKeys")
        popup_back = shown_at(lambda: chromium.evaluate(popup, "window.seenKeys"),
                              stopped_ms + popup_lost * 1000, "connected|running",
                              "the popup to be connected with it running again") - back_ms
        assert popup_back <= TRUTH_WITHIN * 1000, chromium.evaluate(popup, "window.seenKeys")
        greyed = "document.getElementById('downloads').getAttribute('aria-disabled')"
        assert chromium.evaluate(popup, greyed) == "false"
        # What both show is the service's own view, not what they remembered.
        assert service_view(paxel_env, download_id)["state"] == "running"
        print(f"\npanel greyed {panel_grey:.0f} ms after the stop; popup said so {popup_lost * 1000:.0f} ms"
              f" after it; back: panel {panel_back:.0f} ms, popup {popup_back:.0f} ms after the new service")
    finally:
        panel.kill()
        panel.wait()
