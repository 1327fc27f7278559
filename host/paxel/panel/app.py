"""The panel window: pywebview page + a ServiceClient connected as client "panel".

Only `paxel panel` imports this, after the display probe passed (Qt aborts the process without a
display). Threads: `webview.start()` owns the main thread; the page's `pywebview.api.*` calls
arrive on pywebview worker threads and become service requests; one pump thread forwards the
service's events into the page. Closing the window returns from `webview.start()` and ends the
process; the service keeps running.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import webbrowser
from typing import Any
from urllib.parse import urlsplit

from paxel import paths
from paxel.client import ServiceClient
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.panel import assets, testhook
from paxel.panel.backend import Backend

log = logging.getLogger(__name__)
RECONNECT_INTERVAL = 0.5  # seconds between tries to find the service again after it went away
WINDOW_SIZE = (560, 640)
MIN_SIZE = (400, 300)


def error_view(exc: PaxelError) -> dict[str, Any]:
    return {"code": int(exc.code), "name": exc.code.name, "message": exc.message}


class PanelApi:
    """What the page calls as `pywebview.api.NAME(...)`; results are plain JSON-able dicts."""

    def __init__(self, client: ServiceClient) -> None:
        self._client = client
        self._page_ready = threading.Event()
        self._window: Any = None  # set once created; pywebview hides attributes starting with _

    def _foreign(self) -> dict[str, Any] | None:
        """An error reply unless the page calling is the panel's own. pywebview gives
        `pywebview.api` to whatever page the window shows: one that got there (a drop WebKit
        loads itself, a link) could set the after-completion command and run anything."""
        window = self._window
        current = window.get_current_url() if window is not None else None
        if current is not None and own_page(getattr(window, "real_url", None), current):
            return None
        log.warning("refused a panel call from %s", current)
        bad = ProtocolError(f"not the panel's page: {current}", code=ErrorCode.CALLER_NOT_ALLOWED)
        return {"ok": False, "error": error_view(bad)}

    def close(self) -> None:
        """Ctrl+W in the page: the same close path as the window's close button."""
        if self._window is not None and self._foreign() is None:
            self._window.destroy()

    def snapshot(self) -> dict[str, Any]:
        """Every download (active and history) for the first render; events flow after this."""
        refused = self._foreign()
        if refused is not None:
            return refused
        try:
            result = self._client.request("list")
        except PaxelError as exc:
            return {"ok": False, "error": error_view(exc)}
        finally:
            self._page_ready.set()
        return {"ok": True, "downloads": result.get("downloads", []), "lifecycle": self._lifecycle(),
                "service": self._service_facts()}

    def _service_facts(self) -> dict[str, Any]:
        """What the Add box offers: the service's folders, default folder and connections."""
        hello = self._client.hello
        keys = ("roots", "default_folder", "default_connections", "max_speed")
        return {key: hello.get(key) for key in keys}

    def _ask(self, request_type: str, **fields: Any) -> dict[str, Any]:
        """One request; {ok: True, ...result} or {ok: False, error} (the service checks the fields)."""
        refused = self._foreign()
        if refused is not None:
            return refused
        try:
            return {"ok": True, **self._client.request(request_type, **fields)}
        except PaxelError as exc:
            return {"ok": False, "error": error_view(exc)}

    def queues(self) -> dict[str, Any]:
        """The queue pickers' choices and the queue overview: the `queues` request's result
        (docs/protocol.md: per queue its limit, running, waiting, window now and next change)."""
        return self._ask("queues")

    def assign(self, download_id: Any, queue: Any) -> dict[str, Any]:
        """A row's queue picker: the download moves to the end of that queue."""
        return self._ask("assign", download_id=download_id, queue=queue)

    def duplicate_answer(self, download_id: Any, choice: Any) -> dict[str, Any]:
        """A held duplicate's answer: rename, skip or resume."""
        return self._ask("duplicate_answer", download_id=download_id, choice=choice)

    def after_completion(self, changes: Any = None) -> dict[str, Any]:
        """What paxel does once a download completes: read, or set (`changes`). Local only: the
        service takes it from the panel and the CLI, never from a browser's connection."""
        return self._ask("after_completion", **({} if changes is None else {"set": changes}))

    def settings(self, changes: Any = None, renamed: Any = None, if_revision: Any = None) -> dict[str, Any]:
        """The service's settings for "Queues, schedule and folders": read, or change (`changes`
        in the settings file's form; `renamed` {old: new} for a queue whose name changed, so its
        downloads go with it; `if_revision`: only if nothing was saved since that read, else
        STALE). The `settings` request `paxel queue`/`paxel schedule` and the options page send:
        the service checks every field again and saves all or nothing."""
        if changes is None:
            return self._ask("settings")
        return self._ask("settings", set=changes, **({"renamed": renamed} if renamed else {}),
                         **({} if if_revision is None else {"if_revision": if_revision}))

    def limit(self, download_id: Any, max_speed: Any) -> dict[str, Any]:
        """A speed limit field: one download's own (`download_id`), or all downloads' (None)."""
        fields: dict[str, Any] = {"max_speed": max_speed}
        if download_id is not None:
            fields["download_id"] = download_id
        return self._ask("limit", **fields)

    def add(self, fields: Any) -> dict[str, Any]:
        """The Add box: one `download` request (the service checks every field again)."""
        if not isinstance(fields, dict) or not isinstance(fields.get("url"), str):
            bad = ProtocolError("the Add box sent no link", code=ErrorCode.BAD_FIELD)
            return {"ok": False, "error": error_view(bad)}
        request = {key: fields[key] for key in ("url", "folder", "connections", "queue")
                   if fields.get(key) not in (None, "")}
        return self._ask("download", source="panel", **request)

    def _lifecycle(self) -> dict[str, Any]:
        table = self._client.hello.get("lifecycle")
        return table if isinstance(table, dict) else {}

    def request_for(self, action: str) -> dict[str, Any] | None:
        """The request a user action of the service's lifecycle table is (None: no such action)."""
        for row in self._lifecycle().get("transitions", []):
            if isinstance(row, dict) and row.get("action") == action and row.get("by") == "user":
                request = row.get("request")
                return dict(request) if isinstance(request, dict) else None
        return None

    def act(self, action: str, download_id: str) -> dict[str, Any]:
        """One button press: a user action of the lifecycle table on one download."""
        refused = self._foreign()
        if refused is not None:
            return refused
        request = self.request_for(action) if isinstance(action, str) else None
        if request is None or not isinstance(request.get("type"), str) or not isinstance(download_id, str):
            bad = ProtocolError(f"unknown panel action {action!r}", code=ErrorCode.BAD_FIELD)
            return {"ok": False, "error": error_view(bad)}
        request_type = request.pop("type")
        try:
            result = self._client.request(request_type, download_id=download_id, **request)
        except PaxelError as exc:
            return {"ok": False, "error": error_view(exc)}
        return {"ok": True, **result}

    def open_link(self, url: str) -> dict[str, Any]:
        """"Open page" on a failed download: the link's page in the user's browser (http(s) only)."""
        refused = self._foreign()
        if refused is not None:
            return refused
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            bad = ProtocolError(f"not a web link: {url!r}", code=ErrorCode.BAD_URL)
            return {"ok": False, "error": error_view(bad)}
        webbrowser.open(url)
        return {"ok": True}

    def _wait_page_ready(self, stop: threading.Event) -> bool:
        """Block until the page has its snapshot (True) or the panel is closing (False)."""
        while not self._page_ready.wait(0.2):
            if stop.is_set():
                return False
        return not stop.is_set()


