"""Screens of issue 12: the panel (Xvfb, the real pywebview page) and the popup and options page
(headless Chromium, the real extension) in light and dark, with a connecting, retrying, running,
paused, failed and finished download at once. Saved under test-artifacts/screens/ and checked
from the DOM: names, numbers and buttons per state."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser_chromium import Chromium
from test_panel import ARTIFACTS, screenshot
from test_truth import start_panel

from conftest import wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.wire import silent_server
from support.xvfb import Xvfb

pytestmark = [pytest.mark.gui, pytest.mark.browser]
SCREENS = ARTIFACTS / "screens"
LONG = "debian-13.1.0-amd64-netinst-with-firmware-nonfree-and-extras-dvd1.iso"  # cut in the middle
RETRY_AFTER = 120  # seconds: the most paxel waits for a server's Retry-After
BASE = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}"

# What each row must show, by state: the words of the state, whether a bar shows, the buttons.
EXPECTED = {
    "connecting": ("connecting…", False, ["pause", "cancel", "remove"]),
    "retrying": ("retrying (try {attempt} of 6)", False, ["pause", "cancel", "remove"]),
    "running": ("downloading", True, ["pause", "cancel", "remove"]),
    "paused": ("paused", True, ["resume", "refresh", "cancel", "remove"]),
    "failed": ("failed", False, ["open_page", "copy_link", "refresh", "remove"]),
    "finished": ("completed", True, ["open", "reveal", "remove"]),
}
# The panel is the full surface: the queue's own actions too (the popup, compact, leaves them out).
PANEL_BUTTONS = {"paused": ["resume", "refresh", "start_now", "cancel", "remove"]}

ROWS_JS = """[...document.querySelectorAll('li.download')].map(li => ({
    id: li.dataset.id, state: li.dataset.state,
    name: li.querySelector('.name').textContent, title: li.querySelector('.name').title,
    fits: (n => { const r = document.createRange(); r.selectNodeContents(n);
                  return r.getBoundingClientRect().width <= n.clientWidth; })(li.querySelector('.name')),
    site: li.querySelector('.site').textContent,
    words: li.querySelector('.state').textContent,
    bar: !!li.querySelector('.bar') && !li.querySelector('.bar').hidden,
    size: (li.querySelector('.size') || {}).textContent || '',
    speed: (li.querySelector('.speed') || {}).textContent || '',
    eta: (li.querySelector('.eta') || {}).textContent || '',
    retry: (li.querySelector('.retry') || {}).textContent || '',
    error: (li.querySelector('.error') || {}).textContent || '',
    buttons: [...li.querySelectorAll('button')].map(b => b.dataset.action),
    now: Date.now() / 1000,
}))"""


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A server that completes the TCP handshake (the kernel does) and never answers."""
    with silent_server("isos/ubuntu%2024.04%20desktop%20amd64.iso") as url:
        yield url


@pytest.fixture
def tall_xvfb() -> Iterator[Xvfb]:
    with Xvfb(screen="1100x1500x24") as server:
        yield server


def add(env: PaxelEnv, url: str, connections: int = 1) -> str:
    added = env.paxel("add", url, "--connections", str(connections), "--json")
    return str(json.loads(added.stdout)["download_id"])


def wait_view(env: PaxelEnv, download_id: str, check: Any, what: str, timeout: float = 20) -> dict[str, Any]:
    def look() -> dict[str, Any] | None:
        views = json.loads(env.paxel("list", "--json").stdout)
        view = next(v for v in views if v["download_id"] == download_id)
        return view if check(view) else None
    return wait_for(look, timeout, what, interval=0.2)


