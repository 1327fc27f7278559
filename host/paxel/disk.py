"""Disk failures in words, and the few file primitives every disk module of paxel shares.

Split from paxel.storage so the `.part` file, the resume-state file (paxel.statefile) and the
final placement (paxel.placement) use one wording of errors and one no-follow flag.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from paxel.errors import DiskError

_HINTS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
          errno.EACCES: "permission denied", errno.EPERM: "permission denied",
          errno.EROFS: "read-only file system", errno.ENOENT: "folder does not exist"}


def disk_error(action: str, path: Path, exc: OSError) -> DiskError:
    """A DiskError that says what failed where and why, in words."""
    why = _HINTS.get(exc.errno or 0, exc.strerror or str(exc))
    return DiskError(f"cannot {action} {path}: {why}")


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)   # Windows has none: an lstat check stands in for it


def check_writable(folder: Path) -> None:
    """DiskError unless paxel may create files in `folder`, saying why in words (a read-only
    mount is not a permission problem: root may write anywhere but there)."""
    if os.access(folder, os.W_OK):
        return
    statvfs = getattr(os, "statvfs", None)
    try:
        read_only = statvfs is not None and bool(statvfs(folder).f_flag & os.ST_RDONLY)  # type: ignore[attr-defined,unused-ignore]
    except OSError:
        read_only = False
    why = "read-only file system" if read_only else "permission denied"
    raise DiskError(f"cannot write to {folder}: {why}")


def owned(st: os.stat_result) -> bool:
    """The file belongs to the user running paxel (Windows has no owner ids here: always)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or st.st_uid == geteuid()


def remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
