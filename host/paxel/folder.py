"""The download's folder, held open: every name the engine creates, renames or removes in it is
resolved against the folder itself, not against whatever its path leads to later.

A folder swapped for a symlink while a download runs (renamed away, a link to another folder put
in its place) must not receive the download's state file or final file: by name, both would be
written through the link into the other folder. POSIX: the folder is opened once (O_DIRECTORY)
and the `*at` system calls take that fd (`dir_fd=`, `src_dir_fd=`/`dst_dir_fd=`), so the files
stay in the folder the download started in, wherever it is moved. The path is followed once, at
the start: a user's Downloads folder may itself be a symlink, and what it points to then is the
folder the user meant. Windows (no `dir_fd`) and a Folder made without an fd work by name.

Methods take full paths (for messages and the by-name fallback); a path outside this folder is
used by name.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

from paxel.disk import disk_error

_AT = os.open in os.supports_dir_fd and os.link in os.supports_dir_fd and os.rename in os.supports_dir_fd


class Folder:
    def __init__(self, path: Path, fd: int | None = None) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def hold(cls, path: Path, platform: str = sys.platform) -> Folder:
        """Open `path` for the `*at` calls (POSIX); by name where they do not exist."""
        if platform == "win32" or not _AT:
            return cls(path)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise disk_error("open folder", path, exc) from None
        return cls(path, fd)

    def _at(self, path: Path) -> tuple[str, int | None]:
        if self.fd is None or path.parent != self.path:
            return str(path), None
        return path.name, self.fd

    def open(self, path: Path, flags: int, mode: int = 0o644) -> int:
        name, fd = self._at(path)
        return os.open(name, flags, mode, dir_fd=fd)

    def lstat(self, path: Path) -> os.stat_result:
        name, fd = self._at(path)
        return os.stat(name, dir_fd=fd, follow_symlinks=False)

    def lexists(self, path: Path) -> bool:
        try:
            self.lstat(path)
        except FileNotFoundError:
            return False
        except OSError:
            return False   # as os.path.lexists
        return True

    def is_symlink(self, path: Path) -> bool:
        try:
            return stat.S_ISLNK(self.lstat(path).st_mode)
        except OSError:
            return False

    def unlink(self, path: Path) -> None:
        name, fd = self._at(path)
        os.unlink(name, dir_fd=fd)

    def remove_quietly(self, *paths: Path) -> None:
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                self.unlink(path)

    def replace(self, src: Path, dst: Path) -> None:
        (a, afd), (b, bfd) = self._at(src), self._at(dst)
        os.replace(a, b, src_dir_fd=afd, dst_dir_fd=bfd)

    def link(self, src: Path, dst: Path) -> None:
        """A hard link, never following a symlink at `src`; FileExistsError when `dst` is taken."""
        (a, afd), (b, bfd) = self._at(src), self._at(dst)
        os.link(a, b, src_dir_fd=afd, dst_dir_fd=bfd, follow_symlinks=False)

    def link_open(self, fd: int, dst: Path) -> None:
        """Give the open file `fd` the name `dst` (Linux: linkat of /proc/self/fd/N)."""
        b, bfd = self._at(dst)
        os.link(f"/proc/self/fd/{fd}", b, dst_dir_fd=bfd, follow_symlinks=True)

    def where(self) -> Path:
        """Where the held folder is now: moved (renamed, its path replaced by a symlink) while
        the download ran, the files went with it, and whoever is told where the file is must be
        told that. Linux reads it from /proc/self/fd; elsewhere, by name, or when the folder was
        removed or has not moved (a user's Downloads that is itself a symlink keeps its name),
        the path it was held by."""
        if self.fd is None:
            return self.path
        try:
            now = os.readlink(f"/proc/self/fd/{self.fd}")
        except OSError:
            return self.path
        if not now.startswith("/") or now.endswith(" (deleted)") or os.path.realpath(self.path) == now:
            return self.path
        return Path(now)

    def sync(self) -> None:
        """Make renames in the folder durable (POSIX; nothing to do on Windows or by name)."""
        if sys.platform == "win32":
            return
        try:
            fd = self.fd if self.fd is not None else os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            if fd != self.fd:
                os.close(fd)

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
