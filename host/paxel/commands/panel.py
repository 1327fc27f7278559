"""`paxel panel`: open the progress window, after checking that a display exists.

The probe imports no GUI toolkit: without a display Qt would abort the whole process (exit 134)
before Python could say anything useful. With none, or with no toolkit installed for pywebview,
we explain and exit with NO_DISPLAY (the panel cannot open here); the service and its downloads
are untouched.
"""

from __future__ import annotations

import os
import sys

from paxel import paths
from paxel.client import ServiceClient
from paxel.display import probe_display
from paxel.errors import ErrorCode, PaxelError
from paxel.panel import backend
from paxel.service.ipc import ServiceLock

USAGE = """usage: paxel panel

Open the paxel progress window (downloads, speed, ETA, per-connection segments, history).
Closing the window only closes the window: downloads go on in the paxel service.
With a panel already open, this brings it to the front instead of opening another.
"""


def main(command: str, argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv:
        sys.stderr.write(f"paxel panel: unexpected argument {argv[0]!r}\n{USAGE}")
        return int(ErrorCode.USAGE)
    probe = probe_display()
    if not probe.available:
        sys.stderr.write(
            f"paxel panel: cannot open the panel: {probe.detail}.\n"
            "Downloads go on in the paxel service; follow them with `paxel list` or the browser "
            "extension's popup.\n"
        )
        return int(ErrorCode.NO_DISPLAY)
    chosen = backend.current(sys.platform)
    if not chosen.ok:
        sys.stderr.write(
            f"paxel panel: cannot open the panel: {chosen.detail}.\n"
            "Downloads go on in the paxel service; follow them with `paxel list`.\n"
        )
        return int(ErrorCode.NO_DISPLAY)
    # One panel per user: the lock dies with the process, so a crashed panel never blocks the next.
    lock = ServiceLock(paths.runtime_dir() / "panel.lock")
    if not lock.acquire():
        return _front_existing()
    from paxel.panel.app import run  # imports pywebview/Qt: only after the probe

    try:
        status = run(chosen)
    finally:
        lock.release()
    # pywebview hands js_api results back to the page from non-daemon threads that wait on the GUI
    # loop; one caught by the window closing (e.g. the Ctrl+W call itself) would keep this process
    # alive forever. Everything of ours is closed by now, so leave without waiting for them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _front_existing() -> int:
    """Another panel is open: ask the service to bring it to the front instead of opening a second."""
    try:
        client = ServiceClient.connect("cli", start=False)
        try:
            client.request("show_panel", timeout=10.0)
        finally:
            client.close()
    except PaxelError as exc:
        sys.stderr.write(f"paxel panel: a panel is already open, but it could not be raised: {exc.message}\n")
        return int(exc.code)
    sys.stdout.write("paxel panel: already open; brought it to the front\n")
    return 0
