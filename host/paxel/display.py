"""Is there a display to open a window on? Answered without importing any GUI toolkit.

Qt aborts the process (exit 134) and GTK exits from C when there is no display, so the panel and
the service must ask first. On Linux/BSD that means a reachable Wayland socket or an X server
that accepts XOpenDisplay (through ctypes: libX11 is present wherever an X toolkit could run).
macOS and Windows sessions always have one. The platform and environment are parameters so
tests drive every branch on any machine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DisplayProbe:
    """`available` plus a sentence for the user saying what was found or checked."""

    available: bool
    detail: str


# A busy X server (Xvfb on a loaded machine, while a panel's toolkit opens its own connections)
# refuses a connection now and then: its socket's backlog is full (EAGAIN) or it resets the new
# connection (ECONNRESET; Xlib may then report the errno of the next transport it tried, ENOENT).
# That is no answer to "is there a display": such a failure is tried again while the display's
# local socket exists; a refused one (a dead server's socket) or none is not.
BUSY_ERRNOS = frozenset({errno.EAGAIN, errno.ECONNRESET, errno.EINTR})
BUSY_TRIES = 8
BUSY_PAUSE = 0.05  # seconds, doubled per try: 6.4 s in all at most


def x_display_opens(name: str, sleep: Callable[[float], None] = time.sleep) -> bool:
    """True when libX11 can connect to display `name` (the connection is closed again)."""
    library = ctypes.util.find_library("X11")
    if library is None:
        return False
    try:
        xlib = ctypes.CDLL(library, use_errno=True)
    except OSError:
        return False
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    for attempt in range(BUSY_TRIES):
        ctypes.set_errno(0)
        handle = xlib.XOpenDisplay(name.encode())
        if handle:
            xlib.XCloseDisplay(handle)
            return True
        failure = ctypes.get_errno()
        busy = failure in BUSY_ERRNOS or (failure != errno.ECONNREFUSED and _local_x_socket(name))
        if not busy or attempt == BUSY_TRIES - 1:
            return False
        sleep(BUSY_PAUSE * 2 ** attempt)
    return False


def _local_x_socket(name: str) -> bool:
    """Does local display `name` (":0", ":0.1", "unix:0") have its socket in /tmp/.X11-unix?"""
    host, _, number = name.partition(":")
    number = number.split(".")[0]
    return host in ("", "unix") and number.isdigit() and _is_socket(Path(f"/tmp/.X11-unix/X{number}"))


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


def probe_display(
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    x_opens: Callable[[str], bool] = x_display_opens,
) -> DisplayProbe:
    """Say whether a window can be shown in this session, and why (see the module docstring)."""
    if platform == "darwin" or platform.startswith(("win", "cygwin")):
        return DisplayProbe(True, f"{platform} desktop session")
    env = os.environ if env is None else env
    checked: list[str] = []
    wayland = env.get("WAYLAND_DISPLAY", "")
    if wayland:
        socket = Path(wayland)
        if not socket.is_absolute():
            socket = Path(env.get("XDG_RUNTIME_DIR", "/nonexistent")) / wayland
        if _is_socket(socket):
            return DisplayProbe(True, f"Wayland display {socket}")
        checked.append(f"WAYLAND_DISPLAY={wayland} has no socket at {socket}")
    x_name = env.get("DISPLAY", "")
    if x_name:
        if x_opens(x_name):
            return DisplayProbe(True, f"X display {x_name}")
        checked.append(f"DISPLAY={x_name} cannot be opened")
    if not checked:
        checked.append("neither DISPLAY nor WAYLAND_DISPLAY is set")
    return DisplayProbe(False, "no display: " + "; ".join(checked))
