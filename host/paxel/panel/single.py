"""One panel per user: the running panel holds an exclusive lock on a file in the runtime dir.

A second `paxel panel` finds the lock taken and asks the service to bring the open window to the
front instead of opening another. The lock dies with the process, so a crashed panel never blocks
the next one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO


def claim(lock_path: Path) -> IO[bytes] | None:
    """The open lock file if this process now owns it (keep it open), None if another panel does."""
    handle = open(lock_path, "a+b")  # noqa: SIM115 - must stay open as long as the panel lives
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    with contextlib.suppress(OSError):
        handle.truncate(0)
        handle.write(str(os.getpid()).encode())
        handle.flush()
    return handle
