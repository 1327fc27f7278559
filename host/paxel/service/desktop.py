"""What the service does on the user's desktop: open a file or its folder, start or raise the
panel, announce a completed download.

Everything here starts a detached process (or a notifier thread) and returns at once; none of it
touches the queue. The display probe, the platform and the "is a panel connected" question are
parameters, so tests drive each branch on any machine. The panel is a separate process
(`paxel panel`), started with the service's own interpreter: the service never imports it.
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from paxel import notify, paths
from paxel.display import DisplayProbe, probe_display
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.service import detach

log = logging.getLogger(__name__)


def opener_argv(target: str, platform: str = sys.platform) -> list[str]:
    """The desktop's "open this" command (Windows: explorer handles files and folders)."""
    if platform.startswith("win"):
        return ["explorer.exe", target]
    if platform == "darwin":
        return ["/usr/bin/open", target]
    return [shutil.which("xdg-open") or "xdg-open", target]


class Desktop:
    """Open, reveal, panel, notifications.

    `raise_panel()` asks an already connected panel to come to the front and says whether there
    was one (the server knows its clients; this module does not).
    """

    def __init__(self, raise_panel: Callable[[], bool],
                 display: Callable[[], DisplayProbe] = probe_display) -> None:
        self._raise_panel = raise_panel
        self._display = display
        self._panel_pid: int | None = None
        self._soon = threading.Lock()  # held while a show_panel_soon() thread runs

    def show_panel_soon(self) -> None:
        """show_panel(quiet=True) on a thread of its own, at most one at a time: probing the
        display can block for ever (an X server that accepts and never answers), and a new
        download's reply must not wait for it."""
        if not self._soon.acquire(blocking=False):
            return  # one is on its way (or stuck): another would do nothing more
        try:
            threading.Thread(target=self._show_quietly, daemon=True, name="paxel-panel-soon").start()
        except RuntimeError:
            self._soon.release()

    def _show_quietly(self) -> None:
        try:
            self.show_panel(quiet=True)
        except Exception:  # a panel that cannot open must not cost the download anything
            log.exception("could not open the panel for a new download")
        finally:
            self._soon.release()

    def open(self, view: Mapping[str, Any], what: str) -> None:
        """Open a download's file (`what="file"`) or its folder with the desktop's handler."""
        target = view["path"] if what == "file" else view["folder"]
        if not target:  # the lifecycle table already said whether the state allows it
            raise ProtocolError(f"download {view['download_id']} has no finished file",
                                code=ErrorCode.BAD_STATE)
        display = self._display()
        if not display.available:
            raise PaxelError(f"no display to open it on: {display.detail}", code=ErrorCode.NO_DISPLAY)
        detach.spawn(opener_argv(str(target)), paths.state_dir() / "open.log")

    def show_panel(self, quiet: bool) -> None:
        """Raise the panel, or start one. `quiet`: with no display, do nothing instead of failing
        (a new download opens the panel only where it can)."""
        if self._raise_panel():
            return
        display = self._display()
        if not display.available:
            if quiet:
                return
            raise PaxelError(f"no display, the panel cannot open (downloads go on headless): "
                             f"{display.detail}", code=ErrorCode.NO_DISPLAY)
        if self._panel_pid is not None and detach.alive(self._panel_pid):
            return  # started moments ago and not connected yet
        self._panel_pid = detach.spawn([sys.executable, "-m", "paxel", "panel"],
                                       paths.state_dir() / "panel.log")

    @staticmethod
    def notify_outcome(event: str, view: Mapping[str, Any]) -> None:
        """A completion or failure on the desktop (when no browser announces it)."""
        if event == "completed":
            notify.notify_completed(view)
        else:
            notify.notify_failed(view)


__all__ = ["Desktop", "opener_argv"]
