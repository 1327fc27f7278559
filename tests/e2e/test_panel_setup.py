"""The panel's "Queues, schedule and folders" (issue 13 item 5: every control on the full
surface), in the real page under Xvfb with a real service and nginx: named queues made,
renamed (a running download goes with its queue) and given their own window; folders by file
type (a download of x.iso lands in the rule's folder); connections. Bad input
(an empty or a taken name, 25:00, 1e1, -1, an extension in two types, a folder outside the
allowed ones) is refused next to its field and changes nothing saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_panel import ARTIFACTS, PanelPage, screenshot, service_view, wait_service_state
from test_panel_controls import xdotool
from test_truth import start_panel

from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
FORM = "document.getElementById('setup-form')"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
INPUT = "c.dispatchEvent(new Event('input', {bubbles: true}));"


def named(name: str) -> str:
    """A JS string literal: the CSS selector of the controls named `name`."""
    return json.dumps("[name=" + json.dumps(name) + "]")


def control(name: str) -> str:
    return f"{FORM}.querySelector({named(name)})"


def type_in(page: PanelPage, name: str, value: str) -> None:
    """What typing does to the field: its value, then an `input` event."""
    page.js(f"(c => {{ c.value = {json.dumps(value)}; {INPUT} }})({control(name)})")


def tick(page: PanelPage, window: str, days: list[str]) -> None:
    """Tick exactly `days` of a window's day boxes."""
    page.js(f"[...{FORM}.querySelectorAll({named(window + '.day')})].forEach(c => {{"
            f" c.checked = {json.dumps(days)}.includes(c.value); {INPUT} }})")


def press(page: PanelPage, selector: str) -> None:
    page.js(f"{FORM}.querySelector({json.dumps(selector)}).click()")


def error_next_to(page: PanelPage, name: str) -> str:
    """The error shown right after the field (or its days box), '' if none; the field says it is
    invalid and points at the error (what a screen reader reads)."""
    return str(page.js(f"""(c => {{
        const shown = c.nextElementSibling;
        if (!shown || !shown.classList.contains('field-error')) return '';
        return c.getAttribute('aria-invalid') === 'true' && c.getAttribute('aria-describedby') === shown.id
            ? shown.textContent : 'not linked: ' + shown.textContent; }})({control(name)})"""))


def shown_errors(page: PanelPage) -> list[str]:
    shown = page.js(f"[...{FORM}.querySelectorAll('.field-error')].map(e => e.id + ': ' + e.textContent)")
    return list(shown)


def saved(env: PaxelEnv) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(env.paxel("settings").stdout)
    return settings


def save_and_wait(page: PanelPage) -> str:
    page.js("document.getElementById('setup-result').textContent = ''")
    press(page, "button[type=submit]")
    return str(page.wait_for("document.getElementById('setup-result').textContent"))


