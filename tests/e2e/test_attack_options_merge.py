"""The options page's paxel-service form left open while `paxel queue` changes the settings (it
hears no event: it may be open for hours): its Save sends what was edited on the page, and keeps
a queue added and a limit set by the CLI meanwhile (issue 13 item 5: every surface, one set of
settings); the same setting changed on both sides is named and not overwritten."""

from __future__ import annotations

import json

import pytest
from browser_chromium import Chromium
from test_options_service import OPTIONS, set_field

from conftest import wait_for
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
RESULT = "document.getElementById('service-result').textContent"


def save(chromium: Chromium, page: str) -> str:
    chromium.evaluate(page, f"{RESULT} = ''")
    chromium.evaluate(page, "document.querySelector('#service button[type=submit]').click()")
    return str(wait_for(lambda: chromium.evaluate(page, RESULT), 10, "Save's answer"))


def test_the_options_page_keeps_what_the_cli_changed_while_it_was_open(
        chromium: Chromium, paxel_env: PaxelEnv) -> None:
    paxel_env.write_settings(open_panel_on_add=False, max_concurrent=3, queues={"day": {"max_concurrent": 1}})
    page = chromium.open_page(OPTIONS)
    value = "(n => document.querySelector(`#service [name=\"${n}\"]`)?.value)"
    wait_for(lambda: chromium.evaluate(page, f"{value}('queues.0.name')") == "day", 15, "the settings shown")
    paxel_env.paxel("queue", "add", "night", "2")
    paxel_env.paxel("queue", "set", "day", "4")
    set_field(chromium, page, "defaultConnections", "5")
    said = save(chromium, page)
    assert said.startswith("Saved"), said
    saved = json.loads(paxel_env.settings_file.read_text())
    assert saved["default_connections"] == 5
    assert saved["queues"] == {"day": {"max_concurrent": 4}, "night": {"max_concurrent": 2}}, saved

    paxel_env.paxel("queue", "set", "main", "7")
    set_field(chromium, page, "maxConcurrent", "2")
    said = save(chromium, page)
    assert said.startswith("Not saved") and "downloads at once" in said, said
    assert json.loads(paxel_env.settings_file.read_text())["max_concurrent"] == 7
    said = save(chromium, page)  # again: deliberately
    assert said.startswith("Saved"), said
    assert json.loads(paxel_env.settings_file.read_text())["max_concurrent"] == 2
