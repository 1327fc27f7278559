"""The popup attacked by a strange server and used by keyboard alone, in a real Chromium with the
real extension and service (the fault server names the files).

- Names and errors a server chose (HTML in a URL's name, quotes, `</script>`) show as text.
- Delete on an ended row removes it and leaves the focus on the row that took its place, so a
  keyboard or screen-reader user can go on; focus left on <body> stranded them (arrows did
  nothing until they tabbed back into the list).
"""

from __future__ import annotations

import json

import pytest
from browser_chromium import Chromium
from test_panel import wait_service_state
from test_popup_keys import POPUP

from conftest import wait_for
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser
HTML_NAME = "%3Cimg%20src%3Dx%20onerror%3D%22document.title%3D'pwned'%22%3E%3C%2Fscript%3E.bin"


def delete_key(chromium: Chromium, session: str) -> None:
    for kind in ("keyDown", "keyUp"):
        chromium.send("Input.dispatchKeyEvent", {"type": kind, "key": "Delete", "code": "Delete",
                                                 "windowsVirtualKeyCode": 46}, session)


def test_server_chosen_text_shows_as_text_and_delete_keeps_the_focus_in_the_list(
        chromium: Chromium, paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    paxel_env.start_service_without_auto_panel()
    host = paxel_env.host("chrome")
    host.hello()
    views = [host.add(2 + i, url=faultserver.url(f"done-{i}.bin", size=4096)) for i in range(3)]
    hostile = host.add(9, url=f"{faultserver.base}/{HTML_NAME}?status=404&status_times=99")
    host.close()
    for view in [*views, hostile]:
        wait_service_state(paxel_env, view["download_id"], "failed" if view is hostile else "completed",
                           timeout=20)  # fmt: skip
    popup = chromium.open_page(POPUP)
    chromium.send("Page.bringToFront", {}, popup)
    rows = "[...document.querySelectorAll('li.download')]"
    wait_for(lambda: chromium.evaluate(popup, f"{rows}.length") == 4, 10, "four rows")

    bad = f"document.querySelector('li.download[data-id={json.dumps(hostile['download_id'])}]')"
    wait_for(lambda: "<img" in chromium.evaluate(popup, f"{bad}.textContent"), 10, "the name as text")
    markup = "document.querySelectorAll('li.download img, li.download script').length"
    assert chromium.evaluate(popup, markup) == 0
    assert chromium.evaluate(popup, "document.title") != "pwned"
    assert "<img" in chromium.evaluate(popup, f"{bad}.getAttribute('aria-label')")

    # Newest first: the hostile row, then done-2, done-1, done-0. Delete on done-1.
    def row(view: dict[str, object]) -> str:
        return f"document.querySelector('li.download[data-id={json.dumps(view['download_id'])}]')"

    chromium.evaluate(popup, f"{row(views[1])}.focus()")
    delete_key(chromium, popup)
    wait_for(lambda: chromium.evaluate(popup, f"{rows}.length") == 3, 10, "the row removed")
    focused = "document.activeElement?.closest?.('li.download')?.dataset.id"
    wait_for(lambda: chromium.evaluate(popup, focused) == views[0]["download_id"], 10,
             "the focus on the row that took the removed one's place")
    delete_key(chromium, popup)   # and on: the last row goes, the focus moves up to done-2
    wait_for(lambda: chromium.evaluate(popup, f"{rows}.length") == 2, 10, "the next row removed")
    wait_for(lambda: chromium.evaluate(popup, focused) == views[2]["download_id"], 10, "the focus moved up")
    assert chromium.evaluate(popup, f"{rows}.filter(li => li.tabIndex === 0).length") == 1


def test_open_page_opens_web_pages_only(chromium: Chromium, paxel_env: PaxelEnv,
                                        faultserver: FaultServer) -> None:
    """A download's `page` is its request's referrer, whatever the sender put there: "Open page"
    on a link that expired passed it to tabs.create, so `file:///etc/passwd` (or a `data:`
    page) opened in a tab. Only an http(s) page opens; else the link itself."""
    paxel_env.start_service_without_auto_panel()
    host = paxel_env.host("chrome")
    host.hello()
    pages = ["file:///etc/passwd", "data:text/html,<title>pwned</title>", "javascript:document.title='pwned'"]
    views = [host.add(2 + i, url=faultserver.url(f"gone-{i}.bin", status=404, status_times=99), referrer=page)
             for i, page in enumerate(pages)]
    host.close()
    assert [view["page"] for view in views] == [None] * 3
    for view in views:
        wait_service_state(paxel_env, view["download_id"], "failed", timeout=20)
    popup = chromium.open_page(POPUP)
    chromium.send("Page.bringToFront", {}, popup)
    for view in views:
        button = f"li.download[data-id={json.dumps(view['download_id'])}] button[data-action=open_page]"
        wait_for(lambda b=button: chromium.evaluate(popup, f"!!document.querySelector({json.dumps(b)})"), 10,
                 "an Open page button")
        chromium.evaluate(popup, f"document.querySelector({json.dumps(button)}).click()")

    def opened() -> list[str]:
        targets = chromium.send("Target.getTargets")["targetInfos"]
        return [info["url"] for info in targets if info["type"] == "page"]

    wait_for(lambda: sum("/gone-" in url for url in opened()) == 3, 10, "the links themselves opened")
    assert not [url for url in opened() if url.split(":")[0] in ("file", "data", "javascript")], opened()
