"""The local IPC seam: where the service listens, who may connect, and the one-service lock.

POSIX: a Unix socket `paxel.sock` (0600) in the user-only runtime dir. Windows: a per-user named
pipe whose name `endpoint()` computes; the pipe transport itself is not implemented yet, so
connecting there reports SERVICE_UNAVAILABLE. The secret file (0600) proves a client is this user
even where the socket permissions are not enough (e.g. a shared runtime dir fallback).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import re
import secrets
import socket
import sys
from pathlib import Path
from typing import IO

from paxel import paths
from paxel.errors import ErrorCode, PaxelError

SOCKET_NAME = "paxel.sock"


def endpoint(platform: str = sys.platform, runtime: Path | None = None, data: Path | None = None) -> str:
    """Socket path (POSIX) or named pipe name (Windows) of this user's service."""
    if platform.startswith("win"):
        user = re.sub(r"[^A-Za-z0-9_.-]", "_", getpass.getuser())
        tag = hashlib.sha256(str(data or paths.data_dir()).encode()).hexdigest()[:12]
        return rf"\\.\pipe\paxel-{user}-{tag}"
    return str((runtime or paths.runtime_dir()) / SOCKET_NAME)


def secret_path() -> Path:
    return paths.runtime_dir() / "secret"


def pid_path() -> Path:
    return paths.runtime_dir() / "service.pid"


def write_private(path: Path, text: str) -> None:
    """Atomically replace path with text, readable by this user only (0600 from creation on)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def new_secret() -> str:
    secret = secrets.token_hex(32)
    write_private(secret_path(), secret)
    return secret


def read_secret() -> str:
    try:
        return secret_path().read_text().strip()
    except OSError as exc:
        raise PaxelError(f"cannot read the service secret: {exc}",
                         code=ErrorCode.SERVICE_UNAVAILABLE) from None


def listen(path: str) -> socket.socket:
    """Bind the service socket with 0600 permissions from the start (umask), replacing a stale one."""
    if not hasattr(socket, "AF_UNIX"):  # pragma: no cover - Windows
        raise PaxelError("named pipe transport is not implemented", code=ErrorCode.SERVICE_UNAVAILABLE)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # only ever called while holding the service lock: nobody else owns it
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(64)
    return server


def connect(path: str, timeout: float = 5.0) -> socket.socket:
    if not hasattr(socket, "AF_UNIX"):  # pragma: no cover - Windows
        raise PaxelError("named pipe transport is not implemented", code=ErrorCode.SERVICE_UNAVAILABLE)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


class ServiceLock:
    """An exclusive lock held for the service's whole life: two starts at once → one service.

    The kernel drops it when the process dies (kill -9 too), so a stale lock file never blocks.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.runtime_dir() / "service.lock"
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        handle = open(self.path, "ab")  # noqa: SIM115 - kept open while the lock is held
        try:
            if sys.platform.startswith("win"):  # pragma: no cover
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
