"""The popup by keyboard and screen reader (issue 12 item 5), in a real Chromium with the real
extension and service: key presses sent as input events (CDP Input.dispatchKeyEvent, what a key
on the keyboard becomes) move between rows and pause a download; rows and buttons carry labels;
a queued download shows its place in line."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from browser_chromium import Chromium
from test_panel import wait_service_state

from conftest import wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
POPUP = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html"
KEYS = {"ArrowDown": ("ArrowDown", 40), "ArrowUp": ("ArrowUp", 38), " ": ("Space", 32), "End": ("End", 35)}


def key(chromium: Chromium, session: str, name: str) -> None:
    code, number = KEYS[name]
    text = {"text": name} if len(name) == 1 else {}
    for kind in ("keyDown", "keyUp"):
        event = {"type": kind, "key": name, "code": code, "windowsVirtualKeyCode": number}
        chromium.send("Input.dispatchKeyEvent", {**event, **(text if kind == "keyDown" else {})}, session)


def test_popup_rows_by_keyboard_with_labels_and_queue_places(
        chromium: Chromium, paxel_env: PaxelEnv, nginx_at: Callable[..., Nginx]) -> None:
    slow_nginx = nginx_at("1m")
    paxel_env.write_settings(open_panel_on_add=False, max_concurrent=1)
    for name in ("first.bin", "second.bin", "third.bin"):
        slow_nginx.add_file(name, 64 << 20)
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    ids = [json.loads(paxel_env.paxel("add", slow_nginx.url(name, "capped"), "--connections", "1", "--json")
                      .stdout)["download_id"] for name in ("first.bin", "second.bin", "third.bin")]
    wait_service_state(paxel_env, ids[0], "running")
    popup = chromium.open_page(POPUP)
    chromium.send("Page.bringToFront", {}, popup)
    rows = "[...document.querySelectorAll('li.download')]"
    wait_for(lambda: chromium.evaluate(popup, f"{rows}.length") == 3, 10, "three rows")

    def row(i: int) -> str:
        return f"document.querySelector('li.download[data-id={json.dumps(ids[i])}]')"

    def place(i: int) -> str:
        return str(chromium.evaluate(popup, f"{row(i)}.querySelector('.queue')?.textContent"))

    wait_for(lambda: place(1) == "#1 in line" and place(2) == "#2 in line", 10, "places in line")
    wait_for(lambda: chromium.evaluate(popup, f"{row(0)}.getAttribute('aria-label')")
             .startswith("first.bin, downloading, "), 10, "the running row's label")  # fmt: skip
    pause = f"{row(0)}.querySelector('button[data-action=pause]')"
    assert chromium.evaluate(popup, f"{pause}.getAttribute('aria-label')") == "Pause first.bin"
    assert chromium.evaluate(popup, f"{rows}.filter(li => li.tabIndex === 0).length") == 1

    # Newest first: third, second, first. From the top, two rows down is the running one.
    chromium.evaluate(popup, f"{row(2)}.focus()")
    key(chromium, popup, "ArrowDown")
    key(chromium, popup, "ArrowDown")
    focused = f"document.activeElement === {row(0)}"
    wait_for(lambda: chromium.evaluate(popup, focused), 5, "focus on the running row")
    key(chromium, popup, " ")
    wait_service_state(paxel_env, ids[0], "paused")
    wait_for(lambda: chromium.evaluate(popup, focused), 5, "focus kept on its row")
    key(chromium, popup, "ArrowUp")
    assert chromium.evaluate(popup, f"document.activeElement === {row(1)}")
    assert chromium.evaluate(popup, f"{rows}.filter(li => li.tabIndex === 0).length") == 1

    # The compact global speed limit (MiB/s): an error in the field's unit, then the service's.
    field = "document.getElementById('global-limit')"
    error = "document.getElementById('global-limit-error').textContent"
    for value in ("fast", "4"):
        chromium.evaluate(popup, f"(i => {{ i.value = {json.dumps(value)};"
                                 " i.dispatchEvent(new Event('change')); })(" + field + ")")
        if value == "fast":
            wait_for(lambda: "MiB/s" in chromium.evaluate(popup, error), 5, "the limit's error")
    host = paxel_env.host("chrome")
    wait_for(lambda: host.hello()["max_speed"] == 4 << 20, 5, "the global limit in the service")
    host.close()
    assert chromium.evaluate(popup, error) == ""


def test_popup_asks_about_a_duplicate_and_the_answer_reaches_the_service(
        chromium: Chromium, paxel_env: PaxelEnv, nginx_at: Callable[..., Nginx]) -> None:
    slow_nginx = nginx_at("1m")
    paxel_env.write_settings(open_panel_on_add=False, duplicates="ask")
    slow_nginx.add_file("report.pdf", 64 << 10)
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    host = paxel_env.host("chrome")
    host.hello()
    first = host.add(2, url=slow_nginx.url("report.pdf"), filename="report.pdf")
    wait_service_state(paxel_env, first["download_id"], "completed", timeout=20)
    again = host.add(3, url=slow_nginx.url("report.pdf"), filename="report.pdf")
    host.close()
    assert again["duplicate"]["kind"] == "name", again
    popup = chromium.open_page(POPUP)
    box = f"document.querySelector('li.download[data-id={json.dumps(again['download_id'])}] .duplicate')"
    wait_for(lambda: chromium.evaluate(popup, f"!!{box}"), 10, "the duplicate's question in the popup")
    assert chromium.evaluate(popup, f"{box}.textContent").startswith("A file named report.pdf is already")
    assert chromium.evaluate(popup, f"[...{box}.querySelectorAll('button')].map(b => b.dataset.choice)") \
        == ["rename", "skip"]
    chromium.evaluate(popup, f"{box}.querySelector('button[data-choice=rename]').click()")
    done = wait_service_state(paxel_env, again["download_id"], "completed", timeout=20)
    assert done["duplicate"] is None and done["filename"] != "report.pdf", done
    wait_for(lambda: chromium.evaluate(popup, f"!{box}"), 10, "the question gone once answered")
