"""The options page attacked, in a real Chromium with the real extension and service:

- a folder rule pointing outside the allowed folders: refused when saved, the error next to that
  rule's folder in the form's words (not the settings file's path and key names), nothing saved;
- the after-completion command (it runs programs) sent by a script in the options page itself
  through the background: refused, never written, never run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from browser_chromium import Chromium
from test_options_service import OPTIONS, set_field

from conftest import wait_for
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
ERRORS = ("Object.fromEntries([...document.querySelectorAll('#service .field-error')]"
          ".map(e => [e.previousElementSibling.name, e.textContent]))")
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_options_page_cannot_send_downloads_outside_the_roots_or_set_a_command(
        chromium: Chromium, paxel_env: PaxelEnv) -> None:
    paxel_env.write_settings(open_panel_on_add=False, max_concurrent=3)
    saved = paxel_env.settings_file.read_text()
    page = chromium.open_page(OPTIONS)
    chromium.send("Page.bringToFront", {}, page)
    value = "(n => document.querySelector(`#service [name=\"${n}\"]`).value)"
    wait_for(lambda: chromium.evaluate(page, f"{value}('maxConcurrent')") == "3", 10, "the settings shown")

    chromium.evaluate(page, "document.querySelector('#service [data-add=sites]').click()")
    set_field(chromium, page, "sites.0.host", "example.org")
    set_field(chromium, page, "sites.0.folder", "/etc")
    chromium.evaluate(page, "document.querySelector('#service button[type=submit]').click()")
    shown = wait_for(lambda: chromium.evaluate(page, ERRORS), 10, "the folder's error")
    assert list(shown) == ["sites.0.folder"], shown
    assert shown["sites.0.folder"].startswith("Folder: /etc is not inside"), shown
    assert ".json" not in shown["sites.0.folder"] and "`" not in shown["sites.0.folder"], shown
    assert paxel_env.settings_file.read_text() == saved

    marker = paxel_env.root / "ran"
    command = {"action": "command", "command": ["touch", str(marker)], "timeout": 5}
    answers = chromium.evaluate(page, f"""(async () => {{
        const api = globalThis.chrome;
        const out = [];
        for (const set of [{{after_completion: {json.dumps(command)}}},
                           {{max_concurrent: 2, after_completion: {json.dumps(command)}}}]) {{
          out.push(await api.runtime.sendMessage({{type: "service.settings", set}}));
        }}
        return out;
    }})()""")
    assert all(not a["ok"] for a in answers), answers
    assert "after_completion" not in paxel_env.settings_file.read_text()
    assert paxel_env.settings_file.read_text() == saved
    assert not marker.exists()


def test_renaming_a_queue_keeps_its_downloads_and_its_windows(
        chromium: Chromium, paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Renaming "night" to "late" on the options page sent the queues without "night": the
    service took it for a removal and moved night's downloads to main (and its windows were lost:
    they are kept under the queue's name). A rename is sent as one and keeps both."""
    later = datetime.now() + timedelta(hours=3)   # night's own window: closed now, so both wait
    window = {"start": later.strftime("%H:%M"), "stop": (later + timedelta(hours=1)).strftime("%H:%M")}
    paxel_env.write_settings(open_panel_on_add=False, queues={
        "night": {"max_concurrent": 1, "schedule": {"windows": [window]}}, "other": {"max_concurrent": 2}})
    host = paxel_env.host("chrome")
    host.hello()
    views = [host.add(2 + i, url=faultserver.url(f"night-{i}.bin", size=4096), queue="night")
             for i in range(2)]
    host.close()
    assert [v["state"] for v in views] == ["queued", "queued"], views
    page = chromium.open_page(OPTIONS)
    chromium.send("Page.bringToFront", {}, page)
    names = ("[...document.querySelectorAll('#service [name$=\".name\"][name^=\"queues.\"]')]"
             ".map(e => e.value)")
    wait_for(lambda: chromium.evaluate(page, names) == ["night", "other"], 10, "the queues shown")
    set_field(chromium, page, "queues.0.name", "late")
    chromium.evaluate(page, "document.querySelector('#service button[type=submit]').click()")
    saved = "document.getElementById('service-result')?.dataset.ok === 'true'"
    wait_for(lambda: chromium.evaluate(page, saved) or chromium.evaluate(page, ERRORS), 10, "saved")
    assert chromium.evaluate(page, ERRORS) == {}
    queues = json.loads(paxel_env.settings_file.read_text())["queues"]
    assert queues == {"late": {"max_concurrent": 1, "schedule": {"windows": [{**window, "days": ALL_DAYS}]}},
                      "other": {"max_concurrent": 2}}, queues
    listed = {v["download_id"]: v for v in json.loads(paxel_env.paxel("list", "--json").stdout)}
    assert [listed[v["download_id"]]["queue"] for v in views] == ["late", "late"], listed
    assert [listed[v["download_id"]]["state"] for v in views] == ["queued", "queued"], listed
