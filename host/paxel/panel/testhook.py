"""Evaluate JavaScript in the live panel page from another process (tests and debugging).

Off unless `PAXEL_PANEL_TEST_SOCKET` names a socket path. Then the panel listens there (user-only
permissions) and answers each JSON line `{"js": "EXPR"}` with `{"ok": true, "result": VALUE}` or
`{"ok": false, "error": "..."}`, VALUE being what pywebview's `evaluate_js` returns for EXPR in the
real page. Tests use it to read the DOM and click buttons the way a user would.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from paxel.service import ipc

ENV_VAR = "PAXEL_PANEL_TEST_SOCKET"


def _answer(line: bytes, evaluate: Callable[[str], Any]) -> dict[str, Any]:
    try:
        request = json.loads(line)
        script = request["js"]
        if not isinstance(script, str):
            raise TypeError("js must be a string")
    except (ValueError, KeyError, TypeError) as exc:
        return {"ok": False, "error": f"bad request: {exc}"}
    try:
        return {"ok": True, "result": evaluate(script)}
    except Exception as exc:  # the page's exception, reported to the caller instead of killing the hook
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _serve_connection(conn: socket.socket, evaluate: Callable[[str], Any]) -> None:
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            stream.write(json.dumps(_answer(line, evaluate), default=str).encode() + b"\n")
            stream.flush()


def _accept_loop(server: socket.socket, evaluate: Callable[[str], Any]) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=_serve_connection, args=(conn, evaluate), daemon=True).start()


def serve(path: str, evaluate: Callable[[str], Any]) -> socket.socket:
    """Listen on `path` in a daemon thread; closing the returned socket stops accepting."""
    # Bound under a temporary name and renamed once listening: when `path` exists, it answers.
    staging = f"{path}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = ipc.listen(staging)  # user-only from the start, like the service's own socket
    os.rename(staging, path)
    threading.Thread(
        target=_accept_loop, args=(server, evaluate), name="paxel-panel-hook", daemon=True
    ).start()
    return server
