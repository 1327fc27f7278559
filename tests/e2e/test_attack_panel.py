"""The panel's Add box and rows attacked, in the real page under Xvfb with a real service and the
fault server: several links pasted or dropped at once (one of them was added in silence, the
others lost), connections typed as `1e1` (the number field takes it; it was taken as 10), hostile
link schemes, and HTML in a server's URL name, which must show as text."""

from __future__ import annotations

import functools
import json
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_panel import wait_service_state
from test_panel_controls import add_in_box, listed, row
from test_truth import start_panel

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui
HTML_NAME = "%3Cimg%20src%3Dx%20onerror%3D%22document.title%3D'pwned'%22%3E.bin"
URL_ERROR = "document.getElementById('add-url-error').textContent"


def test_add_box_refuses_what_it_cannot_add_whole_and_rows_show_html_as_text(
        paxel_env: PaxelEnv, xvfb: Xvfb, faultserver: FaultServer) -> None:
    paxel_env.start_service_without_auto_panel(xvfb.display)
    host = paxel_env.host("chrome")
    host.hello()
    hostile = host.add(2, url=f"{faultserver.base}/{HTML_NAME}?status=404&status_times=99")
    host.close()
    wait_service_state(paxel_env, hostile["download_id"], "failed", timeout=20)
    page, panel = start_panel(paxel_env, "attack-hook.sock")
    try:
        links = [faultserver.url(f"many-{i}.bin", size=4096) for i in range(3)]
        # Three links pasted outside a field: the box shows all three and says so; nothing queued.
        text = json.dumps("the files:\n" + "\n".join(links))
        page.js("(() => { const data = new DataTransfer(); data.setData('text/plain', " + text + ");"
                " document.querySelector('header').dispatchEvent(new ClipboardEvent('paste',"
                " {clipboardData: data, bubbles: true, cancelable: true})); })()")
        page.wait_for(f"{URL_ERROR}.includes('3 links')")
        assert all(link in page.js("document.getElementById('add-url').value") for link in links)
        page.js("document.getElementById('add-submit').click()")
        page.wait_for(f"{URL_ERROR}.includes('3 links')")

        # Two links dropped (a uri-list and its text twin): refused, nothing added at once.
        page.js("(() => { const data = new DataTransfer();"
                f" data.setData('text/uri-list', {json.dumps(chr(13) + chr(10).join(links[:2]))});"
                f" data.setData('text/plain', {json.dumps(links[0])});"
                " document.getElementById('history').dispatchEvent("
                "new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true})); })()")
        page.wait_for(f"{URL_ERROR}.includes('2 links')")

        for url, connections in (("javascript:alert(1)", ""), ("file:///etc/passwd", ""),
                                 ("data:text/html,<b>x</b>", ""), (links[0], "1e1"), (links[0], "-1")):
            page.js("document.getElementById('add-url-error').textContent = 'stale'")
            add_in_box(page, url, connections)
            page.wait_for(f"{URL_ERROR} !== 'stale'")
            errors = page.js(f"{URL_ERROR} + document.getElementById('add-connections-error').textContent")
            assert errors, (url, connections)
        assert [v["download_id"] for v in listed(paxel_env)] == [hostile["download_id"]]

        # One link, as typed: added.
        add_in_box(page, links[0], "16")
        page.wait_for("document.getElementById('add-url').value === ''")
        assert len(listed(paxel_env)) == 2

        # The server's name (a URL full of HTML) is text in the row, its label and its tooltip.
        bad = row(hostile["download_id"])
        page.wait_for(f"!!{bad} && {bad}.textContent.includes('<img')")
        assert page.js("document.querySelectorAll('li.download img, li.download script').length") == 0
        assert page.js("document.title") != "pwned"
        assert "<img" in page.js(f"{bad}.getAttribute('aria-label')")
    finally:
        panel.kill()
        panel.wait()


FOREIGN = """<html><head><title>foreign</title></head><body><script>
function go() {
  window.pywebview.api.after_completion({action: "command", command: ["touch", MARKER], timeout: 5})
    .then((r) => { document.title = "answered " + JSON.stringify(r); },
          (e) => { document.title = "threw " + e; });
}
if (window.pywebview && window.pywebview.api && window.pywebview.api.after_completion) go();
else window.addEventListener("pywebviewready", go);
</script></body></html>"""


def test_a_foreign_page_in_the_panel_window_gets_no_local_powers(
        paxel_env: PaxelEnv, xvfb: Xvfb, tmp_path: Path) -> None:
    """Whatever brings another page into the panel's window (a drop WebKit loads itself, a link),
    pywebview injects `pywebview.api` into it: a web page could set the after-completion command
    (local only: it runs programs) and so run anything on the next completion. The panel's API
    answers its own page only, and the window goes back to it."""
    marker = tmp_path / "ran"
    (tmp_path / "foreign.html").write_text(FOREIGN.replace("MARKER", json.dumps(str(marker))))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    paxel_env.start_service_without_auto_panel(xvfb.display)
    page, panel = start_panel(paxel_env, "foreign-hook.sock")
    try:
        own = page.js("location.href")
        page.js(f"location.href = 'http://127.0.0.1:{server.server_address[1]}/foreign.html'")
        log = paxel_env.root / "foreign-hook.sock.log"
        deadline = time.monotonic() + 20
        while "refused a panel call" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)   # a call still on its way has landed by now
        assert paxel_env.paxel("after").stdout.strip() == "none"
        assert not marker.exists()
        assert "refused a panel call from http://127.0.0.1:" in log.read_text(), log.read_text()[-2000:]
        page.wait_for(f"location.href === {json.dumps(own)} && window.paxel && window.paxel.ready === true")
    finally:
        panel.kill()
        panel.wait()
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_bar_of_unknown_progress_has_no_value_for_a_screen_reader(
        paxel_env: PaxelEnv, xvfb: Xvfb, faultserver: FaultServer) -> None:
    """ARIA: an indeterminate progressbar has no aria-valuenow; the panel set it to "" (read as
    0 % by some screen readers) on a running download of unknown size and on a bar hidden."""
    paxel_env.start_service_without_auto_panel(xvfb.display)
    host = paxel_env.host("chrome")
    host.hello()
    unknown = host.add(2, url=faultserver.url("unknown.bin", size=4_000_000, nolength=1, trickle=40_000))
    gone = host.add(3, url=faultserver.url("gone.bin", status=404, status_times=99))
    host.close()
    wait_service_state(paxel_env, gone["download_id"], "failed", timeout=20)
    page, panel = start_panel(paxel_env, "aria-hook.sock")
    try:
        bar = f"{row(unknown['download_id'])}?.querySelector('.bar')"
        page.wait_for(f"!!{bar} && {bar}.classList.contains('indeterminate') && !{bar}.hidden")
        assert page.js(f"{bar}.hasAttribute('aria-valuenow')") is False
        page.wait_for(f"!!{row(gone['download_id'])}")
        assert page.js("document.querySelectorAll('.bar[aria-valuenow=\"\"]').length") == 0
    finally:
        panel.kill()
        panel.wait()
        paxel_env.paxel("cancel", unknown["download_id"], check=False)
