"""This machine: its platform, base folders and registry, for the pure code in the package."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path, PurePath

import platformdirs

from paxel import paths
from paxel.installer.browsers import Places, Platform, Scope
from paxel.installer.registry import Registry, WinRegistry


def current_platform() -> Platform:
    """BSDs and other Unixes use the Linux layout (XDG folders, ~/.mozilla)."""
    if sys.platform == "win32":
        return "win32"
    return "darwin" if sys.platform == "darwin" else "linux"


def current_places(scope: Scope) -> Places:
    """Base folders from the environment (HOME, XDG_CONFIG_HOME, APPDATA, LOCALAPPDATA)."""
    home = str(Path.home())
    # paths.data_dir()'s folder, computed without creating it: install records every folder it
    # creates, so uninstall can remove exactly those.
    if scope == "system":
        paxel_data = platformdirs.site_data_dir(paths.APP, appauthor=False)
    else:
        paxel_data = platformdirs.user_data_dir(paths.APP, appauthor=False)
    return Places(
        platform=current_platform(),
        home=home,
        config=os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"),
        appdata=os.environ.get("APPDATA", ""),
        localappdata=os.environ.get("LOCALAPPDATA", ""),
        paxel_data=paxel_data,
    )


def current_registry() -> Registry | None:
    return WinRegistry() if sys.platform == "win32" else None


def exists(path: PurePath) -> bool:
    return os.path.exists(str(path))


def which(name: str) -> str | None:
    return shutil.which(name)


__all__ = ["current_places", "current_platform", "current_registry", "exists", "which"]
