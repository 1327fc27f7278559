"""The resume-state file on disk: written atomically, read without following a symlink, waiting
on a FIFO or trusting another user's file (the format itself is paxel.resume's)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from paxel.disk import NOFOLLOW, disk_error, owned
from paxel.folder import Folder

STATE_LIMIT = 16 << 20   # a resume state lists ranges: a few KiB; anything this big is not one


def read_state(path: Path, limit: int = STATE_LIMIT) -> bytes:
    """The bytes of a resume-state file. FileNotFoundError when there is none; ValueError when the
    name holds something that is not a state paxel wrote: a symlink (never followed), a FIFO or a
    device (never waited on or read forever), a folder, another user's file, or a huge file."""
    flags = os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise ValueError(f"{path.name} is a symlink") from None
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            raise ValueError(f"{path.name} is not a regular file") from None
        raise disk_error("read", path, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if not owned(st):
            raise ValueError(f"{path.name} belongs to another user")
        if st.st_size > limit:
            raise ValueError(f"{path.name} is far too big for a resume state ({st.st_size} bytes)")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise ValueError(f"{path.name} is far too big for a resume state")
        return b"".join(chunks)
    except OSError as exc:
        raise disk_error("read", path, exc) from None
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, folder: Folder | None = None) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new content.
    `folder`: the held folder `path` is in (paxel.folder); by name without one."""
    at = folder if folder is not None else Folder(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if _is_folder(at, tmp):   # someone's folder there (it cannot be unlinked): left alone, a
            # name of our own instead (for a name near 255 bytes that may not fit: a DiskError)
            tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        at.remove_quietly(tmp)   # never write through whatever (a symlink?) sits at the temp name
        fd = at.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_BINARY", 0),
                     0o644)
        try:
            view = memoryview(data)
            while view:  # a nearly full disk takes part of a write and refuses the rest
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        at.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            at.unlink(tmp)
        raise disk_error("save resume state", path, exc) from None


def _is_folder(at: Folder, path: Path) -> bool:
    try:
        return stat.S_ISDIR(at.lstat(path).st_mode)
    except OSError:
        return False
