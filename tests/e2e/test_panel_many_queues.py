"""The panel's queue overview with hundreds of queues (issue 13: named queues, the panel's
full surface): the overview stays a box of its own height above the downloads, which stay in
sight; every queue is still there (scrolled to), and the page draws it at once."""

from __future__ import annotations

import pytest
from test_truth import start_panel

from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
QUEUES = 300


def test_hundreds_of_queues_leave_the_downloads_in_sight(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    windows = [{"start": f"{i % 24:02d}:00", "stop": f"{(i + 3) % 24:02d}:30", "days": ["mon", "sat"]}
               for i in range(QUEUES)]
    queues = {f"q{i:03d}": {"max_concurrent": 1 + i % 32, "schedule": {"windows": [windows[i]]}}
              for i in range(QUEUES)}
    paxel_env.write_settings(open_panel_on_add=False, queues=queues)
    paxel_env.env["DISPLAY"] = xvfb.display
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    page, panel = start_panel(paxel_env, "many-queues-hook.sock")
    try:
        page.wait_for(f"document.querySelectorAll('#queue-overview tbody tr').length === {QUEUES + 1}")
        # the downloads' heading is on screen, below the overview
        top = page.js("document.getElementById('active-title').getBoundingClientRect().top")
        height = page.js("window.innerHeight")
        assert 0 < top < height, f"the downloads start at {top}px in a window {height}px high"
        # the last queue is reachable: the overview scrolls
        box = "document.getElementById('queue-overview-box')"
        assert page.js(f"{box}.scrollHeight > {box}.clientHeight")
        # drawn again in a moment: a reply of 300 queues made words and drawn, in the page's clock
        page.js("""window.pywebview.api.queues().then((reply) => { const t = performance.now();
            window.paxelQueueView.show(reply); window.drawn = performance.now() - t; })""")
        took = page.wait_for("window.drawn")
        assert took < 200, f"drawing {QUEUES} queues took {took:.0f} ms"
    finally:
        panel.kill()
        panel.wait()