def six_downloads(env: PaxelEnv, nginx: Nginx, faults: FaultServer, black_hole: str) -> dict[str, str]:
    nginx.add_file("finished-report.pdf", 1 << 20)
    for big in (LONG, "holiday photos 2025.zip"):
        # Only a few MiB of these are ever fetched and no byte is checked: sparse files, made at
        # once, where random ones cost ~1 s each to write.
        with (nginx.data / big).open("wb") as out:
            out.truncate(256 << 20)
        (nginx.data / big).chmod(0o644)
    ids = {"finished": add(env, nginx.url("finished-report.pdf"))}
    wait_view(env, ids["finished"], lambda v: v["state"] == "completed", "the small file to finish")
    ids["failed"] = add(env, faults.url("files/missing-driver-pack.zip", status=404, status_times=99))
    wait_view(env, ids["failed"], lambda v: v["state"] == "failed", "the 404 to fail")
    ids["paused"] = add(env, nginx.url("holiday%20photos%202025.zip", "capped"), 2)
    wait_view(env, ids["paused"], lambda v: v["done"] > 0, "bytes of the one to pause")
    env.paxel("pause", ids["paused"])
    ids["running"] = add(env, nginx.url(LONG, "capped"), 4)
    busy = faults.url("busy/nightly.tar.gz", status=503, status_times=99, retry_after=str(RETRY_AFTER))
    ids["retrying"] = add(env, busy)
    ids["connecting"] = add(env, black_hole)
    retrying = wait_view(env, ids["retrying"], lambda v: v["phase"] == "retrying", "the 503 to be retried")
    # the server's Retry-After is kept (the poll above may lag it by seconds on a loaded machine)
    assert 60 < retrying["retry_at"] - time.time() <= RETRY_AFTER + 0.5, retrying
    wait_view(env, ids["running"], lambda v: v["done"] > 0 and v["speed"] > 0, "bytes of the running one")
    return ids


def read_rows(env: PaxelEnv, read: Callable[[str], Any],
              retrying_id: str) -> tuple[list[Any], dict[str, Any]]:
    """The page's rows with the service's view of the retrying download as it was while they were
    read. Retry-After: 120 is waited out for real, and a loaded machine takes more than that from
    the first 503 to the dark panel: its next try (3 of 6, a new retry_at) may land in between, so
    a read that straddles it is read again."""
    def retrying() -> dict[str, Any]:
        views = json.loads(env.paxel("list", "--json").stdout)
        return next(v for v in views if v["download_id"] == retrying_id)
    for _ in range(3):
        before = retrying()
        if before["retry_at"] - RETRY_AFTER > time.time() - 3:  # a 503 just now: let the page hear of it
            time.sleep(3)
            continue
        rows = read(ROWS_JS)
        after = retrying()
        if (before["attempt"], before["retry_at"]) == (after["attempt"], after["retry_at"]):
            return rows, after
    raise AssertionError(f"the retrying download tried again during each of 3 reads: {before}")


def check_rows(rows: list[dict[str, Any]], retrying_view: dict[str, Any], ids: dict[str, str],
               panel: bool = False) -> None:
    by_id = {row["id"]: row for row in rows}
    assert retrying_view["phase"] == "retrying" and retrying_view["attempt"] >= 2, retrying_view
    for kind, download_id in ids.items():
        row = by_id[download_id]
        words, bar, buttons = EXPECTED[kind]
        words = words.format(attempt=retrying_view["attempt"])
        buttons = PANEL_BUTTONS.get(kind, buttons) if panel else buttons
        assert (row["words"], row["bar"], row["buttons"]) == (words, bar, buttons), (kind, row)
    # decoded from the URL before the server names it
    assert by_id[ids["connecting"]]["name"] == "ubuntu 24.04 desktop amd64.iso"
    assert by_id[ids["connecting"]]["site"] == "127.0.0.1"
    long_name = by_id[ids["running"]]
    assert "…" in long_name["name"] and long_name["name"].endswith(".iso"), long_name
    assert long_name["fits"], long_name
    retry_shown(by_id[ids["retrying"]], retrying_view["retry_at"])
    assert long_name["title"].endswith(LONG)
    assert "/256 MiB (" in long_name["size"] and long_name["speed"].endswith("/s"), long_name
    assert long_name["eta"].endswith(" left"), long_name
    failed = by_id[ids["failed"]]
    gone = "The server says the file is gone (404) — the link may have expired"
    assert failed["error"].startswith(gone), failed
    assert "http" not in failed["error"]
    assert by_id[ids["finished"]]["size"] == "1.0 MiB"
    assert "/256 MiB (" in by_id[ids["paused"]]["size"]


def retry_shown(row: dict[str, Any], retry_at: float) -> None:
    """The countdown is the service's retry_at less the page's own clock when the rows were read
    (not the test's wall clock since the 503: on a loaded machine the dark panel is read over a
    minute after it, and the next try may have come and gone). The row is redrawn with each
    progress event (4 a second): its text may be a few seconds behind the read, never ahead."""
    left = retry_at - row["now"]
    if left <= 0.5:  # the try is due: the row says so until the next 503 is seen
        assert row["retry"] in ("trying again…", ""), (row, left)
        return
    shown = re.fullmatch(r"next try in (\d):([0-5]\d)", row["retry"])
    assert shown, (row, left)
    seconds = int(shown[1]) * 60 + int(shown[2])
    assert left - 1 <= seconds <= left + 5, (row, left)