def own_page(home: str | None, current: str) -> bool:
    """Whether `current` is the panel's page `home` (its query and fragment aside)."""
    if not home:
        return False
    a, b = urlsplit(home), urlsplit(current)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def _stay_home(window: Any) -> None:
    """A page other than the panel's loaded in its window: back to the panel's (the API already
    refuses it; this gives the user the panel back)."""
    current = window.get_current_url()
    home = getattr(window, "real_url", None)
    if current is not None and home and not own_page(home, current):
        log.warning("the panel window was taken to %s: back to the panel", current)
        window.load_url(home)


def _push(window: Any, event: dict[str, Any]) -> None:
    if event.get("event") == "show_panel":  # the service was asked to open the panel: we are it
        window.restore()
        window.show()
        return
    window.evaluate_js(f"window.paxel && window.paxel.onEvent({json.dumps(event)})")


def _pump_events(client: ServiceClient, api: PanelApi, window: Any, stop: threading.Event) -> None:
    """Forward service events to the page until the window closes. When the service goes away
    the page hears `disconnected` (it greys out what may be stale); the panel then looks for the
    service every RECONNECT_INTERVAL without starting one (a stopped service stays stopped
    until someone asks for it) and hands the page a fresh list once it is back."""
    if not api._wait_page_ready(stop):
        return
    while not stop.is_set():
        # events() ends on the connection's end or after a quiet spell; the latter re-checks `stop`.
        while not stop.is_set() and not client.closed:
            for event in client.events(timeout=0.5):
                if stop.is_set():
                    return
                try:
                    _push(window, event)
                except Exception:  # one event the page choked on must not stop every later update
                    log.exception("could not show event %s", event.get("event"))
        if stop.is_set():
            return
        _push(window, {"event": "disconnected", "data": {}})
        fresh = _reconnect(stop)
        if fresh is None:
            return
        client.close()
        client = api._client = fresh
        _push(window, {"event": "reconnected", "data": api.snapshot()})


