"""Desktop notification when a download completes, wherever the desktop offers one.

Called by the service from its completion path (after the watcher saw the final file). It never
raises and never blocks the caller: with no notifier (headless, no `notify-send`, no session bus)
it simply does nothing; the extension and the panel still show the completion. The command is
chosen by a pure function with the platform and a `which` as parameters, so every OS branch is
tested anywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

APP_NAME = "paxel"
TIMEOUT = 5.0  # seconds a notifier may take before it is abandoned


def describe(view: Mapping[str, Any]) -> tuple[str, str]:
    """Title and body for a completed DownloadView."""
    name = str(view.get("filename") or view.get("path") or view.get("url") or "download")
    folder = view.get("folder")
    size = view.get("total") if view.get("total") is not None else view.get("done")
    parts = [format_size(int(size))] if isinstance(size, int) else []
    if folder:
        parts.append(f"in {folder}")
    return f"Downloaded {name}", " ".join(parts) or name


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _gvariant_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _applescript_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def notification_command(
    title: str,
    body: str,
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str] | None:
    """The argv that shows a notification on this desktop, or None where there is no notifier."""
    if platform == "darwin":
        osascript = which("osascript")
        script = f"display notification {_applescript_string(body)} with title {_applescript_string(title)}"
        return [osascript, "-e", script] if osascript else None
    if platform.startswith(("win", "cygwin")):
        return None  # no built-in command-line notifier; the extension notifies instead
    env = env if env is not None else {}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("DBUS_SESSION_BUS_ADDRESS")):
        return None
    notify_send = which("notify-send")
    if notify_send:
        return [notify_send, "--app-name", APP_NAME, "--icon", "folder-download", title, body]
    gdbus = which("gdbus")
    if gdbus and env.get("DBUS_SESSION_BUS_ADDRESS"):
        return [
            gdbus, "call", "--session",
            "--dest", "org.freedesktop.Notifications",
            "--object-path", "/org/freedesktop/Notifications",
            "--method", "org.freedesktop.Notifications.Notify",
            _gvariant_string(APP_NAME), "0", _gvariant_string("folder-download"),
            _gvariant_string(title), _gvariant_string(body), "[]", "{}", "5000",
        ]  # fmt: skip
    return None


def _run_quietly(argv: list[str]) -> None:
    # A broken notifier must not disturb the download it is announcing.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=TIMEOUT, check=False)  # fmt: skip


def describe_failure(view: Mapping[str, Any]) -> tuple[str, str]:
    """Title and body for a failed DownloadView."""
    name = str(view.get("filename") or view.get("url") or "download")
    error = view.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    return f"Download failed: {name}", str(message or "paxel could not finish it")


def notify_failed(view: Mapping[str, Any], env: Mapping[str, str] | None = None) -> threading.Thread | None:
    """Announce a failed download on the desktop, in the background (see notify_completed)."""
    return _notify(*describe_failure(view), env)


def notify_completed(
    view: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> threading.Thread | None:
    """Announce a completed download on the desktop, in the background.

    Returns the notifier thread (tests join it) or None when this desktop has no notifier.
    """
    return _notify(*describe(view), env)


def _notify(title: str, body: str, env: Mapping[str, str] | None) -> threading.Thread | None:
    argv = notification_command(title, body, env=os.environ if env is None else env)
    if argv is None:
        return None
    thread = threading.Thread(target=_run_quietly, args=(argv,), name="paxel-notify", daemon=True)
    thread.start()
    return thread
