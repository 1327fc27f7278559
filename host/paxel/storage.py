"""The `.part` file and the resume-state file on disk.

Positional writes from many threads into one preallocated file. POSIX has os.pwrite (no shared
file offset, no lock); Windows has none, so there the seam seeks and writes under a lock. Every
OSError becomes paxel.errors.DiskError with the path and the cause spelled out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
from pathlib import Path

from paxel.errors import DiskError

_HINTS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
          errno.EACCES: "permission denied", errno.EPERM: "permission denied",
          errno.EROFS: "read-only file system", errno.ENOENT: "folder does not exist"}


def disk_error(action: str, path: Path, exc: OSError) -> DiskError:
    """A DiskError that says what failed where and why, in words."""
    why = _HINTS.get(exc.errno or 0, exc.strerror or str(exc))
    return DiskError(f"cannot {action} {path}: {why}")


class PartFile:
    """An open `.part` file taking writes at offsets from several threads."""

    def __init__(self, path: Path, platform: str = sys.platform) -> None:
        self.path = path
        self._positional = hasattr(os, "pwrite") and platform != "win32"
        self._lock = threading.Lock()
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(path, flags, 0o644)
        except OSError as exc:
            raise disk_error("create", path, exc) from None

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def preallocate(self, size: int) -> None:
        """Reserve `size` bytes so a full disk fails now, not mid-download; never shrinks."""
        try:
            if size > self.size():
                fallocate = getattr(os, "posix_fallocate", None)
                try:
                    if fallocate is None:
                        raise OSError(errno.EOPNOTSUPP, "no posix_fallocate")
                    fallocate(self.fd, 0, size)
                except OSError as exc:
                    if exc.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                        raise
                    os.ftruncate(self.fd, size)
        except OSError as exc:
            raise disk_error("reserve space for", self.path, exc) from None

    def truncate(self, size: int) -> None:
        try:
            os.ftruncate(self.fd, size)
        except OSError as exc:
            raise disk_error("truncate", self.path, exc) from None

    def write_at(self, data: memoryview, offset: int) -> None:
        try:
            while data:
                if self._positional:
                    n = os.pwrite(self.fd, data, offset)
                else:
                    with self._lock:
                        os.lseek(self.fd, offset, os.SEEK_SET)
                        n = os.write(self.fd, data)
                data, offset = data[n:], offset + n
        except OSError as exc:
            raise disk_error("write", self.path, exc) from None

    def sync(self) -> None:
        try:
            getattr(os, "fdatasync", os.fsync)(self.fd)
        except OSError as exc:
            raise disk_error("flush", self.path, exc) from None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise disk_error("save resume state", path, exc) from None


def remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def finish(part: Path, final: Path) -> None:
    """fsync'd `.part` becomes the final name (atomic on the same file system)."""
    try:
        os.replace(part, final)
    except OSError as exc:
        raise disk_error("rename to", final, exc) from None
