"""The finished file's final name: a rename that never replaces a file already there."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from paxel.disk import NOFOLLOW
from paxel.folder import Folder

# errors of os.link meaning "this file system has no hard links" (vfat/exFAT: EPERM)
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK})


def place(src: Path, dst: Path, platform: str = sys.platform, hardlinks: bool = True,
          folder: Folder | None = None) -> None:
    """Rename `src` to `dst` without ever replacing an existing `dst` (FileExistsError then).

    Python 3.11 has no renameat2(RENAME_NOREPLACE), so:
    - POSIX with hard links: `os.link` (fails atomically when `dst` exists), then unlink `src`.
    - POSIX without (vfat, exFAT, some network file systems: link fails with EPERM/ENOTSUP):
      create `dst` exclusively (O_EXCL) as a placeholder, then `os.replace` onto it. Remaining
      race: a program that opens the placeholder between the two steps and writes into it
      loses that write to our replace; it cannot hit a file that existed before us.
    - Windows: `os.rename` refuses an existing target by itself (the lexists test before it only
      makes the same rule hold when this path is exercised on another OS).
    `hardlinks=False` forces the placeholder path (tests; file systems known to lack links).
    `folder`: the held folder both names are in (paxel.folder); by name without one."""
    if platform == "win32":
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "file exists", str(dst))
        os.rename(src, dst)
        return
    at = folder if folder is not None else Folder(dst.parent)
    if hardlinks:
        try:
            at.link(src, dst)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
        else:
            at.unlink(src)
            return
    fd = at.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o644)
    os.close(fd)
    try:
        at.replace(src, dst)
    except OSError:
        at.remove_quietly(dst)
        raise
