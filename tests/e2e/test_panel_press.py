"""A press in the real panel is not lost to a redraw: under Xvfb, a real download from a capped
nginx, real pointer and key events from the X server (xdotool).

A row is first drawn while it connects, without its bar and segment map; at its first progress
they appear and push its buttons down. A press that began on Pause and ended on the text above it
made no click on Pause: nothing paused. So while a pointer is held on a list it is not redrawn
(extension/lib/presshold.js, the popup's guard too). Keys on a focused button must still act as
progress redraws the row, and leave the focus in the row's buttons.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from test_panel import PanelPage, service_view, wait_service_state
from test_panel_controls import row, xdotool
from test_truth import start_panel

from conftest import wait_for
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui

# Counts changes to the lists while a pointer is down (`pressed`) and between the release and its
# click (`released`); keeps what was under the press and where the pressed button was.
WATCH = """(() => {
    const c = window.pressWatch = {down: false, up: false, pressed: 0, released: 0, downOn: "", clicked: "",
                                   moved: null};
    let rect = null;
    const where = (t) => {
        const b = t && t.closest && t.closest("button");
        return b ? "button." + b.dataset.action : (t && (t.className || t.tagName)) || String(t);
    };
    const observer = new MutationObserver((records) => {
        if (c.down) c.pressed += records.length;
        else if (c.up) c.released += records.length;
    });
    for (const id of ["active", "history"]) observer.observe(document.getElementById(id),
        {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener("pointerdown", (e) => {
        Object.assign(c, {down: true, downOn: where(e.target)});
        const b = e.target.closest && e.target.closest("button");
        rect = b ? b.getBoundingClientRect().top : null;
        window.pressButton = b;
    }, true);
    document.addEventListener("pointerup", () => {
        Object.assign(c, {down: false, up: true});
        if (window.pressButton) c.moved = window.pressButton.getBoundingClientRect().top - rect;
    }, true);
    document.addEventListener("click", (e) => { c.up = false; c.clicked = where(e.target); }, true);
})()"""


def button_at(page: PanelPage, download_id: str, action: str) -> tuple[int, int]:
    """The centre of the row's `action` button in the page (the web view fills the X window)."""
    x, y = page.js(f"(() => {{ const r = {row(download_id)}.querySelector('button[data-action={action}]')"
                   ".getBoundingClientRect();"
                   " return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)]; })()")
    return int(x), int(y)


def test_a_held_press_on_pause_pauses_while_progress_redraws(
        paxel_env: PaxelEnv, xvfb: Xvfb, nginx_at: Callable[..., Nginx]) -> None:
    server = nginx_at("1m")
    server.add_file("held.bin", 16 << 20)  # 2 connections at 1 MiB/s: ~8 s, all of it running
    paxel_env.start_service_without_auto_panel(xvfb.display)
    page, panel = start_panel(paxel_env, "press-hook.sock")
    try:
        window = xdotool(paxel_env, "search", "--sync", "--name", "^paxel$").split()[0]
        page.js(WATCH)
        added = paxel_env.paxel("add", server.url("held.bin", "capped"), "--connections", "2", "--json")
        download_id = json.loads(added.stdout)["download_id"]
        pause = f"{row(download_id)} && {row(download_id)}.querySelector('button[data-action=pause]')"
        page.wait_for(pause, timeout=10)
        # Pressed at once, while the row still connects, and held 0.6 s: progress comes meanwhile.
        # The row's first progress may move Pause between the aim and the press (xdotool is a
        # process; at load 11 the press began on the size text above it, 1 run in 3): that press
        # is not the one under test, so it is aimed again (progress keeps redrawing the row 4
        # times a second, so the next hold still has redraws to be kept from).
        for _ in range(3):
            page.js("Object.assign(window.pressWatch, {down: false, up: false, pressed: 0, released: 0,"
                    " downOn: '', clicked: '', moved: null})")
            x, y = button_at(page, download_id, "pause")
            xdotool(paxel_env, "mousemove", "--window", window, str(x), str(y), "mousedown", "1")
            time.sleep(0.6)
            xdotool(paxel_env, "mouseup", "1")
            watch = page.wait_for("window.pressWatch.clicked && window.pressWatch")
            acted = service_view(paxel_env, download_id)["state"] != "running"
            if watch["downOn"] == "button.pause" or acted:
                break
        assert watch["downOn"] == "button.pause", watch  # the press began on Pause
        state = wait_for(lambda: (s := service_view(paxel_env, download_id)["state"]) != "running" and s, 10,
                         "the press to act")  # fmt: skip
        assert state == "paused" and watch["clicked"] == "button.pause", f"the press made no pause: {watch}"
        assert (watch["pressed"], watch["moved"]) == (0, 0), f"the list changed under the press: {watch}"
        page.wait_for(f"{row(download_id)}.dataset.state === 'paused'")  # drawn once the press ended

        # Keys on a focused button while progress redraws the row: Enter resumes, Space pauses,
        # each acting in the service, and the focus stays on the row's buttons (the pressed one is
        # replaced by its opposite: the focus goes to it, so the same key undoes it).
        page.js(f"{row(download_id)}.querySelector('button[data-action=resume]').focus()")
        xdotool(paxel_env, "windowfocus", "--sync", window)
        xdotool(paxel_env, "key", "--window", window, "Return")
        wait_service_state(paxel_env, download_id, "running", timeout=10)
        # redrawn by progress meanwhile
        page.wait_for(f"{row(download_id)}.querySelector('.segments').children.length > 0")
        focused = page.js("document.activeElement.dataset.action || document.activeElement.tagName")
        assert focused == "pause", focused
        xdotool(paxel_env, "key", "--window", window, "space")
        wait_service_state(paxel_env, download_id, "paused", timeout=10)
        page.wait_for(f"{row(download_id)}.dataset.state === 'paused'")
        focused = page.js("document.activeElement.dataset.action || document.activeElement.tagName")
        assert focused == "resume", focused
        assert service_view(paxel_env, download_id)["state"] == "paused"
    finally:
        panel.kill()
        panel.wait()