def test_queues_windows_and_folder_rules_edited_in_the_panel(
        paxel_env: PaxelEnv, xvfb: Xvfb, nginx_at: Callable[..., Nginx]) -> None:
    slow = nginx_at("512k")
    slow.add_file("long.bin", 32 << 20)
    slow.add_file("x.iso", 64 << 10)
    paxel_env.write_settings(open_panel_on_add=False, queues={"day": {"max_concurrent": 2}},
                             max_connections_per_host=8)
    paxel_env.env["DISPLAY"] = xvfb.display
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    long_id = json.loads(paxel_env.paxel("add", slow.url("long.bin", "capped"), "--connections", "1",
                                         "--queue", "day", "--json").stdout)["download_id"]
    wait_service_state(paxel_env, long_id, "running")
    page, panel = start_panel(paxel_env, "setup-hook.sock")
    try:
        # the header's button opens the view, the keyboard on its first field
        page.js("document.getElementById('open-setup').click()")
        page.wait_for(f"!document.getElementById('setup-fields').disabled && {control('queues.0.name')}"
                      f" && {control('queues.0.name')}.value === 'day'")
        page.wait_for("document.activeElement.name === 'maxConcurrent'")
        # every field has a visible label; Add puts the keyboard in the new row's first field
        assert page.js(f"[...{FORM}.querySelectorAll('input, select')].every(c => c.closest('label')"
                       " && c.closest('label').textContent.trim().length > 0)")
        press(page, "button[data-add=queues]")
        assert page.js("document.activeElement.name") == "queues.1.name"
        assert page.js("document.querySelector('#setup-form [name=hostCap]').value") == "8"
        before = paxel_env.settings_file.read_bytes()

        # Bad input everywhere: nothing is sent, each error is next to its field.
        press(page, "button[data-add=queues]")
        type_in(page, "queues.2.name", "day")
        press(page, "button[data-add='queues.0.windows']")
        type_in(page, "queues.0.windows.0.start", "25:00")
        type_in(page, "queues.0.maxConcurrent", "-1")
        type_in(page, "defaultConnections", "1e1")
        page.js(f"{control('byType')}.click()")
        press(page, "button[data-add=categories]")
        last = int(page.js(f"{FORM}.querySelectorAll('[data-list=categories] > li').length")) - 1
        type_in(page, f"categories.{last}.name", "Disc images")
        type_in(page, f"categories.{last}.extensions", "*.iso")
        type_in(page, f"categories.{last}.folder", str(paxel_env.downloads / "iso"))
        assert save_and_wait(page).startswith("Not saved")
        assert "1 to 64" in error_next_to(page, "queues.1.name")
        assert "twice" in error_next_to(page, "queues.2.name")
        assert "02:00" in error_next_to(page, "queues.0.windows.0.start")
        assert "1 to 32" in error_next_to(page, "queues.0.maxConcurrent")
        assert "1 to 32" in error_next_to(page, "defaultConnections")
        assert "iso is in Programs already" in error_next_to(page, f"categories.{last}.extensions")
        assert error_next_to(page, "queues.0.windows.0.stop") == ""
        assert paxel_env.settings_file.read_bytes() == before
        page.js(f"{control('queues.1.name')}.scrollIntoView()")
        screenshot(xvfb.display, ARTIFACTS / "panel-setup.png")

        # Put right: "night" (1 at once, 02:00-06:00 on weekdays), "day" renamed "dusk" while its
        # download runs, iso out of Programs into its own folder, at most 6 connections per site.
        # the field in error nearest the top has the keyboard: real keys through the X server fix it
        assert page.js("document.activeElement.name") == "queues.0.maxConcurrent"
        window = xdotool(paxel_env, "search", "--sync", "--name", "^paxel$").split()[0]
        xdotool(paxel_env, "windowfocus", "--sync", window)
        xdotool(paxel_env, "key", "--window", window, "ctrl+a")
        xdotool(paxel_env, "type", "--window", window, "--delay", "30", "2")
        page.wait_for(f"{control('queues.0.maxConcurrent')}.value === '2'")
        press(page, "button[data-remove='queues.2']")
        type_in(page, "queues.1.name", "night")
        press(page, "button[data-add='queues.1.windows']")
        type_in(page, "queues.1.windows.0.start", "02:00")
        type_in(page, "queues.1.windows.0.stop", "06:00")
        tick(page, "queues.1.windows.0", WEEKDAYS)
        press(page, "button[data-remove='queues.0.windows.0']")
        type_in(page, "queues.0.name", "dusk")
        type_in(page, "defaultConnections", "6")
        # a choice made with keys on the select itself (no synthetic event)
        page.js(f"{control('duplicates')}.focus()")
        xdotool(paxel_env, "key", "--window", window, "Down")
        page.wait_for(f"{control('duplicates')}.value === 'ask'")
        # a global window round the clock (an end at its start runs past midnight: 24 h) and a
        # speed rule over it; neither holds the downloads below back
        press(page, "button[data-add=windows]")
        type_in(page, "windows.0.start", "00:00")
        type_in(page, "windows.0.stop", "00:00")
        press(page, "button[data-add=speeds]")
        type_in(page, "speeds.0.start", "00:00")
        type_in(page, "speeds.0.stop", "00:00")
        type_in(page, "speeds.0.maxSpeed", "512")
        programs = page.js(f"[...{FORM}.querySelectorAll('[name$=\".name\"][name^=\"categories.\"]')]"
                           ".find(c => c.value === 'Programs').name").rsplit(".", 1)[0]
        extensions = page.js(f"{control(programs + '.extensions')}.value").split()
        type_in(page, f"{programs}.extensions", " ".join(e for e in extensions if e != "iso"))
        said = save_and_wait(page)
        assert said.startswith("Saved"), (said, shown_errors(page))
        settings = saved(paxel_env)
        assert settings["queues"] == {
            "dusk": {"max_concurrent": 2},
            "night": {"max_concurrent": 1,
                      "schedule": {"windows": [{"start": "02:00", "stop": "06:00", "days": WEEKDAYS}]}},
        }
        assert settings["default_connections"] == 6
        assert settings["duplicates"] == "ask"
        every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        assert settings["schedule"] == {
            "windows": [{"start": "00:00", "stop": "00:00", "days": every_day}],
            "speeds": [{"start": "00:00", "stop": "00:00", "days": every_day, "max_speed": 512 << 20}]}
        assert settings["folder_rules"]["by_type"] is True
        assert settings["folder_rules"]["categories"]["Disc images"] == {
            "extensions": ["iso"], "folder": str(paxel_env.downloads / "iso")}
        assert service_view(paxel_env, long_id)["queue"] == "dusk"
        listing = paxel_env.paxel("queue").stdout
        assert "night" in listing and "dusk" in listing and "day " not in listing
        page.wait_for(f"{control('queues.1.name')}.value === 'night'")  # drawn from what was saved

        # The rule at work: x.iso (no folder asked) lands in the iso folder.
        iso = json.loads(paxel_env.paxel("add", slow.url("x.iso"), "--json").stdout)["download_id"]
        done = wait_service_state(paxel_env, iso, "completed", timeout=20)
        assert done["path"] == str(paxel_env.downloads / "iso" / "x.iso")
        assert (paxel_env.downloads / "iso" / "x.iso").stat().st_size == 64 << 10

        # A site's folder outside the allowed ones: the service's refusal next to the field.
        press(page, "button[data-add=sites]")
        # meanwhile the CLI changes a setting: the edit stays, a note says Save would replace it
        paxel_env.paxel("queue", "set", "night", "3")
        page.wait_for("!document.getElementById('setup-elsewhere').hidden")
        before = paxel_env.settings_file.read_bytes()
        type_in(page, "sites.0.host", "example.org")
        type_in(page, "sites.0.folder", "/etc/paxel-test")
        assert save_and_wait(page).startswith("Not saved")
        refused = error_next_to(page, "sites.0.folder")
        assert refused.startswith("Folder: /etc/paxel-test is not inside an allowed download folder"), refused
        assert page.js(f"{control('sites.0.folder')}.value") == "/etc/paxel-test"  # the edit is kept
        assert paxel_env.settings_file.read_bytes() == before
    finally:
        panel.kill()
        panel.wait()
