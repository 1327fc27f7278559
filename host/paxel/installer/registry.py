"""The Windows registry seam: Chrome, Edge and Firefox find a host manifest through a key whose
default value is the manifest's path (HKCU per user, HKLM for everyone).

`WinRegistry` is the real one (winreg, Windows only); `MemoryRegistry` is the same contract in a
dict, so the Windows layout is exercised on any machine. Keys compare case-insensitively, as on
Windows.
"""

from __future__ import annotations

import sys
from typing import Literal, Protocol

from paxel.errors import DiskError

Hive = Literal["HKCU", "HKLM"]


class Registry(Protocol):
    def get_default(self, hive: Hive, key: str) -> str | None:
        """The key's default value, or None when the key or the value does not exist."""

    def set_default(self, hive: Hive, key: str, value: str) -> None:
        """Create the key (and its parents) and set its default value."""

    def delete_key(self, hive: Hive, key: str) -> None:
        """Delete the key itself (it has no subkeys); a missing key is not an error."""


class MemoryRegistry:
    """An in-memory registry: `values` maps (hive, key as written) to the default value."""

    def __init__(self) -> None:
        self.values: dict[tuple[Hive, str], str] = {}

    def _find(self, hive: Hive, key: str) -> tuple[Hive, str] | None:
        for stored in self.values:
            if stored[0] == hive and stored[1].lower() == key.lower():
                return stored
        return None

    def get_default(self, hive: Hive, key: str) -> str | None:
        stored = self._find(hive, key)
        return None if stored is None else self.values[stored]

    def set_default(self, hive: Hive, key: str, value: str) -> None:
        stored = self._find(hive, key)
        self.values[stored or (hive, key)] = value

    def delete_key(self, hive: Hive, key: str) -> None:
        stored = self._find(hive, key)
        if stored is not None:
            del self.values[stored]


class WinRegistry:
    """The real registry, through winreg; REG_SZ default values, like Chrome's own docs show."""

    def get_default(self, hive: Hive, key: str) -> str | None:
        if sys.platform != "win32":
            raise DiskError("the Windows registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(_root(hive), key) as handle:
                value, _kind = winreg.QueryValueEx(handle, "")
        except FileNotFoundError:
            return None
        return value if isinstance(value, str) else None

    def set_default(self, hive: Hive, key: str, value: str) -> None:
        if sys.platform != "win32":
            raise DiskError("the Windows registry exists only on Windows")
        import winreg

        try:
            with winreg.CreateKeyEx(_root(hive), key, 0, winreg.KEY_WRITE) as handle:
                winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, value)
        except PermissionError as exc:
            raise DiskError(f"cannot write {hive}\\{key}: {exc} (HKLM needs an administrator shell)") from exc

    def delete_key(self, hive: Hive, key: str) -> None:
        if sys.platform != "win32":
            raise DiskError("the Windows registry exists only on Windows")
        import winreg

        try:
            winreg.DeleteKey(_root(hive), key)
        except FileNotFoundError:
            return
        except PermissionError as exc:
            raise DiskError(
                f"cannot delete {hive}\\{key}: {exc} (HKLM needs an administrator shell)"
            ) from exc


def _root(hive: Hive) -> int:
    if sys.platform != "win32":
        raise DiskError("the Windows registry exists only on Windows")
    import winreg

    return winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE


__all__ = ["Hive", "MemoryRegistry", "Registry", "WinRegistry"]
