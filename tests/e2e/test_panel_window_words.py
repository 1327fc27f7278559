"""The panel's *Queues, schedule and folders* reads each window out in words beside its fields,
as the options page does (lib/servicesettings.js windowWords): a window past midnight says "the
next day", one whose start equals its end "24 hours from", so a slip of the hand shows before
Save; the words follow the fields as they are typed and ticked."""

from __future__ import annotations

import json

import pytest
from test_panel_setup import FORM, control, press, tick, type_in
from test_truth import start_panel

from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui


def words(at: str) -> str:
    return f"{FORM}.querySelector('output[data-window={json.dumps(at)}]').textContent"


def test_the_panel_reads_each_window_out_in_words(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    paxel_env.write_settings(open_panel_on_add=False, queues={"night": {"max_concurrent": 1, "schedule": {
        "windows": [{"start": "22:00", "stop": "06:00", "days": ["fri", "sat"]}]}}})
    paxel_env.env["DISPLAY"] = xvfb.display
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    page, panel = start_panel(paxel_env, "window-words-hook.sock")
    try:
        page.js("document.getElementById('open-setup').click()")
        page.wait_for(f"!document.getElementById('setup-fields').disabled && {control('queues.0.name')}")
        page.wait_for(f"{words('queues.0.windows.0')} === 'Fri, Sat: 22:00 to 06:00 the next day'")
        # a new global window, its end typed equal to its start: a whole day, said so at once
        press(page, "button[data-add=windows]")
        type_in(page, "windows.0.stop", "02:00")
        page.wait_for(f"{words('windows.0')} === 'every day, 24 hours from 02:00'")
        tick(page, "windows.0", ["sun"])
        page.wait_for(f"{words('windows.0')} === 'Sun: 24 hours from 02:00'")
        type_in(page, "windows.0.start", "25:00")  # no time: no words (its error comes at Save)
        page.wait_for(f"{words('windows.0')} === ''")
    finally:
        panel.kill()
        panel.wait()
