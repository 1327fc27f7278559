"""The options page's and the panel's Save when another save lands between their read and their
write (issue 13: two surfaces saving at once must not lose an edit), in a real Chromium with the
real extension, and in the real panel under Xvfb, with the real service: the service refuses the
page's `if_revision` with STALE, and the page reads again, merges and saves, so both edits are
in settings.json. The other save is made from inside the page, just before the page's own
write, so the race happens every time."""

from __future__ import annotations

import json

import pytest
from browser_chromium import Chromium
from test_attack_panel_setup import setup_view
from test_options_queue_windows import click, control, save
from test_options_service import OPTIONS
from test_panel_setup import save_and_wait

from conftest import wait_for
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

ADDED = [{"start": "02:00", "stop": "06:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}]

# Wraps the page's messages to the background: before the page's first write, another save
# (connections per download: 5) goes first; every reply's error code is recorded.
RACE = """(() => {
    const runtime = chrome.runtime;
    const send = runtime.sendMessage.bind(runtime);
    let raced = false;
    window.codes = [];
    runtime.sendMessage = async (message) => {
        if (message.type === 'service.settings' && message.set && !raced) {
            raced = true;
            await send({type: 'service.settings', set: {default_connections: 5}});
        }
        const reply = await send(message);
        if (message.set) window.codes.push(reply && reply.ok ? 'ok' : reply?.error?.code);
        return reply;
    };
})()"""


@pytest.mark.browser
def test_an_options_save_refused_stale_is_merged_and_sent_again(
        chromium: Chromium, paxel_env: PaxelEnv) -> None:
    paxel_env.write_settings(open_panel_on_add=False, default_connections=8,
                             queues={"night": {"max_concurrent": 1}})
    page = chromium.open_page(OPTIONS)
    wait_for(lambda: chromium.evaluate(page, f"{control('queues.0.name')}?.value") == "night", 15,
             "the settings shown")
    chromium.evaluate(page, RACE)
    click(chromium, page, '#service button[data-add="queues.0.windows"]')
    said = save(chromium, page)
    assert said.startswith("Saved"), said
    assert chromium.evaluate(page, "window.codes") == ["STALE", "ok"]
    saved = json.loads(paxel_env.settings_file.read_text())
    assert saved["default_connections"] == 5  # the other save's edit, kept
    assert saved["queues"]["night"]["schedule"]["windows"] == ADDED  # the page's own edit
    assert chromium.evaluate(page, f"{control('defaultConnections')}.value") == "5"  # shown as saved


# The panel's bridge to the service (pywebview.api.settings), wrapped the same way.
PANEL_RACE = """(() => {
    const api = window.pywebview.api;
    const settings = api.settings.bind(api);
    let raced = false;
    window.codes = [];
    api.settings = async (changes, renamed, revision) => {
        if (changes && !raced) {
            raced = true;
            await settings({default_connections: 5}, null, null);
        }
        const reply = await settings(changes, renamed, revision);
        if (changes) window.codes.push(reply.ok ? 'ok' : reply.error.name);
        return reply;
    };
})()"""


@pytest.mark.gui
def test_a_panel_save_refused_stale_is_merged_and_sent_again(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    with setup_view(paxel_env, xvfb, default_connections=8, queues={"night": {"max_concurrent": 1}}) as page:
        page.js(PANEL_RACE)
        page.js("document.querySelector('#setup-form button[data-add=\"queues.0.windows\"]').click()")
        said = save_and_wait(page)
        assert said.startswith("Saved"), said
        assert page.js("window.codes") == ["STALE", "ok"]
    saved = json.loads(paxel_env.settings_file.read_text())
    assert saved["default_connections"] == 5  # the other save's edit, kept
    assert saved["queues"]["night"]["schedule"]["windows"] == ADDED  # the page's own edit
