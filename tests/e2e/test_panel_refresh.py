"""The panel's Refresh link on a download that knows its page (issue 11 item 5: "Popup and panel
offer Refresh link: paxel opens the download's page"): the page opens in the user's browser
(Python's webbrowser, here a $BROWSER script that records what it was given) and the download
waits for the user's next click there. Real panel under Xvfb, real service and fault server."""

from __future__ import annotations

import pytest
from test_panel import service_view
from test_truth import start_panel

from conftest import wait_for
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
KiB = 1024


def test_refresh_link_in_the_panel_opens_the_downloads_page(
        paxel_env: PaxelEnv, xvfb: Xvfb, faultserver: FaultServer) -> None:
    paxel_env.write_settings(open_panel_on_add=False)
    paxel_env.env["DISPLAY"] = xvfb.display
    opened = paxel_env.root / "opened.txt"
    browser = paxel_env.root / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n')
    browser.chmod(0o755)
    page_url = f"{faultserver.base}/files.html"
    host = paxel_env.host("chrome")
    host.hello()
    taken = host.take(2, faultserver.url("panel-relink.bin", size=4096 * KiB, trickle=256 * KiB),
                      {"size": 4096 * KiB}, referrer=page_url, connections=2)
    assert taken["outcome"] == "taken", taken
    download_id = taken["download"]["download_id"]
    host.pause_written(download_id, 256 * KiB)
    page, panel = start_panel(paxel_env, "refresh-hook.sock", extra_env={"BROWSER": str(browser)})
    try:
        button = (f"document.querySelector('li.download[data-id=\"{download_id}\"]"
                  " button[data-action=refresh]')")
        page.wait_for(f"!!{button}")

        page.js(f"{button}.click()")

        page.wait_for("document.getElementById('banner').textContent.includes('Its page is open')")
        assert wait_for(lambda: opened.exists() and opened.read_text().split(), 10,
                        "the panel to open the page") == [page_url]
        assert service_view(paxel_env, download_id)["state"] == "paused"
    finally:
        panel.kill()
        panel.wait()
    assert host.close() == 0
