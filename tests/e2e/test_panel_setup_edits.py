"""The panel's "Queues, schedule and folders" (issue 13 item 5), in the real page under Xvfb
with a real service: *Discard changes*, the one way to drop an unsaved edit now that folding
the view keeps it, and the saved limit for all downloads (settings.json's `max_speed`, the
options page's field and `paxel settings set max_speed`; the toolbar's Limit is the live one)."""

from __future__ import annotations

import json

import pytest
from test_attack_panel_setup import setup_view
from test_panel_controls import xdotool
from test_panel_setup import control, error_next_to, save_and_wait, saved, type_in

from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
DISCARD = "document.getElementById('setup-discard')"


def test_discard_changes_draws_what_is_saved_and_writes_nothing(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """Disabled with nothing edited, enabled by an edit; a real Enter on it (the keyboard's way)
    draws the saved settings again and writes nothing; then it is disabled and the keyboard,
    which it would drop, is on Save."""
    with setup_view(paxel_env, xvfb, default_connections=4, max_speed=2 * 1024 * 1024) as page:
        assert page.js(f"{DISCARD}.disabled")
        type_in(page, "defaultConnections", "9")
        type_in(page, "maxSpeed", "")
        assert not page.js(f"{DISCARD}.disabled")
        before = paxel_env.settings_file.read_text()
        window = xdotool(paxel_env, "search", "--sync", "--name", "^paxel$").split()[0]
        xdotool(paxel_env, "windowfocus", "--sync", window)
        page.js(f"{DISCARD}.focus()")
        xdotool(paxel_env, "key", "--window", window, "Return")
        page.wait_for(f"{control('defaultConnections')}.value === '4' && {DISCARD}.disabled")
        assert page.js(f"{control('maxSpeed')}.value") == "2"
        assert page.js("document.activeElement.type") == "submit"
        assert page.js("document.getElementById('setup-result').textContent").startswith("Discarded")
        assert paxel_env.settings_file.read_text() == before


def test_the_saved_limit_for_all_downloads_is_a_field(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    """Shown in MiB/s as on the options page; a bad value is refused next to it with nothing
    written; a good one lands in settings.json (`paxel settings`), and empty removes it."""
    with setup_view(paxel_env, xvfb, max_speed="8M") as page:
        assert page.js(f"{control('maxSpeed')}.value") == "8"
        before = paxel_env.settings_file.read_text()
        for bad in ("-1", "fast", "0"):
            type_in(page, "maxSpeed", bad)
            said = save_and_wait(page)
            assert said.startswith("Not saved"), said
            assert "MiB/s" in error_next_to(page, "maxSpeed")
        assert paxel_env.settings_file.read_text() == before
        type_in(page, "maxSpeed", "1,5")
        assert save_and_wait(page).startswith("Saved")
        assert saved(paxel_env)["max_speed"] == 1536 * 1024
        assert json.loads(paxel_env.settings_file.read_text())["max_speed"] == 1536 * 1024
        assert error_next_to(page, "maxSpeed") == ""
        type_in(page, "maxSpeed", "")
        assert save_and_wait(page).startswith("Saved")
        assert saved(paxel_env).get("max_speed") is None
