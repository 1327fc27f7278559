"""The `.part` file and the resume-state file on disk.

Positional writes from many threads into one preallocated file. POSIX has os.pwrite (no shared
file offset, no lock); Windows has none, so there the seam seeks and writes under a lock. Every
OSError becomes paxel.errors.DiskError with the path and the cause spelled out.

A running download holds an exclusive lock on its `.part` (POSIX flock, Windows msvcrt.locking of
one byte far past any data), so another download, in this process or another, sees the name as
taken instead of "resuming" a file that is still being written.
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


_FLAGS = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_LOCK_OFFSET = 1 << 62   # Windows locks are mandatory: lock a byte no data ever occupies
_CLAIM_TRIES = 100       # a name that vanishes this often between open and lock is not a race


class PartFile:
    """An open, locked `.part` file taking writes at offsets from several threads."""

    def __init__(self, path: Path, fd: int, created: bool, platform: str = sys.platform) -> None:
        self.path = path
        self.fd = fd
        self.created = created           # this download made the file (so may remove it)
        self._windows = platform == "win32"
        self._positional = hasattr(os, "pwrite") and not self._windows
        self._lock = threading.Lock()

    @classmethod
    def claim(cls, path: Path, platform: str = sys.platform) -> PartFile | None:
        """Open (creating it if missing) and lock `path`; None while another download holds it.

        The lock is checked against the name afterwards: a `.part` renamed away between our open
        and our lock (its download just finished) must not be mistaken for a free one."""
        for _ in range(_CLAIM_TRIES):
            created = True
            try:
                fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                created = False
                try:
                    fd = os.open(path, _FLAGS)
                except FileNotFoundError:
                    continue  # removed between the two opens (or a dangling symlink): try again
                except OSError as exc:
                    raise disk_error("open", path, exc) from None
            except OSError as exc:  # incl. ENOENT: the folder itself is gone
                raise disk_error("create", path, exc) from None
            if not lock_exclusive(fd, platform):
                os.close(fd)
                return None
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            mine = os.fstat(fd)
            if now is not None and (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev):
                return cls(path, fd, created, platform)
            os.close(fd)
        raise DiskError(f"cannot claim {path}: it keeps vanishing (a dangling symlink?)")

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

    def discard(self) -> None:
        """Remove the file and close it, unless its name meanwhile belongs to another download's
        new `.part`. POSIX unlinks it open, so the lock lasts until the name is gone; Windows
        cannot delete an open file, so there it is closed first, and a name another download
        opened in between stays (Windows refuses to delete it)."""
        try:
            named, mine = os.stat(self.path), os.fstat(self.fd)
        except FileNotFoundError:
            self.close()
            return
        ours = (named.st_ino, named.st_dev) == (mine.st_ino, mine.st_dev)
        if self._windows:
            self.close()
        try:
            if ours:
                remove_quietly(self.path)
        except PermissionError:
            if not self._windows:
                raise
        finally:
            self.close()

    def move_to(self, final: Path) -> None:
        """The fsync'd file takes the name `final` (atomic on one file system). POSIX renames it
        open, so the lock lasts until close(); Windows cannot rename an open file."""
        if not self._positional:
            self.close()
        try:
            os.replace(self.path, final)
        except OSError as exc:
            raise disk_error("rename to", final, exc) from None
        self.path = final
        self.created = False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def lock_exclusive(fd: int, platform: str = sys.platform) -> bool:
    """Take the download's lock on `fd` without waiting; False when someone else holds it.
    Released when the file is closed (both platforms)."""
    try:
        if platform == "win32":
            import msvcrt

            os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        # held elsewhere; any other failure means this file system cannot lock (some network
        # file systems): go on unlocked, as the O_EXCL creation still keeps fresh names apart
        return exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, errno.EDEADLK)
    return True


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
        try:
            view = memoryview(data)
            while view:  # a nearly full disk takes part of a write and refuses the rest
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise disk_error("save resume state", path, exc) from None


def remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
