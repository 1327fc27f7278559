"""The doctor's findings beyond the browsers: is the service answering, which toolkit the panel
uses (and can a window open here), and is ffmpeg there for streams. Each returns a plain dict
with a `detail` a user can read; none starts or changes anything."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

from paxel.display import probe_display
from paxel.errors import PaxelError
from paxel.panel import backend


def probe_service() -> dict[str, Any]:
    """Whether the per-user service answers now (never starts it: the browser's hello does)."""
    try:
        from paxel.client import ServiceClient

        client = ServiceClient.connect("cli", start=False)
    except PaxelError as exc:
        return {
            "ok": False,
            "detail": f"not answering: {exc.message} (it starts on demand when a browser "
            "or `paxel add` needs it; `paxel service start` starts it now)",
        }
    except ImportError as exc:
        return {"ok": False, "detail": f"paxel's client is missing: {exc}"}
    result = client.hello
    client.close()
    return {
        "ok": True,
        "detail": f"answers (pid {result.get('service_pid')})",
        "pid": result.get("service_pid"),
    }


def probe_panel(platform: str = sys.platform) -> dict[str, Any]:
    """The panel's toolkit (paxel.panel.backend) and whether a window can open in this session."""
    chosen = backend.current(platform)
    display = probe_display(platform)
    if not chosen.ok:
        detail = f"cannot open: {chosen.detail}"
    elif not display.available:
        detail = f"{chosen.label} ({chosen.detail}); cannot open in this session: {display.detail}"
    else:
        detail = f"{chosen.label} ({chosen.detail}); {display.detail}"
    return {
        "ok": chosen.ok and display.available,
        "installed": chosen.ok,
        "backend": chosen.label,
        "gui": chosen.gui,
        "display": display.detail,
        "detail": detail,
    }


def probe_media(which: Callable[[str], str | None]) -> dict[str, Any]:
    """ffmpeg, which turns HLS/DASH streams into one MP4 (`paxel PLAYLIST_URL`); without it only
    MPEG-TS streams can be saved (as .ts)."""
    from paxel.media.mux import INSTALL_HINT

    path = which("ffmpeg")
    if path is None:
        return {"ffmpeg": None, "detail": "ffmpeg not found: streams are saved as .ts only when they are "
                                          f"MPEG-TS, others fail; {INSTALL_HINT}"}
    try:
        out = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=10, check=False)
        version = (out.stdout.splitlines() or ["?"])[0]
    except (OSError, subprocess.SubprocessError) as exc:
        version = f"does not run: {exc}"
    return {"ffmpeg": path, "detail": f"ffmpeg {path} ({version})"}
