"""The `.part` file on disk: its claim, lock, identity, writes and move to the final name.

Positional writes from many threads into one preallocated file. POSIX has os.pwrite (no shared
file offset, no lock); Windows has none, so there the seam seeks and writes under a lock. Every
OSError becomes paxel.errors.DiskError with the path and the cause spelled out.

A running download holds an exclusive lock on its `.part` (POSIX flock, Windows msvcrt.locking of
one byte far past any data), so another download, in this process or another, sees the name as
taken instead of "resuming" a file that is still being written.

A `.part` is only ever opened with O_NOFOLLOW and must be a regular file: a symlink (dangling or
not), a folder or a FIFO at that name is not paxel's (NotAPart), so nothing is written through
it. The finished file takes its final name with `place`, which never replaces an existing file.

The resume-state file's I/O lives in paxel.statefile, `place` in paxel.placement and the shared
error wording in paxel.disk; their names stay reachable here, where the engine looks for them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from paxel.disk import NOFOLLOW, check_writable, disk_error, owned, remove_quietly
from paxel.errors import DiskError
from paxel.folder import Folder
from paxel.placement import place
from paxel.resume import PartNow
from paxel.statefile import STATE_LIMIT, read_state, write_atomic

_FLAGS = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | NOFOLLOW
_LOCK_OFFSET = 1 << 62   # Windows locks are mandatory: lock a byte no data ever occupies
_CLAIM_TRIES = 100       # a name that vanishes this often between open and lock is not a race


class NotAPart(DiskError):
    """The `.part` name holds a symlink, folder or other non-regular file: not paxel's to use."""


HOLE_MARGIN = 1 << 20   # > any file system's block or record size (ZFS: 128 KiB by default)