def graph_is_the_samples(page: Any, download_id: str) -> None:
    """The row's speed graph is drawn from exactly the speeds the service sent in `progress`."""
    quoted = json.dumps(download_id)
    page.js("(() => { window.sent = []; const on = window.paxel.onEvent;"
            " window.paxel.onEvent = (e) => { if (e.event === 'progress') for (const v of e.data.downloads)"
            f" if (v.download_id === {quoted}) window.sent.push(v.speed); on(e); }}; }})()")
    page.wait_for("window.sent.length >= 4", timeout=10)
    sent, graphed = page.js(f"[window.sent, window.paxel.samples()[{quoted}].map(p => p[1])]")
    assert graphed[-len(sent):] == sent, (sent, graphed)
    assert all(speed > 0 for speed in sent)
    row = f"document.querySelector('li.download[data-id={json.dumps(download_id)}]')"
    assert page.js(f"{row}.querySelector('.graph path').getAttribute('d')").startswith("M")
    assert page.js("document.querySelector('#total-graph path').getAttribute('d')").startswith("M")


def bulk_buttons(page: Any, env: PaxelEnv, ids: dict[str, str]) -> None:
    """Pause all pauses every queued or running one; Clear finished removes the completed one."""
    page.js("document.querySelector('button[data-bulk=pause_all]').click()")
    for kind in ("connecting", "retrying", "running"):
        wait_view(env, ids[kind], lambda v: v["state"] == "paused", f"Pause all to pause the {kind} one")
    page.wait_for("document.querySelector('button[data-bulk=pause_all]').disabled === true")
    page.js("document.querySelector('button[data-bulk=clear_finished]').click()")
    def listed() -> set[str]:
        return {v["download_id"] for v in json.loads(env.paxel("list", "--json").stdout)}

    wait_for(lambda: ids["finished"] not in listed(), 10, "Clear finished to remove the completed one")
    assert listed() == set(ids.values()) - {ids["finished"]}, "failed and paused ones stay"


def controls_present(page: Any) -> None:
    """The panel's own controls are on screen, labelled: the Add box with the service's folders,
    history search and filter, one row in the tab order, a label on every row."""
    controls = page.js("""(() => { const q = (s) => document.querySelector(s); return {
        link: q('label[for=add-url]').textContent, folders: q('#add-folder').options.length,
        add: q('#add-submit').textContent, search: q('#history-search').getAttribute('aria-label'),
        filters: [...q('#history-filter').options].map(o => o.value),
        tabbable: [...document.querySelectorAll('li.download')].filter(li => li.tabIndex === 0).length,
        unlabelled: [...document.querySelectorAll('li.download')]
            .filter(li => !li.getAttribute('aria-label')).length,
    }; })()""")
    filters = ["all", "completed", "failed", "cancelled", "missing"]
    assert controls == {"link": "Link to download", "folders": controls["folders"], "add": "Add",
                        "search": "Search history", "filters": filters, "tabbable": 1,
                        "unlabelled": 0}, controls
    assert controls["folders"] >= 1


def capture(chromium: Chromium, session: str, dark: bool, target: Any) -> None:
    chromium.send("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]}, session)
    time.sleep(0.3)
    shot = chromium.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))


