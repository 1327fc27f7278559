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
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DisplayProbe:
    """`available` plus a sentence for the user saying what was found or checked."""

    available: bool
    detail: str


def x_display_opens(name: str) -> bool:
    """True when libX11 can connect to display `name` (the connection is closed again)."""
    library = ctypes.util.find_library("X11")
    if library is None:
        return False
    try:
        xlib = ctypes.CDLL(library)
    except OSError:
        return False
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = xlib.XOpenDisplay(name.encode())
    if not handle:
        return False
    xlib.XCloseDisplay(handle)
    return True


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
