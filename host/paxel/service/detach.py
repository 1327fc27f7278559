"""Start a process that outlives its parent (the native host dies with the browser's port), and
ask whether one we started is still running.

POSIX: a new session (setsid) so the browser's process-group kill (Firefox) and the terminal's
SIGHUP never reach it, stdio on /dev/null and the log file. Windows: a detached process in its own
process group that breaks away from the browser's job object (Chrome kills the job with the host).
`plan()` and `spawn(..., platform=, popen=)` are the seams tests drive with the platform as a
parameter (the Windows path runs here too, through a Popen that leaves out the creation flags
POSIX refuses).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# From WinBase.h; spelled out so the plan can be computed (and tested) on any platform.
DETACHED_PROCESS = 0x00000008
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_BREAKAWAY_FROM_JOB = 0x01000000
CREATE_NO_WINDOW = 0x08000000
# OpenProcess / GetExitCodeProcess (processthreadsapi.h)
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
STILL_ACTIVE = 259

Popen = Callable[..., "subprocess.Popen[bytes]"]


@dataclass(frozen=True)
class Plan:
    new_session: bool  # POSIX setsid
    creationflags: int  # Windows CreateProcess flags


def plan(platform: str = sys.platform) -> Plan:
    if platform.startswith("win"):
        return Plan(False, DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB)
    return Plan(True, 0)


def spawn(argv: Sequence[str], log_path: Path, platform: str = sys.platform,
          popen: Popen = subprocess.Popen) -> int:
    """Start argv detached with stdout/stderr appended to log_path; returns its pid."""
    how = plan(platform)
    if how.new_session:
        return _posix_spawn(argv, log_path)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as log:
        process = popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                        creationflags=how.creationflags, close_fds=True)
    process.returncode = 0  # never waited for: it is meant to outlive us
    return process.pid


def _posix_spawn(argv: Sequence[str], log_path: Path) -> int:
    # posix_spawn rather than fork: safe in a multi-threaded parent, and no Popen object
    # whose finalizer would complain that the child is still running.
    if sys.platform == "win32":
        raise OSError("posix_spawn does not exist on Windows")
    return os.posix_spawn(argv[0], list(argv), dict(os.environ), setsid=True, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ])


def alive(pid: int) -> bool:
    """Is a process we spawned still running? POSIX reaps it if it exited (it is our child);
    Windows has no WNOHANG and asks for its exit code instead."""
    if sys.platform == "win32":
        return _alive_windows(pid)
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        return finished == 0
    except ChildProcessError:  # not our child (any more)
        return False


def _alive_windows(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32: Any = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
