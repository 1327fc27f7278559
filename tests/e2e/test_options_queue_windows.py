"""A queue's own windows edited on the options page (issue 13 item 5: every control on every
surface), in a real Chromium with the real extension and service: a window added to a queue, a
wrong time refused next to its field with nothing saved and nothing in the form lost, then the
window saved and read back through `paxel schedule --queue`, as the CLI sees it."""

from __future__ import annotations

import json

import pytest
from browser_chromium import Chromium
from test_options_service import OPTIONS

from conftest import wait_for
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
RESULT = "document.getElementById('service-result').textContent"


def control(name: str) -> str:
    return f"document.querySelector('#service [name=\"{name}\"]')"


def type_into(chromium: Chromium, page: str, name: str, value: str) -> None:
    """As typing does: the value, then an `input` event (the window's words follow it)."""
    chromium.evaluate(page, f"(c => {{ c.value = {json.dumps(value)};"
                            f" c.dispatchEvent(new Event('input', {{bubbles: true}})); }})({control(name)})")


def click(chromium: Chromium, page: str, selector: str) -> None:
    chromium.evaluate(page, f"document.querySelector({json.dumps(selector)}).click()")


def save(chromium: Chromium, page: str) -> str:
    chromium.evaluate(page, f"{RESULT} = ''")
    click(chromium, page, "#service button[type=submit]")
    return str(wait_for(lambda: chromium.evaluate(page, RESULT), 10, "Save's answer"))


def test_a_queue_window_edited_on_the_options_page(chromium: Chromium, paxel_env: PaxelEnv) -> None:
    monday = {"start": "01:00", "stop": "05:00", "days": ["mon"]}
    night = {"max_concurrent": 1, "schedule": {"windows": [monday]}}
    paxel_env.write_settings(open_panel_on_add=False, queues={"night": night})
    page = chromium.open_page(OPTIONS)
    wait_for(lambda: chromium.evaluate(page, f"{control('queues.0.windows.0.start')}?.value") == "01:00", 15,
             "the queue's own window shown")
    words = "(at => document.querySelector(`#service output[data-window=\"${at}\"]`).textContent)"
    assert chromium.evaluate(page, f"{words}('queues.0.windows.0')") == "Mon: 01:00 to 05:00"

    # A second window: 25:00 is no time (the field cannot hold it); refused next to it, nothing saved.
    click(chromium, page, '#service button[data-add="queues.0.windows"]')
    type_into(chromium, page, "queues.0.windows.1.start", "25:00")
    type_into(chromium, page, "queues.0.windows.1.stop", "06:00")
    said = save(chromium, page)
    assert said.startswith("Not saved"), said
    error = chromium.evaluate(page, f"{control('queues.0.windows.1.start')}.nextElementSibling?.textContent")
    assert error == "From: a time like 02:00.", error
    assert json.loads(paxel_env.settings_file.read_text())["queues"]["night"] == night
    # kept in the form
    assert chromium.evaluate(page, f"{control('queues.0.windows.1.stop')}.value") == "06:00"

    # Mended: over midnight, not on Sundays; the Monday window removed. Saved, and the CLI sees it.
    type_into(chromium, page, "queues.0.windows.1.start", "22:00")
    click(chromium, page, '#service [name="queues.0.windows.1.day"][value=sun]')
    assert chromium.evaluate(page, f"{words}('queues.0.windows.1')") == \
        "Mon, Tue, Wed, Thu, Fri, Sat: 22:00 to 06:00 the next day"
    click(chromium, page, '#service button[data-remove="queues.0.windows.0"]')
    said = save(chromium, page)
    assert said.startswith("Saved"), said
    shown = paxel_env.paxel("schedule", "--queue", "night").stdout
    assert "window 22:00-06:00 mon,tue,wed,thu,fri,sat" in shown and "01:00" not in shown, shown
    assert "(own windows)" in paxel_env.paxel("queue").stdout
    # What the page shows now is what was saved.
    assert chromium.evaluate(page, f"{control('queues.0.windows.0.start')}.value") == "22:00"
    starts = "#service [name^=\"queues.0.windows.\"][name$=\".start\"]"
    assert chromium.evaluate(page, f"document.querySelectorAll('{starts}').length") == 1
