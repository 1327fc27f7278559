"""An attacker's, an unlucky user's and another surface's go at the panel's "Queues, schedule and
folders" (issue 13 item 5), in the real page under Xvfb with a real service: changes made by
`paxel queue` while the panel's form is open are not undone by its Save (no lost update);
what the panel does not show (after_completion, unknown keys) survives its Save; names and
folders written by hand into settings.json are shown as text, never as HTML; bad input in every
field is refused next to it with the file unchanged; a queue removed while its downloads run and
wait sends them to main; a queue's own window closed while its download runs holds it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from test_panel import PanelPage, service_view, wait_service_state
from test_panel_setup import FORM, control, error_next_to, press, save_and_wait, saved, tick, type_in
from test_truth import start_panel

from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui


@contextmanager
def setup_view(env: PaxelEnv, xvfb: Xvfb, **settings: Any) -> Iterator[PanelPage]:
    """A service with `settings` and the panel with its settings view open and read."""
    env.write_settings(open_panel_on_add=False, **settings)
    env.env["DISPLAY"] = xvfb.display
    env.paxel("service", "start")
    env.wait_service()
    page, panel = start_panel(env, "attack-setup-hook.sock")
    try:
        page.js("document.getElementById('setup').open = true")
        page.wait_for("!document.getElementById('setup-fields').disabled"
                      f" && {control('maxConcurrent')}.value !== ''")
        yield page
    finally:
        panel.kill()
        panel.wait()


def test_a_save_keeps_what_the_cli_changed_while_the_form_was_open(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """The panel loaded; `paxel queue` then added a queue and changed main's limit; the user,
    who touched neither, saves another field: both CLI changes stay. The same queue's limit
    changed on both sides is refused (named), not overwritten; a second Save is deliberate."""
    with setup_view(paxel_env, xvfb, queues={"day": {"max_concurrent": 1}}) as page:
        type_in(page, "defaultConnections", "6")
        paxel_env.paxel("queue", "add", "night", "2")
        paxel_env.paxel("queue", "set", "main", "5")
        said = save_and_wait(page)
        assert said.startswith("Saved"), said
        settings = saved(paxel_env)
        assert settings["default_connections"] == 6
        assert settings["queues"] == {"day": {"max_concurrent": 1}, "night": {"max_concurrent": 2}}
        assert settings["max_concurrent"] == 5

        page.wait_for(f"{control('queues.1.name')} && {control('queues.1.name')}.value === 'night'")
        type_in(page, "queues.0.maxConcurrent", "3")
        paxel_env.paxel("queue", "set", "day", "2")
        said = save_and_wait(page)
        assert said.startswith("Not saved") and "day" in said, said
        assert saved(paxel_env)["queues"]["day"] == {"max_concurrent": 2}
        assert page.js(f"{control('queues.0.maxConcurrent')}.value") == "3"  # the edit is kept
        said = save_and_wait(page)
        assert said.startswith("Saved"), said
        assert saved(paxel_env)["queues"] == {"day": {"max_concurrent": 3}, "night": {"max_concurrent": 2}}


def test_a_save_keeps_what_the_panel_does_not_show(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    after = {"action": "command", "command": ["/bin/true", "{path}"]}
    with setup_view(paxel_env, xvfb, after_completion=after, extension_ids=["abc@example.org"],
                    x_future={"kept": [1, 2]}, max_speed="8M") as page:
        type_in(page, "defaultConnections", "5")
        said = save_and_wait(page)
        assert said.startswith("Saved"), said
    written = json.loads(paxel_env.settings_file.read_text())
    assert written["default_connections"] == 5
    assert written["after_completion"] == after
    assert written["extension_ids"] == ["abc@example.org"]
    assert written["x_future"] == {"kept": [1, 2]}
    assert written["max_speed"] == "8M"
    assert written["open_panel_on_add"] is False


def test_names_and_folders_from_settings_json_are_text_not_html(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    evil = '<img src=x onerror="window.pwned=1">'
    arabic = "فيديو"
    rules = {"by_type": False, "sites": [{"host": "example.org", "folder": evil}],
             "categories": {arabic: {"extensions": ["mkv"], "folder": evil}}}
    with setup_view(paxel_env, xvfb, folder_rules=rules, queues={"a.b_c-d e": {"max_concurrent": 1}}) as page:
        assert page.js("document.querySelectorAll('img').length") == 0
        assert page.js("window.pwned === undefined")
        assert page.js(f"{control('sites.0.folder')}.value") == evil
        assert page.js(f"{control('categories.0.name')}.value") == arabic
        assert page.js(f"{control('queues.0.name')}.value") == "a.b_c-d e"
        said = save_and_wait(page)  # unchanged: saved as it was
        assert said.startswith("Saved"), said
        assert page.js("document.querySelectorAll('img').length") == 0
    assert saved(paxel_env)["folder_rules"]["categories"][arabic]["folder"] == evil


BAD = [  # field, value typed, a part of the error shown next to it
    ("queues.0.name", "", "1 to 64"),
    ("queues.0.name", "x" * 65, "1 to 64"),
    ("queues.0.name", "main", "main"),
    ("queues.0.name", "\u202enight", "1 to 64"),
    ("queues.0.name", "<img src=x onerror=alert(1)>", "1 to 64"),
    ("queues.0.maxConcurrent", "0", "1 to 32"),
    ("queues.0.maxConcurrent", "1e1", "1 to 32"),
    ("queues.0.maxConcurrent", "99999999999999999999", "1 to 32"),
    ("maxConcurrent", "-3", "1 to 32"),
    ("maxConcurrent", "", "1 to 32"),
    ("windows.0.start", "24:00", "02:00"),
    ("windows.0.stop", "25:00", "02:00"),
    ("windows.0.start", "2:00", "02:00"),
    ("speeds.0.maxSpeed", "-1", "above 0"),
    ("speeds.0.maxSpeed", "1e1", "above 0"),
    ("speeds.0.maxSpeed", "0", "above 0"),
    ("categories.0.extensions", "*.", "at least one"),
    ("categories.0.extensions", "ex\u00e9", "is not one"),
    ("sites.0.host", "exa mple.org", "host name"),
    ("sites.0.folder", "  ", "Folder"),
]


def test_bad_input_in_every_field_is_refused_next_to_it(
        paxel_env: PaxelEnv, xvfb: Xvfb, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    paxel_env.downloads.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, paxel_env.downloads / "link-out")
    settings: dict[str, Any] = {
        "queues": {"day": {"max_concurrent": 1}},
        "schedule": {"windows": [{"start": "22:00", "stop": "06:00"}],
                     "speeds": [{"start": "09:00", "stop": "18:00", "max_speed": 1048576}]},
        "folder_rules": {"by_type": True, "sites": [{"host": "example.org", "folder": "Example"}],
                         "categories": {"Disc": {"extensions": ["iso"], "folder": "Disc"}}},
    }
    with setup_view(paxel_env, xvfb, **settings) as page:
        before = paxel_env.settings_file.read_bytes()
        for name, value, expected in BAD:
            type_in(page, name, value)
            said = save_and_wait(page)
            shown = error_next_to(page, name)
            assert said.startswith("Not saved") and expected in shown, (name, value, said, shown)
            assert page.js("document.activeElement.name") == name  # the keyboard is at the error
            assert paxel_env.settings_file.read_bytes() == before, (name, value)
            press(page, "#setup-discard")  # read again: the saved ones
            page.wait_for(f"!document.getElementById('setup-fields').disabled && {control(name)}"
                          f" && {control(name)}.value !== {json.dumps(value)}"
                          f" && !{FORM}.querySelector('.field-error')")
        tick(page, "windows.0", [])
        assert save_and_wait(page).startswith("Not saved")
        assert "at least one" in error_next_to(page, "windows.0.days")
        tick(page, "windows.0", ["mon"])
        # the service's own checks: folders outside the allowed ones, however written
        for folder in ("..", "../../etc", "link-out", "link-out/deeper", str(outside)):
            type_in(page, "sites.0.folder", folder)
            said = save_and_wait(page)
            shown = error_next_to(page, "sites.0.folder")
            assert said.startswith("Not saved") and "not inside an allowed" in shown, (folder, said, shown)
            assert paxel_env.settings_file.read_bytes() == before, folder
        type_in(page, "sites.0.folder", "Example")
        type_in(page, "categories.0.extensions", "iso, ISO *.img")  # one list: iso img
        assert save_and_wait(page).startswith("Saved")
    written = saved(paxel_env)
    assert written["folder_rules"]["categories"]["Disc"]["extensions"] == ["img", "iso"]
    assert written["schedule"]["windows"] == [{"start": "22:00", "stop": "06:00", "days": ["mon"]}]


def add_to_day(env: PaxelEnv, url: str) -> str:
    added = env.paxel("add", url, "--connections", "1", "--queue", "day", "--json").stdout
    return str(json.loads(added)["download_id"])


def test_a_queue_removed_while_its_downloads_run_and_wait(
        paxel_env: PaxelEnv, xvfb: Xvfb, nginx_at: Callable[..., Nginx]) -> None:
    slow = nginx_at("256k")
    slow.add_file("a.bin", 32 << 20)
    slow.add_file("b.bin", 32 << 20)
    with setup_view(paxel_env, xvfb, queues={"day": {"max_concurrent": 1}}) as page:
        ids = [add_to_day(paxel_env, slow.url(name, "capped")) for name in ("a.bin", "b.bin")]
        wait_service_state(paxel_env, ids[0], "running")
        assert service_view(paxel_env, ids[1])["state"] == "queued"
        page.wait_for(f"{control('queues.0.name')}.value === 'day'")
        press(page, "button[data-remove='queues.0']")
        assert page.js("document.activeElement.dataset.add") == "queues"  # not lost with the row
        assert save_and_wait(page).startswith("Saved")
        assert saved(paxel_env)["queues"] == {}
        views = [service_view(paxel_env, i) for i in ids]
        assert [v["queue"] for v in views] == ["main", "main"]
        # main allows 3: the waiting one starts, the running one was not stopped
        wait_service_state(paxel_env, ids[1], "running")
        assert service_view(paxel_env, ids[0])["state"] == "running"


def test_a_queue_window_closed_while_its_download_runs_holds_it(
        paxel_env: PaxelEnv, xvfb: Xvfb, nginx_at: Callable[..., Nginx]) -> None:
    slow = nginx_at("256k")
    slow.add_file("a.bin", 32 << 20)
    with setup_view(paxel_env, xvfb, queues={"day": {"max_concurrent": 1}}) as page:
        ident = add_to_day(paxel_env, slow.url("a.bin", "capped"))
        wait_service_state(paxel_env, ident, "running")
        deadline = time.monotonic() + 15  # some bytes in first, so that "continues" means something
        while service_view(paxel_env, ident)["done"] == 0:
            assert time.monotonic() < deadline, service_view(paxel_env, ident)
            time.sleep(0.1)
        page.wait_for(f"{control('queues.0.name')}.value === 'day'")
        later = datetime.now() + timedelta(hours=3)
        press(page, "button[data-add='queues.0.windows']")
        type_in(page, "queues.0.windows.0.start", later.strftime("%H:00"))
        type_in(page, "queues.0.windows.0.stop", (later + timedelta(hours=1)).strftime("%H:00"))
        assert save_and_wait(page).startswith("Saved")
        held = wait_service_state(paxel_env, ident, "queued", timeout=15)
        assert held["done"] > 0  # it continues from there when a window opens
        page.wait_for(f"{control('queues.0.windows.0.start')}")
        press(page, "button[data-remove='queues.0.windows.0']")
        assert save_and_wait(page).startswith("Saved")
        wait_service_state(paxel_env, ident, "running", timeout=15)


def test_the_keyboard_stays_where_it_was_after_a_save(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """Enter in a row's field saves (the form's submit); the rows are drawn anew from what was
    saved, and the keyboard must not fall out of the form onto the page's body."""
    with setup_view(paxel_env, xvfb, queues={"day": {"max_concurrent": 1}}) as page:
        type_in(page, "queues.0.maxConcurrent", "2")
        page.js(f"{control('queues.0.maxConcurrent')}.focus()")
        page.js("document.getElementById('setup-result').textContent = ''")
        page.js(f"{FORM}.requestSubmit()")
        said = str(page.wait_for("document.getElementById('setup-result').textContent"))
        assert said.startswith("Saved"), said
        assert page.js("document.activeElement.name") == "queues.0.maxConcurrent"
        assert saved(paxel_env)["queues"] == {"day": {"max_concurrent": 2}}
        paxel_env.paxel("queue", "add", "night", "1")  # drawn anew on the service's event
        page.wait_for(f"{control('queues.1.name')} && {control('queues.1.name')}.value === 'night'")
        assert page.js("document.activeElement.name") == "queues.0.maxConcurrent"


