"""Log files of the long-lived processes, in the user's state dir, rotated so they stay small.

The service runs for weeks and every browser start spawns a native host: unrotated logs grow
without bound. Several hosts may share host.log; a rotation while another host writes only
sends that host's next lines to the rotated file, which is harmless.

Every file is 0600 from its creation on (the folder is 0700 too): logs name the URLs and files a
user downloads. Every line, traceback included, goes through paxel.redact first, so URL
passwords, query tokens and cookie or Authorization values never reach the disk.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os

from paxel import paths
from paxel.redact import redact

MAX_BYTES = 1 << 20
BACKUPS = 3


class RedactingFormatter(logging.Formatter):
    """A Formatter whose whole output (message, exception, stack) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files (the current one and each new one after a rotation) are 0600."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)  # also tightens a file an older paxel made 0644
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def log_to_file(name: str, fmt: str) -> None:
    """Send the root logger's INFO and above to `<state dir>/<name>`, rotated at 1 MiB (3 kept)."""
    handler = PrivateRotatingFileHandler(
        paths.state_dir() / name, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(fmt))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
