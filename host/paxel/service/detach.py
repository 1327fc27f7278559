"""Start a process that outlives its parent (the native host dies with the browser's port).

POSIX: a new session (setsid) so the browser's process-group kill (Firefox) and the terminal's
SIGHUP never reach it, stdio on /dev/null and the log file. Windows: a detached process in its own
process group that breaks away from the browser's job object (Chrome kills the job with the host).
`plan()` is the seam tests drive with the platform as a parameter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# From WinBase.h; spelled out so the plan can be computed (and tested) on any platform.
DETACHED_PROCESS = 0x00000008
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_BREAKAWAY_FROM_JOB = 0x01000000
CREATE_NO_WINDOW = 0x08000000


@dataclass(frozen=True)
class Plan:
    new_session: bool  # POSIX setsid
    creationflags: int  # Windows CreateProcess flags


def plan(platform: str = sys.platform) -> Plan:
    if platform.startswith("win"):
        return Plan(False, DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB)
    return Plan(True, 0)


def spawn(argv: Sequence[str], log_path: Path, platform: str = sys.platform) -> int:
    """Start argv detached with stdout/stderr appended to log_path; returns its pid."""
    how = plan(platform)
    if how.new_session:
        # posix_spawn rather than fork: safe in a multi-threaded parent, and no Popen object
        # whose finalizer would complain that the child is still running.
        return os.posix_spawn(argv[0], list(argv), dict(os.environ), setsid=True, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ])
    with open(log_path, "ab") as log:  # pragma: no cover - exercised on Windows only
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   creationflags=how.creationflags, close_fds=True)
    process.returncode = 0  # never waited for: it is meant to outlive us
    return process.pid