def _reconnect(stop: threading.Event) -> ServiceClient | None:
    """The service once it is back (None: the window closed first)."""
    while not stop.wait(RECONNECT_INTERVAL):
        try:
            return ServiceClient.connect("panel", start=False)
        except PaxelError:
            continue
    return None


def _prepare_qt_environment() -> None:
    """Chromium inside Qt refuses to run as root without --no-sandbox."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()


def _prepare_gtk_environment() -> None:
    """WebKitGTK's accelerated compositing costs the web process ~80 MB (178 vs 100 MiB PSS
    measured by bench/panel.py) for a page that is a list of rows; the user can still turn it
    back on by setting the variable to 0."""
    os.environ.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")


def run(backend: Backend) -> int:
    """Open the window on `backend` (checked by the caller: it is installed) and serve it until the
    user closes it. Returns the exit status."""
    try:
        client = ServiceClient.connect("panel")
    except PaxelError as exc:
        sys.stderr.write(f"paxel panel: cannot reach the paxel service: {exc.message}\n")
        return int(exc.code)
    if backend.gui == "qt":
        _prepare_qt_environment()
    elif backend.gui == "gtk":
        _prepare_gtk_environment()
    import webview  # only now: importing the toolkit is what needs a display

    api = PanelApi(client)
    window = webview.create_window(
        "paxel", url=str(assets.page_dir(paths.state_dir() / "panel") / "index.html"), js_api=api,
        width=WINDOW_SIZE[0], height=WINDOW_SIZE[1], min_size=MIN_SIZE,
    )  # fmt: skip
    if window is None:
        raise PaxelError("pywebview could not create the panel window")
    api._window = window
    window.events.loaded += lambda: _stay_home(window)
    stop = threading.Event()
    pump = threading.Thread(target=_pump_events, args=(client, api, window, stop), name="paxel-panel-events",
                            daemon=True)  # fmt: skip
    hook_path = os.environ.get(testhook.ENV_VAR)
    hook = testhook.serve(hook_path, window.evaluate_js) if hook_path else None
    pump.start()
    try:
        webview.start(gui=backend.gui, private_mode=True)
    finally:
        stop.set()
        if hook is not None:
            hook.close()
        api._client.close()
        # The pump may be stuck in evaluate_js on the closed window (pywebview waits for a
        # result that never comes): it is a daemon thread, so it cannot keep the process alive.
        pump.join(timeout=1.0)
    return 0
