"""Queues on the panel (issue 13 item 5, the full surface), in the real page under Xvfb with a
real service and nginx: places in line from the service, the lifecycle's Up and Start now
buttons, the queue picker on a row and in the Add box, and a duplicate's question answered."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from test_panel import PanelPage, service_view, wait_service_state
from test_panel_controls import add_in_box, listed, row
from test_truth import start_panel

from conftest import wait_for
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui


def place(page: PanelPage, download_id: str) -> str:
    return str(page.js(f"{row(download_id)} ? {row(download_id)}.querySelector('.queue').textContent : ''"))


def test_queue_places_moves_start_now_picker_and_a_duplicate(
        paxel_env: PaxelEnv, xvfb: Xvfb, nginx_at: Callable[..., Nginx]) -> None:
    slow_nginx = nginx_at("512k")
    paxel_env.write_settings(open_panel_on_add=False, max_concurrent=1, duplicates="ask",
                             queues={"night": {"max_concurrent": 1}})
    paxel_env.env["DISPLAY"] = xvfb.display
    for name in ("a.bin", "b.bin", "c.bin"):
        slow_nginx.add_file(name, 32 << 20)
    slow_nginx.add_file("small.txt", 4 << 10)
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    ids = [json.loads(paxel_env.paxel("add", slow_nginx.url(name, "capped"), "--connections", "1", "--json")
                      .stdout)["download_id"] for name in ("a.bin", "b.bin", "c.bin")]
    wait_service_state(paxel_env, ids[0], "running")
    page, panel = start_panel(paxel_env, "queues-hook.sock")
    try:
        page.wait_for(f"{row(ids[2])} && {row(ids[2])}.querySelector('.queue').textContent === '#2 in line'")
        assert place(page, ids[1]) == "#1 in line"

        # Up on the last one: the service reorders, the panel shows its new places.
        page.js(f"{row(ids[2])}.querySelector('button[data-action=move_up]').click()")
        wait_for(lambda: service_view(paxel_env, ids[2])["queue_position"] == 1, 5, "c to move up")
        page.wait_for(f"{row(ids[2])}.querySelector('.queue').textContent === '#1 in line'"
                      f" && {row(ids[1])}.querySelector('.queue').textContent === '#2 in line'")

        # Start now on b: it runs past the queue's limit of 1.
        page.js(f"{row(ids[1])}.querySelector('button[data-action=start_now]').click()")
        wait_service_state(paxel_env, ids[1], "running")
        page.wait_for(f"{row(ids[1])}.dataset.state === 'running'")

        # The row's queue picker (there is a named queue): c goes to night, where it runs at once.
        picker = f"{row(ids[2])}.querySelector('select.queue-pick')"
        page.wait_for(f"!{picker}.hidden && {picker}.options.length === 2")
        assert page.js(f"{picker}.getAttribute('aria-label')") == "Queue of c.bin"
        page.js(f"(s => {{ s.value = 'night'; s.dispatchEvent(new Event('change', {{bubbles: true}})); }})"
                f"({picker})")
        wait_for(lambda: service_view(paxel_env, ids[2])["queue"] == "night", 5, "c in the night queue")

        # The Add box offers the queues too; the small file goes to night (behind c).
        page.wait_for("!document.getElementById('add-queue').closest('label').hidden")
        page.js("document.getElementById('add-queue').value = 'night'")
        add_in_box(page, slow_nginx.url("small.txt"))
        small = wait_for(lambda: next((v for v in listed(paxel_env) if v["url"].endswith("small.txt")), None),
                         10, "the small file")
        assert small["queue"] == "night"
        page.js(f"{row(small['download_id'])}.querySelector('button[data-action=start_now]').click()")
        wait_service_state(paxel_env, small["download_id"], "completed", timeout=20)

        # The same name again from a browser (which names the file), with duplicates: ask — held
        # until answered; Skip removes it.
        host = paxel_env.host("chrome")
        host.hello()
        again = host.add(2, url=slow_nginx.url("small.txt"), filename="small.txt")
        host.close()
        assert again["duplicate"] and again["duplicate"]["kind"] == "name", again
        box = f"{row(again['download_id'])}.querySelector('.duplicate')"
        page.wait_for(f"{row(again['download_id'])} && !{box}.hidden"
                      f" && {box}.querySelectorAll('button').length === 2")
        assert page.js(f"{box}.textContent").startswith("A file named small.txt is already in its folder.")
        waiting = page.js(f"{row(again['download_id'])}.querySelector('.waiting').textContent")
        assert waiting == "waits for your answer"
        page.js(f"{box}.querySelector('button[data-choice=skip]').click()")
        wait_for(lambda: all(v["download_id"] != again["download_id"] for v in listed(paxel_env)), 10,
                 "Skip to remove the duplicate")
        page.wait_for(f"!{row(again['download_id'])}")

        # After completion, set only locally: here in the panel. A command is an argument list.
        page.js("document.getElementById('after').open = true")
        # 'none' is also the select's first option: wait for the service's answer (the fields
        # are disabled until it lands), else it overwrites the action set below.
        page.wait_for("!document.getElementById('after-fields').disabled"
                      " && document.getElementById('after-action').value === 'none'")
        page.js("(f => { f.action.value = 'command'; f.command.value = '  '; f.timeout.value = '0';"
                " f.querySelector('button[type=submit]').click(); })(document.getElementById('after-form'))")
        page.wait_for("document.getElementById('after-command-error').textContent.includes('first line')")
        assert "1 to 86400" in page.js("document.getElementById('after-timeout-error').textContent")
        page.js("(f => { f.command.value = 'touch\\n{path}.seen'; f.timeout.value = '30';"
                " f.querySelector('button[type=submit]').click(); })(document.getElementById('after-form'))")
        page.wait_for("document.getElementById('after-result').textContent === 'Saved.'")
        saved = json.loads(paxel_env.settings_file.read_text())["after_completion"]
        assert saved == {"action": "command", "command": ["touch", "{path}.seen"], "timeout": 30}, saved
    finally:
        panel.kill()
        panel.wait()