class PartFile:
    """An open, locked `.part` file taking writes at offsets from several threads."""

    def __init__(self, path: Path, fd: int, created: bool, platform: str = sys.platform,
                 folder: Folder | None = None) -> None:
        self.path = path
        self.fd = fd
        self.folder = folder if folder is not None else Folder(path.parent)   # where names resolve
        self.created = created           # this download made the file (so may remove it)
        self._windows = platform == "win32"
        self._positional = hasattr(os, "pwrite") and not self._windows
        self._lock = threading.Lock()

    @classmethod
    def claim(cls, path: Path, platform: str = sys.platform, folder: Folder | None = None) -> PartFile | None:
        """Open (creating it if missing) and lock `path`; None while another download holds it.
        `folder`: the held folder `path` is in (paxel.folder); by name without one.

        The lock is checked against the name afterwards: a `.part` renamed away between our open
        and our lock (its download just finished) must not be mistaken for a free one."""
        at = folder if folder is not None else Folder(path.parent)
        for _ in range(_CLAIM_TRIES):
            created = True
            try:
                fd = at.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                created = False
                try:
                    fd = at.open(path, _FLAGS)
                except FileNotFoundError:
                    continue  # removed between the two opens: try again
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO) or at.is_symlink(path):
                        raise NotAPart(f"{path} is not a regular file (a symlink?); not using it") from None
                    raise disk_error("open", path, exc) from None
            except OSError as exc:  # incl. ENOENT: the folder itself is gone
                raise disk_error("create", path, exc) from None
            mine = os.fstat(fd)
            if not stat.S_ISREG(mine.st_mode):
                os.close(fd)
                raise NotAPart(f"{path} is not a regular file; not using it")
            if not lock_exclusive(fd, platform):
                os.close(fd)
                return None
            try:
                now = at.lstat(path)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev):
                if created or (mine.st_nlink == 1 and owned(mine)):
                    return cls(path, fd, created, platform, at)
                os.close(fd)
                if not owned(mine):   # planted in a shared folder: its owner can still write it
                    raise NotAPart(f"{path} belongs to another user; not using it")
                # a hard link to a file elsewhere: drop our name for it (the file keeps its data
                # under its other names) and start clean, so nothing is written through it
                try:
                    at.unlink(path)
                except OSError as exc:
                    raise disk_error("remove the hard link", path, exc) from None
                continue
            os.close(fd)
            if now is not None and stat.S_ISLNK(now.st_mode):  # no O_NOFOLLOW here (Windows)
                raise NotAPart(f"{path} is a symlink; not using it")
        raise DiskError(f"cannot claim {path}: it keeps vanishing")

    def identity(self) -> PartNow:
        """What this open file is (compared with the resume state before its bytes are trusted)."""
        st = os.fstat(self.fd)
        return PartNow(st.st_dev, st.st_ino, st.st_size, st.st_nlink, stat.S_ISREG(st.st_mode))

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def preallocate(self, size: int) -> None:
        """Reserve `size` bytes so a full disk fails now, not mid-download. A resumed `.part`
        longer than `size` (bytes appended while paused) is cut to it: those bytes are not the
        download, and nothing else would remove them before the final rename."""
        try:
            now = self.size()
            if now > size:
                os.ftruncate(self.fd, size)
            elif size > now:
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

    def read_at(self, offset: int, length: int) -> bytes:
        """Bytes written earlier (a few KiB, to check a resumed `.part` is what we wrote)."""
        try:
            if self._positional:
                return os.pread(self.fd, length, offset)  # type: ignore[attr-defined,no-any-return,unused-ignore]
            with self._lock:
                os.lseek(self.fd, offset, os.SEEK_SET)
                return os.read(self.fd, length)
        except OSError as exc:
            raise disk_error("read", self.path, exc) from None

    def data_end(self, start: int, end: int) -> int:
        """Where the data in [start, end) may end: before the first hole (never written there,
        as in a file cut short and grown back), else `end`. A hole is reported on a block
        boundary while a cut may fall anywhere in the block before it (zeroed from there), so
        HOLE_MARGIN before the hole is not trusted either. Where the file system cannot tell
        (no SEEK_HOLE: Windows, some network file systems) everything counts as data."""
        seek_hole = getattr(os, "SEEK_HOLE", None)
        if seek_hole is None or start >= end:
            return end
        try:
            hole = os.lseek(self.fd, start, seek_hole)   # (writes are positional: no offset used)
        except OSError as exc:
            return start if exc.errno == errno.ENXIO else end   # ENXIO: start is past the end
        return end if hole >= end else max(start, hole - HOLE_MARGIN)

    def digests(self, names: Iterable[str]) -> dict[str, str]:
        """hashlib name -> hex digest of the bytes this open file holds: read through our own
        handle, not the name, which may hold another file by now."""
        hashes = {name: hashlib.new(name) for name in names}
        offset = 0
        while hashes and (chunk := self.read_at(offset, 1 << 20)):
            for h in hashes.values():
                h.update(chunk)
            offset += len(chunk)
        return {name: h.hexdigest() for name, h in hashes.items()}

    def truncate(self, size: int) -> None:
        try:
            os.ftruncate(self.fd, size)
        except OSError as exc:
            raise disk_error("truncate", self.path, exc) from None

    def write_at(self, data: memoryview, offset: int) -> None:
        try:
            while data:
                if self._positional:
                    n = os.pwrite(self.fd, data, offset)  # type: ignore[attr-defined,unused-ignore]
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
            named, mine = self.folder.lstat(self.path), os.fstat(self.fd)
        except FileNotFoundError:
            self.close()
            return
        ours = (named.st_ino, named.st_dev) == (mine.st_ino, mine.st_dev)
        if self._windows:
            self.close()
        try:
            if ours:
                self.folder.remove_quietly(self.path)
        except PermissionError:
            if not self._windows:
                raise
        finally:
            self.close()

    def move_to(self, final: Path, *, replace: bool = False) -> None:
        """The fsync'd file takes the name `final`; FileExistsError when that name is taken
        (see `place`), unless `replace` (the user asked for it explicitly). POSIX moves it
        open, so the lock lasts until close(); Windows cannot rename an open file.

        What moves is the file this PartFile wrote, not whatever its name holds now: a `.part`
        replaced while downloading (a symlink to a file elsewhere, another file moved over it)
        never becomes the download. POSIX links the open file itself (/proc/self/fd); where
        that cannot be done and the name is no longer ours alone (replaced, or hard-linked
        elsewhere meanwhile), the bytes are copied from the open file into a new `final`."""
        try:
            if self._positional and self.fd >= 0:
                self._move_open(final, replace)
            else:
                if not self._positional:
                    self.close()
                if replace:
                    self.folder.replace(self.path, final)
                else:
                    place(self.path, final, "win32" if self._windows else sys.platform, folder=self.folder)
        except FileExistsError:
            raise
        except OSError as exc:
            raise disk_error("rename to", final, exc) from None
        self.path = final
        self.created = False

    def _name_is_ours(self) -> bool:
        try:
            named = self.folder.lstat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(self.fd)
        return (named.st_ino, named.st_dev) == (mine.st_ino, mine.st_dev)

    def _move_open(self, final: Path, replace: bool) -> None:
        # alone: linked nowhere else (0 links: unlinked or replaced; 2+: also linked elsewhere,
        # whose owner could change the download later through that other name)
        alone = os.fstat(self.fd).st_nlink == 1
        if alone and not replace:
            try:   # atomic and never replaces: linkat(AT_SYMLINK_FOLLOW) of the open file itself
                self.folder.link_open(self.fd, final)
            except FileExistsError:
                raise
            except OSError:   # no /proc (macOS), no hard links (vfat): by name, checked first
                pass
            else:
                if self._name_is_ours():
                    self.folder.unlink(self.path)
                return
        if alone and self._name_is_ours():
            if replace:
                self.folder.replace(self.path, final)
            else:
                place(self.path, final, sys.platform, folder=self.folder)
            return
        self._copy_to(final, replace)
        if self._name_is_ours():
            self.folder.unlink(self.path)

    def _copy_to(self, final: Path, replace: bool) -> None:
        """Our bytes into a fresh temporary file beside `final`, fsync'd, then moved there like
        any finished `.part` (`place`: never replacing; `os.replace` when replacing is what the
        user asked for), so a crash mid-copy never leaves a short file under the final name."""
        if sys.platform == "win32":  # only reached through _move_open, which is POSIX only
            raise OSError(errno.EOPNOTSUPP, "no positional I/O on Windows")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        for _ in range(_CLAIM_TRIES):   # a fresh name: never one a user's file may have
            target = final.with_name(f".{final.name[:200]}.{secrets.token_hex(4)}.paxel-copy")
            try:
                fd = self.folder.open(target, flags, 0o644)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(final))
        try:
            try:
                offset = 0
                while chunk := os.pread(self.fd, 1 << 20, offset):   # (preadv: not on macOS)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.pwrite(fd, view, offset + len(chunk) - len(view)):]
                    offset += len(chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                self.folder.replace(target, final)
            else:
                place(target, final, sys.platform, folder=self.folder)
        except BaseException:
            self.folder.remove_quietly(target)
            raise

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def examine(path: Path, judge: Callable[[PartNow, Callable[[int, int], bytes]], bool]) -> bool:
    """Judge the regular file at `path` by what it is (fstat) and a few of its bytes: e.g. is it
    the file a stale resume state describes (resume.completed)? Never through a symlink, never
    waiting on a FIFO; False when there is no such file or it cannot be read."""
    if os.path.islink(path):   # (Windows has no O_NOFOLLOW)
        return False
    flags = os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return False

        def read(offset: int, length: int) -> bytes:
            os.lseek(fd, offset, os.SEEK_SET)
            return os.read(fd, length)

        return judge(PartNow(st.st_dev, st.st_ino, st.st_size, st.st_nlink, True), read)
    except OSError:
        return False
    finally:
        os.close(fd)


def second_name(other: Path, path: Path) -> bool:
    """Is `other` the second and only other name of the regular file at `path` (two hard links,
    neither a symlink)? What a run killed between its final `link` and unlinking the `.part`
    leaves: the finished file under both names."""
    try:
        a, b = os.lstat(other), os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(a.st_mode) and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and a.st_nlink == 2 \
        and other != path


def lock_exclusive(fd: int, platform: str = sys.platform) -> bool:
    """Take the download's lock on `fd` without waiting; False when someone else holds it.
    Released when the file is closed (both platforms)."""
    try:
        if platform == "win32":
            import msvcrt

            os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined,unused-ignore]
    except OSError as exc:
        # held elsewhere; any other failure means this file system cannot lock (some network
        # file systems): go on unlocked, as the O_EXCL creation still keeps fresh names apart
        return exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, errno.EDEADLK)
    return True


# the names other modules and tests reach through `paxel.storage` (their homes are above)
__all__ = ["HOLE_MARGIN", "STATE_LIMIT", "NotAPart", "PartFile", "check_writable", "disk_error",
           "lock_exclusive", "owned", "place", "read_state", "remove_quietly", "second_name", "write_atomic"]
