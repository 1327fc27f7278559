"""The options page's paxel-service settings (issue 13 item 5), in a real Chromium with the real
extension and service: read from the service, checked in the form's own words next to each
field, saved through the background's `settings` request into settings.json and used at once."""

from __future__ import annotations

import json

import pytest
from browser_chromium import Chromium

from conftest import wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
OPTIONS = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/options/options.html"


def set_field(chromium: Chromium, page: str, name: str, value: str) -> None:
    control = f"document.querySelector('#service [name=\"{name}\"]')"
    chromium.evaluate(page, f"{control}.value = {json.dumps(value)}")


def test_service_settings_on_the_options_page(chromium: Chromium, paxel_env: PaxelEnv) -> None:
    paxel_env.write_settings(open_panel_on_add=False, max_concurrent=3, max_speed="8M")
    assert paxel_env.service_pid() is None  # the user opened the settings: they may start it
    page = chromium.open_page(OPTIONS)
    chromium.send("Page.bringToFront", {}, page)
    value = "(n => document.querySelector(`#service [name=\"${n}\"]`).value)"
    wait_for(lambda: chromium.evaluate(page, f"{value}('maxConcurrent')") == "3", 10, "the settings shown")
    assert chromium.evaluate(page, f"{value}('maxSpeed')") == "8"

    # Wrong values: each error next to its field, in its unit; nothing saved.
    set_field(chromium, page, "maxConcurrent", "0")
    set_field(chromium, page, "maxSpeed", "8M")
    chromium.evaluate(page, "document.querySelector('#service [data-add=queues]').click()")
    chromium.evaluate(page, "document.querySelector('#service button[type=submit]').click()")
    errors = "Object.fromEntries([...document.querySelectorAll('#service .field-error')]" \
             ".map(e => [e.previousElementSibling.name, e.textContent]))"
    shown = wait_for(lambda: chromium.evaluate(page, errors), 5, "errors next to the fields")
    assert shown == {"maxConcurrent": "Downloads at once: a whole number from 1 to 32.",
                     "maxSpeed": "Speed limit: a number of MiB/s above 0 and up to 1048576 (e.g. 8 or 0.5), "
                                 "or empty for none.",
                     "queues.0.name": "Queue name: 1 to 64 letters, digits, spaces, . _ or -, "
                                      "the first a letter or digit."}, shown
    assert json.loads(paxel_env.settings_file.read_text())["max_concurrent"] == 3

    # Right values: saved into settings.json through the service, in effect at once.
    set_field(chromium, page, "maxConcurrent", "2")
    set_field(chromium, page, "maxSpeed", "")
    set_field(chromium, page, "queues.0.name", "night")
    set_field(chromium, page, "queues.0.maxConcurrent", "1")
    chromium.evaluate(page, "document.querySelector('#service [data-add=windows]').click()")
    set_field(chromium, page, "windows.0.start", "22:00")
    chromium.evaluate(page, "document.querySelector('#service [name=\"windows.0.day\"][value=sun]').click()")
    chromium.evaluate(page, "document.querySelector('#service [data-add=speeds]').click()")
    set_field(chromium, page, "speeds.0.maxSpeed", "0.5")
    chromium.evaluate(page, "document.querySelector('#service button[type=submit]').click()")
    wait_for(lambda: chromium.evaluate(page, "document.getElementById('service-result').textContent")
             .startswith("Saved"), 10, "Saved")
    saved = json.loads(paxel_env.settings_file.read_text())
    assert saved["max_concurrent"] == 2 and saved.get("max_speed") is None, saved
    assert saved["queues"] == {"night": {"max_concurrent": 1}}
    assert saved["schedule"]["windows"] == [{"start": "22:00", "stop": "06:00",
                                            "days": ["mon", "tue", "wed", "thu", "fri", "sat"]}]
    assert [(r["start"], r["stop"], r["max_speed"]) for r in saved["schedule"]["speeds"]] == \
        [("09:00", "18:00", 512 << 10)], saved["schedule"]
    host = paxel_env.host("chrome")
    host.hello()
    host.send({"id": 2, "type": "queues"})
    running = host.reply(2)["result"]["queues"]
    host.close()
    assert [(q["name"], q["max_concurrent"]) for q in running] == [("main", 2), ("night", 1)], running
    assert chromium.evaluate(page, "document.querySelectorAll('#service .field-error').length") == 0
