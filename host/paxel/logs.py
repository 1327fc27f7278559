"""Log files of the long-lived processes, in the user's state dir, rotated so they stay small.

The service runs for weeks and every browser start spawns a native host: unrotated logs grow
without bound. Several hosts may share host.log; a rotation while another host writes only
sends that host's next lines to the rotated file, which is harmless.
"""

from __future__ import annotations

import logging
import logging.handlers

from paxel import paths

MAX_BYTES = 1 << 20
BACKUPS = 3


def log_to_file(name: str, fmt: str) -> None:
    """Send the root logger's INFO and above to `<state dir>/<name>`, rotated at 1 MiB (3 kept)."""
    handler = logging.handlers.RotatingFileHandler(
        paths.state_dir() / name, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