SERVICE_REFUSES = [  # what the form lets through and the service refuses: still next to the field
    ("queues.0.name", "-x", "queue name"),
    ("queues.0.name", ".hidden", "queue name"),
    ("speeds.0.maxSpeed", "99999999", "up to 1048576"),
]


@pytest.mark.parametrize(("name", "value", "expected"), SERVICE_REFUSES)
def test_what_only_the_service_refuses_is_shown_next_to_its_field(
        paxel_env: PaxelEnv, xvfb: Xvfb, name: str, value: str, expected: str) -> None:
    speeds = [{"start": "09:00", "stop": "18:00", "max_speed": 1048576}]
    settings: dict[str, Any] = {"queues": {"day": {"max_concurrent": 1}}, "schedule": {"speeds": speeds}}
    with setup_view(paxel_env, xvfb, **settings) as page:
        before = paxel_env.settings_file.read_bytes()
        type_in(page, name, value)
        said = save_and_wait(page)
        shown = error_next_to(page, name)
        assert said.startswith("Not saved") and expected in shown.lower(), (said, shown)
        assert paxel_env.settings_file.read_bytes() == before


def test_a_file_types_folder_outside_the_roots_is_refused_while_sorting_by_type_is_off(
        paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """Saved while off, it would be taken as fine and then refuse every download of that type
    the day the box is ticked (perhaps on the options page, which does not show the types)."""
    with setup_view(paxel_env, xvfb, folder_rules={"by_type": False}) as page:
        before = paxel_env.settings_file.read_bytes()
        press(page, "button[data-add=categories]")
        last = int(page.js(f"{FORM}.querySelectorAll('[data-list=categories] > li').length")) - 1
        type_in(page, f"categories.{last}.name", "Disc")
        type_in(page, f"categories.{last}.extensions", "iso9")
        type_in(page, f"categories.{last}.folder", "/etc/paxel-test")
        said = save_and_wait(page)
        shown = error_next_to(page, f"categories.{last}.folder")
        assert said.startswith("Not saved") and "not inside an allowed" in shown, (said, shown)
        assert paxel_env.settings_file.read_bytes() == before


def test_a_queue_open_at_any_time_is_shown_so_and_can_be_set(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """`"schedule": {"windows": []}` (docs/settings.md: always open, whatever the global windows)
    looked in the panel like a queue without windows, which the view says follows the schedule."""
    windows = [{"start": "02:00", "stop": "03:00"}]
    with setup_view(paxel_env, xvfb, schedule={"windows": windows},
                    queues={"fast": {"max_concurrent": 1, "schedule": {"windows": []}},
                            "slow": {"max_concurrent": 1}}) as page:
        assert page.js(f"{control('queues.0.anyTime')}.checked") is True
        assert page.js(f"{control('queues.1.anyTime')}.checked") is False
        assert page.js(f"{control('queues.0.anyTime')}.closest('label').textContent").strip()
        page.js(f"{control('queues.0.anyTime')}.click()")
        page.js(f"{control('queues.1.anyTime')}.click()")
        assert save_and_wait(page).startswith("Saved")
    assert saved(paxel_env)["queues"] == {"fast": {"max_concurrent": 1},
                                          "slow": {"max_concurrent": 1, "schedule": {"windows": []}}}


def test_the_toolbar_limit_says_when_a_speed_rule_by_time_holds_instead(
        paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """A limit typed while a time-of-day rule holds is kept for after it (docs/settings.md) and
    the service answers with the rule's: the field must not turn 8 into 1 without a word."""
    rule = {"start": "00:00", "stop": "00:00", "max_speed": 1048576}  # round the clock
    with setup_view(paxel_env, xvfb, schedule={"speeds": [rule]}) as page:
        limit = "document.getElementById('global-limit')"
        page.js(f"(c => {{ c.value = '8'; c.dispatchEvent(new Event('input', {{bubbles: true}}));"
                f" c.dispatchEvent(new Event('change', {{bubbles: true}})); }})({limit})")
        said = str(page.wait_for("document.getElementById('global-limit-error').textContent"))
        assert "by time" in said and "1" in said and "8" in said, said
        assert page.js(f"{limit}.getAttribute('aria-invalid')") != "true"


def test_the_per_host_cap_is_a_control_in_the_panel(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    with setup_view(paxel_env, xvfb, max_connections_per_host=8) as page:
        for bad in ("0", "1025", "1e1", "-2"):
            type_in(page, "hostCap", bad)
            assert save_and_wait(page).startswith("Not saved"), bad
            assert "1 to 1024" in error_next_to(page, "hostCap"), bad
        type_in(page, "hostCap", "4")
        assert save_and_wait(page).startswith("Saved")
        assert saved(paxel_env)["max_connections_per_host"] == 4
        type_in(page, "hostCap", "")
        assert save_and_wait(page).startswith("Saved")
    assert saved(paxel_env)["max_connections_per_host"] is None


def test_edits_survive_the_view_closed_and_opened_again(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """A click on the summary folds the view; unfolding it must not drop unsaved edits. A queue
    `paxel queue` added while it was folded is noted on unfolding, and Save keeps it too."""
    with setup_view(paxel_env, xvfb, queues={"day": {"max_concurrent": 1}}) as page:
        type_in(page, "queues.0.maxConcurrent", "4")
        type_in(page, "defaultConnections", "3")
        page.js("document.getElementById('setup').open = false")
        paxel_env.paxel("queue", "add", "night", "2")
        page.js("document.getElementById('setup').open = true")
        page.wait_for("!document.getElementById('setup-fields').disabled"
                      " && !document.getElementById('setup-elsewhere').hidden")
        time.sleep(0.5)  # a read it would start answers by then
        assert page.js(f"{control('queues.0.maxConcurrent')}.value") == "4"
        assert page.js(f"{control('defaultConnections')}.value") == "3"
        assert not page.js("document.getElementById('setup-discard').disabled")
        assert save_and_wait(page).startswith("Saved")
    settings = saved(paxel_env)
    assert settings["queues"] == {"day": {"max_concurrent": 4}, "night": {"max_concurrent": 2}}
    assert settings["default_connections"] == 3
