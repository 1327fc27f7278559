"""An expired link in real Chromium and Firefox (docs/protocol.md "Expired links"): a signed link dies in the
middle of paxel's download; the popup says so and offers Refresh link, which opens the page
again; the user's click there is attached to the old download, which completes with the exact
bytes, having re-fetched at most one segment."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from browser_chromium import Chromium
from browser_firefox import Firefox

from conftest import MiB, paxel_list, sha256, wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser

SIZE = 32 * MiB
CONNECTIONS = 8
# 1 MiB/s per connection: 32 MiB in ~4 s on 8, so the link dies (at 6 MiB) with ~3 s of the
# download still to come (512 KiB/s made each test 4 s longer for nothing it checks).
TRICKLE = 1024 * 1024
POPUP = f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html"


def paxel_bytes(faultserver: FaultServer, path: str) -> int:
    """Body bytes the server sent paxel for `path`: its requests all ask for a Range; the
    browser's own request (held, then cancelled) asks for none."""
    return sum(r.sent for r in faultserver.requests("GET") if r.path == path and r.range)


def click_button(browser: Chromium, session: str, label: str) -> None:
    """A real mouse click on the button whose text is `label`."""
    box = browser.evaluate(session, f"""(() => {{
        const b = [...document.querySelectorAll("button")].find(b => b.textContent === {json.dumps(label)});
        if (!b) return null;
        const r = b.getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
    assert box, f"no button {label!r}"
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                 "clickCount": 1}, session)


def new_tab_at(browser: Chromium, prefix: str, known: set[str], timeout: float = 15) -> str:
    """A CDP session in a page target at `prefix` that was not among `known`, once loaded."""
    deadline = time.monotonic() + timeout
    while True:
        found = [t["targetId"] for t in browser.send("Target.getTargets")["targetInfos"]
                 if t["type"] == "page" and t["url"].startswith(prefix) and t["targetId"] not in known]
        if found:
            break
        assert time.monotonic() < deadline, "Refresh link opened no tab at the download's page"
        time.sleep(0.1)
    session = browser.attach(found[0])
    loaded = "document.readyState === 'complete' && !!document.querySelector('#dl')"
    wait_for(lambda: browser.evaluate(session, loaded), 15, "the refreshed page to load")
    return session


def test_an_expired_link_is_refreshed_from_its_page_and_continues(
        chromium: Chromium, paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    settings = json.dumps({"minSize": 0, "connections": CONNECTIONS})
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {settings}}})")
    name = "relink-chromium.bin"
    # Each load of the page signs a new link to the same file; TRICKLE per connection makes
    # the download last long enough for the link to die under it.
    page = faultserver.signed_page(name, size=SIZE, trickle=TRICKLE, exp_cut=1)
    tab = chromium.open_page(page)
    old_link = chromium.evaluate(tab, "document.querySelector('#dl').href")

    chromium.click(tab, "#dl")

    wait_for(lambda: paxel_bytes(faultserver, f"/{name}") >= 6 * MiB, 60, "paxel to fetch 6 MiB")
    faultserver.expire(old_link)   # the signature dies mid-download: cut, then 403

    def expired() -> dict[str, object] | None:
        views = paxel_list(paxel_env)
        return views[0] if views and views[0]["stop_reason"] == "link_expired" else None

    view = wait_for(expired, 30, "the download to show its link expired")
    assert view["state"] == "failed" and view["url"] == old_link and view["page"] == page
    popup = chromium.open_page(POPUP)
    says = "document.body.innerText.includes('The link expired')"
    assert wait_for(lambda: chromium.evaluate(popup, says), 15, "the popup to say the link expired")
    known = {t["targetId"] for t in chromium.send("Target.getTargets")["targetInfos"]}

    click_button(chromium, popup, "Refresh link")

    refreshed = new_tab_at(chromium, page.split("?")[0], known)
    new_link = chromium.evaluate(refreshed, "document.querySelector('#dl').href")
    assert new_link != old_link
    chromium.click(refreshed, "#dl")

    def completed() -> dict[str, object] | None:
        views = paxel_list(paxel_env)
        return views[0] if views and views[0]["state"] == "completed" else None

    done = wait_for(completed, 90, "the attached download to complete")
    views = paxel_list(paxel_env)
    assert [v["download_id"] for v in views] == [view["download_id"]], "one download, continued"
    assert done["url"] == new_link
    assert sha256(Path(str(done["path"]))) == faultserver.sha256(new_link)
    assert list(chromium.downloads.iterdir()) == [], "the browser kept no copy"
    refetched = paxel_bytes(faultserver, f"/{name}") - SIZE
    segment = SIZE // CONNECTIONS
    print(f"\nre-fetched after the refresh: {refetched} bytes (one segment: {segment})")
    assert refetched <= segment
    decisions = chromium.in_extension("chrome.storage.session.get('trace').then(s => s.trace || [])")
    assert decisions[0]["to"] == "paxel" and "continues" in decisions[0]["detail"], decisions[0]


def test_an_expired_link_is_refreshed_from_its_page_and_continues_in_firefox(
        firefox: Firefox, paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Firefox keeps its own copy going until paxel has taken the download: it is cancelled at
    `taken`, the first time and the second (attached) time alike."""
    firefox.set_settings(minSize=0, connections=CONNECTIONS)
    name = "relink-firefox.bin"
    page = faultserver.signed_page(name, size=SIZE, trickle=TRICKLE, exp_cut=1)
    firefox.client.navigate(page)
    old_link = firefox.client.execute_script("return document.querySelector('#dl').href")

    firefox.click("#dl")

    wait_for(lambda: paxel_bytes(faultserver, f"/{name}") >= 6 * MiB, 60, "paxel to fetch 6 MiB")
    faultserver.expire(old_link)
    view = wait_for(lambda: next((v for v in paxel_list(paxel_env) if v["stop_reason"] == "link_expired"),
                                 None), 30, "the download to show its link expired")
    assert view["state"] == "failed" and view["page"] == page
    firefox.client.navigate(f"{firefox.extension_base}popup/popup.html")
    says = "return document.body.innerText.includes('The link expired')"
    wait_for(lambda: firefox.client.execute_script(says), 15, "the popup to say the link expired")
    before = set(firefox.client.window_handles)

    firefox.click(f"li.download[data-id='{view['download_id']}'] button[data-action=refresh]")

    handle = wait_for(lambda: (set(firefox.client.window_handles) - before) or None, 15,
                      "Refresh link to open the page").pop()
    firefox.client.switch_to_window(handle)
    wait_for(lambda: firefox.client.execute_script(
        "return document.readyState === 'complete' && !!document.querySelector('#dl')"), 15, "the page")
    new_link = firefox.client.execute_script("return document.querySelector('#dl').href")
    assert new_link != old_link
    firefox.click("#dl")

    done = wait_for(lambda: next((v for v in paxel_list(paxel_env) if v["state"] == "completed"), None),
                    90, "the attached download to complete")
    assert [v["download_id"] for v in paxel_list(paxel_env)] == [view["download_id"]]
    assert done["url"] == new_link and sha256(Path(str(done["path"]))) == faultserver.sha256(new_link)
    wait_for(lambda: not (firefox.downloads / name).exists(), 10, "Firefox to drop its own copy")
    refetched = paxel_bytes(faultserver, f"/{name}") - SIZE
    print(f"\nre-fetched after the refresh (Firefox): {refetched} bytes (one segment: {SIZE // CONNECTIONS})")
    assert refetched <= SIZE // CONNECTIONS


def test_clicking_a_file_again_continues_its_paused_download(
        chromium: Chromium, paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """No question asked (Chromium holds a download 15 s at most): the second click on the same
    file, from a freshly signed link, continues the paused download instead of starting over."""
    settings = json.dumps({"minSize": 0, "connections": CONNECTIONS})
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {settings}}})")
    name = "again-chromium.bin"
    page = faultserver.signed_page(name, size=SIZE, trickle=TRICKLE)
    tab = chromium.open_page(page)
    chromium.click(tab, "#dl")
    wait_for(lambda: paxel_bytes(faultserver, f"/{name}") >= 6 * MiB, 60, "paxel to fetch 6 MiB")
    download_id = str(paxel_list(paxel_env)[0]["download_id"])
    paxel_env.paxel("pause", download_id)
    wait_for(lambda: paxel_list(paxel_env)[0]["done"] >= 6 * MiB, 15, "the pause to record the bytes")

    again = chromium.open_page(page)   # a reload: a new signature for the same file
    chromium.click(again, "#dl")

    def completed() -> dict[str, object] | None:
        views = paxel_list(paxel_env)
        return views[0] if views and views[0]["state"] == "completed" else None

    done = wait_for(completed, 90, "the paused download to complete")
    assert [v["download_id"] for v in paxel_list(paxel_env)] == [download_id]
    assert sha256(Path(str(done["path"]))) == faultserver.sha256(str(done["url"]))
    assert list(chromium.downloads.iterdir()) == [], "the browser kept no copy"
    refetched = paxel_bytes(faultserver, f"/{name}") - SIZE
    print(f"\nre-fetched after the second click: {refetched} bytes (one segment: {SIZE // CONNECTIONS})")
    assert refetched <= SIZE // CONNECTIONS
