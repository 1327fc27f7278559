"""The panel's overview of the queues (issue 13 item 5: the panel, the full surface), in the real
page under Xvfb with a real service: each queue's downloads at once, running and waiting, its
window now and its next change in local time, and the speed limit over all downloads; changed by
`paxel queue` and `paxel schedule` while it is open, it follows without a reload."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from test_panel import PanelPage
from test_truth import start_panel

from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
LINE = ("(q => [...document.querySelectorAll(`#queue-overview tr[data-queue=\"${q}\"] > *`)]"
        ".map(c => c.textContent))")


def minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def said(at: datetime) -> str:
    """A moment as the overview says it: today's time, or tomorrow's."""
    return at.strftime("%H:%M") if at.date() == datetime.now().date() else at.strftime("tomorrow %H:%M")


def line(page: PanelPage, queue: str, *cells: str) -> None:
    cells_json = json.dumps(list(cells), separators=(",", ":"))
    page.wait_for(f"JSON.stringify({LINE}('{queue}')) === {json.dumps(cells_json)}")


def test_the_queue_overview_follows_the_service(paxel_env: PaxelEnv, xvfb: Xvfb, nginx: Nginx) -> None:
    now = datetime.now()
    opens = minute(now + timedelta(hours=2))
    closed = {"start": opens.strftime("%H:%M"), "stop": (opens + timedelta(hours=1)).strftime("%H:%M")}
    paxel_env.write_settings(open_panel_on_add=False, max_speed="4M",
                             queues={"night": {"max_concurrent": 1, "schedule": {"windows": [closed]}}})
    paxel_env.env["DISPLAY"] = xvfb.display
    nginx.add_file("overview.bin", 1 << 20)
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    for _ in range(2):
        paxel_env.paxel("add", nginx.url("overview.bin"), "--queue", "night")
    page, panel = start_panel(paxel_env, "overview-hook.sock")
    try:
        page.wait_for("!document.getElementById('queue-overview').hidden")
        line(page, "main", "main", "3", "0", "0", "open")
        line(page, "night", "night", "1", "0", "2", f"closed, opens {said(opens)} (own windows)")
        assert page.js("document.getElementById('queue-overview-limit').textContent") == \
            "Speed limit now: 4.0 MiB/s over all downloads."

        # Changed from the CLI: the limit at once; an own window open now, until its end, and the
        # two downloads start there (and end: nothing waits).
        paxel_env.paxel("queue", "set", "night", "2")
        line(page, "night", "night", "2", "0", "2", f"closed, opens {said(opens)} (own windows)")
        paxel_env.paxel("schedule", "--queue", "night", "clear")
        start, stop = minute(datetime.now() - timedelta(hours=1)), minute(datetime.now() + timedelta(hours=1))
        paxel_env.paxel("schedule", "--queue", "night", "window", f"{start:%H:%M}-{stop:%H:%M}")
        line(page, "night", "night", "2", "0", "0", f"open until {said(stop)} (own windows)")
        # the CLI says it too
        assert f"open until {stop:%a %H:%M} (own windows)" in paxel_env.paxel("queue").stdout
    finally:
        panel.kill()
        panel.wait()
