"""Whether the installation a native host was started from still exists (issue 11 item 4:
uninstall means off).

A browser keeps a `paxel-host` running after `paxel uninstall` (Chromium keeps an open port ~30 s,
a long-lived extension page for ever). That host must not take a click or start the service again.
A host that came through paxel's launcher knows the launcher's path (the launcher sets
LAUNCHER_ENV to itself) and, in Firefox, the manifest path from its argv: uninstall removes both
before it returns, so a host checks them before relaying each request. A host started without the
launcher (by hand, by tests) belongs to no installation and is never "off".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

LAUNCHER_ENV = "PAXEL_LAUNCHER"


def off_reason(environ: Mapping[str, str], manifest: Path | None,
               exists: Callable[[str], bool] = os.path.exists) -> str | None:
    """Why paxel counts as uninstalled for this host, or None while it is installed."""
    launcher = environ.get(LAUNCHER_ENV)
    if not launcher:
        return None
    if not exists(launcher):
        return f"paxel was uninstalled (its launcher {launcher} is gone): run `paxel install`"
    if manifest is not None and not exists(str(manifest)):
        return f"paxel was uninstalled for this browser ({manifest} is gone): run `paxel install`"
    return None


__all__ = ["LAUNCHER_ENV", "off_reason"]
