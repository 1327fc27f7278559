"""Every per-user location paxel uses, in one place.

All of them come from platformdirs, so a test isolates a whole paxel (database, logs, settings,
socket, secret) by pointing HOME and the XDG_* variables at temporary folders (see
tests/support/paxel_env.py). Nothing here creates files except the folders themselves; the data,
state and runtime folders are 0700 (tightened if an older paxel made them 0755), and paxel
refuses one that is a symlink or belongs to another user.
"""

from __future__ import annotations

import os
import stat
import tempfile
import warnings
from pathlib import Path

import platformdirs

from paxel.errors import ErrorCode, PaxelError

APP = "paxel"


def _ensure(path: Path, private: bool = False) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if private:
        _check_owned(path)
        path.chmod(0o700)
    return path


def _check_owned(path: Path) -> None:
    """A private folder must be a real folder of this user's: one another user made first (the
    shared temporary folder is the runtime fallback) or a symlink to one would let them swap the
    socket for theirs and read what clients send it. chmod cannot fix that (root's succeeds)."""
    info = path.lstat()
    uid = os.getuid() if hasattr(os, "getuid") else None
    foreign = uid is not None and info.st_uid != uid
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or foreign:
        raise PaxelError(f"{path} is not a folder of this user's (a symlink, or made by another user): "
                         "paxel will not use it; remove it, or point the XDG_* variable elsewhere",
                         code=ErrorCode.DISK)


def data_dir() -> Path:
    """SQLite queue and history (cookies while a download needs them): this user only."""
    return _ensure(Path(platformdirs.user_data_dir(APP, appauthor=False)), private=True)


def state_dir() -> Path:
    """Logs of the service and the native host (URLs and file names a user downloads): this user only."""
    return _ensure(Path(platformdirs.user_state_dir(APP, appauthor=False)), private=True)


def config_dir() -> Path:
    """settings.json."""
    return _ensure(Path(platformdirs.user_config_dir(APP, appauthor=False)))


def runtime_dir() -> Path:
    """Socket, secret, lock and pid file: user-only (0700), gone at logout on most desktops."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back on its own: that is fine.
        warnings.simplefilter("ignore")
        try:
            base = Path(platformdirs.user_runtime_dir(APP, appauthor=False))
        except PermissionError:
            base = Path(tempfile.gettempdir()) / f"{APP}-{os.getuid() if hasattr(os, 'getuid') else 0}"
    return _ensure(base, private=True)


def default_download_dir() -> Path:
    """The user's Downloads folder (XDG user-dirs aware); the default download root."""
    return Path(platformdirs.user_downloads_dir())
