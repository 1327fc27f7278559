"""A stream's progress in segments where the user looks (issue 14 item 4: "progress is segments
done/total ... in the CLI bar, the popup and the panel"): a real service fetching a 60-s HLS stream
from nginx capped per connection, the real popup in headless Chromium and the real panel under
Xvfb, both showing "N of 30 segments" as N grows (until now only node-tested: listing/states.js)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_chromium import Chromium
from test_truth import POPUP, start_panel

from conftest import wait_for
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = [pytest.mark.gui, pytest.mark.browser, pytest.mark.media]
COUNT = re.compile(r"\((\d+) of (\d+) segments\)")


def counted(text: str) -> tuple[int, int] | None:
    found = COUNT.search(text)
    return (int(found[1]), int(found[2])) if found else None


def test_popup_and_panel_show_a_running_stream_in_segments(paxel_env: PaxelEnv, xvfb: Xvfb,
                                                            media_root: Path, chromium: Chromium) -> None:
    # /trickle/ at 64 KiB/s on one connection: a 2-s 240p segment (~63 KB) a second, the stream
    # ~30 s (/capped/ sends a file under sendfile's chunk at once)
    slow = Nginx(slow_rate="64k", root=media_root)
    try:
        paxel_env.start_service_without_auto_panel(xvfb.display)
        added = paxel_env.paxel("add", slow.url("hls/v240/index.m3u8", "trickle"), "--connections", "1",
                                "--json")
        download_id = json.loads(added.stdout)["download_id"]
        page, panel = start_panel(paxel_env, "media-progress-hook.sock")
        try:
            row = f"li.download[data-id='{download_id}']"
            text = f"(document.querySelector({json.dumps(row)}) || {{textContent: ''}}).textContent"
            popup = chromium.open_page(POPUP)
            in_popup = wait_for(lambda: counted(chromium.evaluate(popup, text)), 15, "segments in the popup")
            in_panel = wait_for(lambda: counted(page.js(text)), 15, "segments in the panel")
            assert in_popup[1] == in_panel[1] == 30, (in_popup, in_panel)
            later = wait_for(lambda: (n := counted(chromium.evaluate(popup, text))) and n[0] > in_popup[0]
                             and n, 15, "the popup's count to grow")
            assert later[1] == 30
            wait_for(lambda: (n := counted(page.js(text))) and n[0] > in_panel[0], 15,
                     "the panel's count to grow")
        finally:
            panel.kill()
            panel.wait()
            paxel_env.paxel("cancel", download_id)
    finally:
        slow.stop()