def test_every_state_in_light_and_dark(paxel_env: PaxelEnv, tall_xvfb: Xvfb, faultserver: FaultServer,
                                       black_hole: str, chromium: Chromium) -> None:
    nginx = Nginx(rate="1m")
    panels: list[subprocess.Popen[bytes]] = []
    try:
        paxel_env.write_settings(open_panel_on_add=False, max_concurrent=8)
        paxel_env.env["DISPLAY"] = tall_xvfb.display
        paxel_env.paxel("service", "start")
        paxel_env.wait_service()
        ids = six_downloads(paxel_env, nginx, faultserver, black_hole)

        # The popup, light and dark (the list scrolls in a real popup: shown whole here).
        popup = chromium.open_page(f"{BASE}/popup/popup.html")
        chromium.send("Page.bringToFront", {}, popup)  # a background tab lays nothing out
        chromium.send("Emulation.setDeviceMetricsOverride",
                      {"width": 480, "height": 600, "deviceScaleFactor": 1, "mobile": False}, popup)
        wait_for(lambda: len(chromium.evaluate(popup, ROWS_JS)) == 6, 10, "six rows in the popup")
        wait_for(lambda: chromium.evaluate(popup, "document.getElementById('host-status').dataset.state")
                 == "connected", 10, "the popup to be connected")
        check_rows(*read_rows(paxel_env, lambda js: chromium.evaluate(popup, js), ids["retrying"]), ids)
        labels = chromium.evaluate(popup, "[...document.querySelectorAll('li.download')]"
                                          ".map(li => [li.tabIndex, li.getAttribute('aria-label')])")
        assert sorted(t for t, _ in labels) == [-1] * 5 + [0] and all(label for _, label in labels), labels
        totals = chromium.evaluate(popup, "document.getElementById('totals').textContent")
        assert totals.startswith("3 downloading · 1 paused · ") and totals.endswith("/s"), totals
        chromium.evaluate(popup, "document.getElementById('downloads').style.maxHeight = 'none'")
        height = chromium.evaluate(popup, "document.documentElement.scrollHeight")
        chromium.send("Emulation.setDeviceMetricsOverride",
                      {"width": 480, "height": height, "deviceScaleFactor": 1, "mobile": False}, popup)
        for dark in (False, True):
            capture(chromium, popup, dark, SCREENS / f"popup-{'dark' if dark else 'light'}.png")
        options = chromium.open_page(f"{BASE}/options/options.html")
        chromium.send("Page.bringToFront", {}, options)
        chromium.evaluate(options, "(f => { f.minSizeMiB.value = '-1'; "
                                   "document.querySelector('button[type=submit]').click(); })"
                                   "(document.getElementById('settings').elements)")
        wait_for(lambda: chromium.evaluate(options, "!!document.getElementById('error-minSizeMiB')"), 5,
                 "the size error next to its field")
        # the service's own settings, read from it (max_concurrent 8 above), with their list editors
        concurrent = "document.querySelector('#service [name=maxConcurrent]').value"
        wait_for(lambda: chromium.evaluate(options, concurrent) == "8", 10, "the service's settings shown")
        adders = "[...document.querySelectorAll('#service [data-add]')].map(b => b.dataset.add)"
        lists = chromium.evaluate(options, adders)
        assert lists == ["queues", "windows", "speeds", "sites"], lists
        for dark in (False, True):
            capture(chromium, options, dark, SCREENS / f"options-{'dark' if dark else 'light'}.png")

        # The panel, light and dark (GTK's dark theme is what WebKitGTK reports to the page).
        for dark in (False, True):
            theme = {"GTK_THEME": "Adwaita:dark"} if dark else {"GTK_THEME": "Adwaita"}
            page, panel = start_panel(paxel_env, f"screens-{dark}.sock", theme)
            panels.append(panel)
            page.wait_for("document.querySelectorAll('li.download').length === 6")
            time.sleep(0.5)  # a progress event or two
            check_rows(*read_rows(paxel_env, page.js, ids["retrying"]), ids, panel=True)
            window = subprocess.run(["xdotool", "search", "--sync", "--name", "^paxel$"], env=paxel_env.env,
                                    check=True, capture_output=True, text=True, timeout=10).stdout.split()[0]
            subprocess.run(["xdotool", "windowsize", window, "620", "1450", "windowmove", window, "0", "0"],
                           env=paxel_env.env, check=True, timeout=10)
            time.sleep(0.8)
            controls_present(page)
            scheme = page.js("matchMedia('(prefers-color-scheme: dark)').matches")
            print(f"\npanel {'dark' if dark else 'light'}: page sees prefers-color-scheme dark = {scheme}")
            colours = screenshot(tall_xvfb.display, SCREENS / f"panel-{'dark' if dark else 'light'}.png")
            assert colours > 50
            if dark:
                graph_is_the_samples(page, ids["running"])
                bulk_buttons(page, paxel_env, ids)
            panel.kill()
            panel.wait()
    finally:
        for panel in panels:
            if panel.poll() is None:
                panel.kill()
                panel.wait()
        nginx.stop()
