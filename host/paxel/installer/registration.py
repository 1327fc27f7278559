"""Install and uninstall: plan the targets (pure), then write files and registry keys.

`plan()` turns the browser table into concrete targets for one platform and scope. `install()`
writes the launcher and the manifests, records every file, folder and key it created in
`installed.json` beside the launcher, and `uninstall()` removes exactly those, each only after
checking it is paxel's (signature in the manifest, marker in the launcher, registry value
pointing at a paxel manifest). Re-running either is harmless.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from paxel.errors import DiskError
from paxel.host import EXTRA_IDS_ENV
from paxel.ids import HOST_NAME
from paxel.installed import LAUNCHER_ENV
from paxel.installer import launcher, manifest
from paxel.installer.browsers import BROWSERS, Browser, Family, Places, Scope
from paxel.installer.registry import Hive, Registry

RECORD = "installed.json"


@dataclass(frozen=True)
class Target:
    """One manifest file (shared by every browser reading the same place) and, on Windows, the
    registry keys whose default value must name it."""

    family: Family
    manifest: PurePath
    labels: tuple[str, ...]
    keys: tuple[tuple[Hive, str], ...] = ()


def launcher_dir(places: Places) -> PurePath:
    return places.path("{paxel_data}") / "native-host"


def launcher_path(places: Places) -> PurePath:
    return launcher_dir(places) / launcher.file_name(places.platform)


def hive(scope: Scope) -> Hive:
    return "HKLM" if scope == "system" else "HKCU"


def plan(
    places: Places, scope: Scope, browsers: Sequence[Browser], user_data_dirs: Sequence[str] = ()
) -> list[Target]:
    """The manifests (and keys) to write for `browsers`, merged where browsers share a place."""
    merged: dict[PurePath, Target] = {}

    def add(target: Target) -> None:
        old = merged.get(target.manifest)
        if old is None:
            merged[target.manifest] = target
            return
        labels = old.labels + tuple(x for x in target.labels if x not in old.labels)
        keys = old.keys + tuple(k for k in target.keys if k not in old.keys)
        merged[target.manifest] = Target(old.family, old.manifest, labels, keys)

    for browser in browsers:
        if places.platform == "win32":
            path = launcher_dir(places) / browser.family.value / manifest.FILE_NAME
            keys = tuple((hive(scope), f"{key}\\{HOST_NAME}") for key in browser.registry)
            add(Target(browser.family, path, (browser.label,), keys))
        else:
            for folder in browser.manifest_dirs(places, scope):
                add(Target(browser.family, folder / manifest.FILE_NAME, (browser.label,)))
    for profile in user_data_dirs:
        path = places.path(profile) / "NativeMessagingHosts" / manifest.FILE_NAME
        add(Target(Family.CHROMIUM, path, (f"Chromium-family profile {profile}",)))
    return list(merged.values())


@dataclass
class Outcome:
    """What one install/uninstall did, line by line; `problems` make the command fail."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Record:
    """Everything install created, so uninstall can remove it (and only it)."""

    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    keys: list[tuple[Hive, str]] = field(default_factory=list)
    extension_ids: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> _Record:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                [str(f) for f in data["files"]],
                [str(d) for d in data["dirs"]],
                [(k[0], str(k[1])) for k in data["keys"] if k[0] in ("HKCU", "HKLM")],
                [str(i) for i in data.get("extension_ids", [])],
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return cls()

    def save(self, path: Path) -> None:
        data = {
            "files": self.files,
            "dirs": self.dirs,
            "keys": [list(k) for k in self.keys],
            "extension_ids": self.extension_ids,
        }
        _write_atomic(path, json.dumps(data, indent=2) + "\n", 0o644)

    def add(self, items: list[str], value: str) -> None:
        if value not in items:
            items.append(value)


def install(
    places: Places,
    targets: Sequence[Target],
    host_command: Sequence[str],
    pinned: dict[str, str],
    extra: manifest.ExtraIds,
    registry: Registry | None,
    force: bool = False,
) -> Outcome:
    """Write the launcher, every target's manifest and (Windows) its registry keys."""
    out = Outcome()
    record_path = Path(str(launcher_dir(places))) / RECORD
    record = _Record.load(record_path)
    exe = Path(str(launcher_path(places)))
    _ensure_dir(exe.parent, record)
    # The host accepts extra ids through PAXEL_EXTENSION_IDS (Chrome does not tell it which manifest
    # started it); ids given once stay until uninstall, so a later plain install keeps them working
    # (in the manifests as in the launcher).
    for extension_id in extra.ids():
        record.add(record.extension_ids, extension_id)
    extra = manifest.parse_extension_ids(record.extension_ids)
    env = dict(pinned)
    if record.extension_ids:
        env.setdefault(EXTRA_IDS_ENV, ",".join(record.extension_ids))
    env.pop(LAUNCHER_ENV, None)  # an install run from a host's environment must not pin another path
    text = launcher.script(places.platform, host_command, env, str(exe))
    if exe.exists() and not launcher.is_ours(_read(exe)) and not force:
        out.problems.append(
            f"{exe} exists and was not written by paxel: left alone (use --force to replace it)"
        )
        return out
    changed = _write_atomic(exe, text, 0o755)
    record.add(record.files, str(exe))
    out.lines.append(
        f"launcher {exe}: {'written' if changed else 'unchanged'} (runs {' '.join(host_command)})"
    )
    for target in targets:
        path = Path(str(target.manifest))
        who = ", ".join(target.labels)
        if path.exists() and not manifest.is_ours(_read(path)) and not force:
            out.problems.append(
                f"{who}: {path} exists and was not written by paxel: left alone (use --force to replace it)"
            )
            continue
        try:
            _ensure_dir(path.parent, record)
            changed = _write_atomic(path, manifest.build(target.family, str(exe), extra), 0o644)
        except DiskError as exc:
            out.problems.append(f"{who}: {exc.message}")
            continue
        record.add(record.files, str(path))
        out.lines.append(f"{who}: {path} {'written' if changed else 'unchanged'}")
        if target.keys:
            assert registry is not None, "Windows targets need a registry"
            for key in register_keys(target, registry, force, out):
                if key not in record.keys:
                    record.keys.append(key)
    record.save(record_path)
    return out


def uninstall(places: Places, scope: Scope, registry: Registry | None) -> Outcome:
    """Remove paxel's manifests, keys, launcher and the folders install created, if empty."""
    out = Outcome()
    folder = Path(str(launcher_dir(places)))
    record_path = folder / RECORD
    record = _Record.load(record_path)
    exe = Path(str(launcher_path(places)))
    targets = plan(places, scope, BROWSERS)
    manifests = _unique([*(str(t.manifest) for t in targets), *(f for f in record.files if f != str(exe))])
    if registry is not None:
        keys = _unique_keys([*(k for t in targets for k in t.keys), *record.keys])
        unregister_keys(keys, manifests, registry, out)
    for name in manifests:
        path = Path(name)
        if not path.is_file():
            continue
        if manifest.is_ours(_read(path)):
            _remove(path, out)
        else:
            out.lines.append(f"left {path} alone: not written by paxel")
    if exe.is_file():
        if launcher.is_ours(_read(exe)):
            _remove(exe, out)
        else:
            out.lines.append(f"left {exe} alone: not written by paxel")
    if record_path.exists():
        record_path.unlink()
    for name in sorted(record.dirs, key=lambda d: len(Path(d).parts), reverse=True):
        _rmdir_if_empty(Path(name), out)
    _rmdir_if_empty(folder, out)
    if not out.lines:
        out.lines.append("nothing of paxel's was registered")
    return out


def register_keys(target: Target, registry: Registry, force: bool, out: Outcome) -> list[tuple[Hive, str]]:
    """Point each of the target's keys at its manifest; a key naming another program's manifest
    is left alone unless `force`. Returns the keys set."""
    done: list[tuple[Hive, str]] = []
    who = ", ".join(target.labels)
    for key_hive, key in target.keys:
        current = registry.get_default(key_hive, key)
        if current not in (None, str(target.manifest)) and _is_ours_file(current) is False and not force:
            out.problems.append(
                f"{who}: {key_hive}\\{key} names {current}, not paxel's: left alone "
                "(use --force to replace it)"
            )
            continue
        registry.set_default(key_hive, key, str(target.manifest))
        done.append((key_hive, key))
        out.lines.append(f"{who}: {key_hive}\\{key} = {target.manifest}")
    return done


def unregister_keys(
    keys: Sequence[tuple[Hive, str]], manifests: Sequence[str], registry: Registry, out: Outcome
) -> None:
    """Delete each key whose value names a paxel manifest (or one paxel wrote and that is gone)."""
    for key_hive, key in keys:
        value = registry.get_default(key_hive, key)
        if value is None:
            continue
        if _is_ours_file(value) or (value in manifests and not Path(value).exists()):
            registry.delete_key(key_hive, key)
            out.lines.append(f"removed {key_hive}\\{key}")
        else:
            out.lines.append(f"left {key_hive}\\{key} alone: it names {value}, not a paxel manifest")


def _is_ours_file(name: str) -> bool | None:
    """True/False for a readable file, None when there is nothing to read."""
    try:
        return manifest.is_ours(Path(name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _ensure_dir(folder: Path, record: _Record) -> None:
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DiskError(f"cannot create {folder}: {exc.strerror}{_hint(exc)}") from exc
    for created in missing:
        record.add(record.dirs, str(created))


def _write_atomic(path: Path, text: str, mode: int) -> bool:
    """Replace `path` with `text` in one rename; False (and no write) when it already matches."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data and (os.name == "nt" or path.stat().st_mode & 0o777 == mode):
            return False
    except OSError:
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise DiskError(f"cannot write in {path.parent}: {exc.strerror}{_hint(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DiskError(f"cannot write {path}: {exc.strerror}{_hint(exc)}") from exc
    return True


def _hint(exc: OSError) -> str:
    return (
        " (system-wide folders need root: sudo paxel install --system)"
        if isinstance(exc, PermissionError)
        else ""
    )


def _remove(path: Path, out: Outcome) -> None:
    try:
        path.unlink()
        out.lines.append(f"removed {path}")
    except OSError as exc:
        out.problems.append(f"cannot remove {path}: {exc.strerror}{_hint(exc)}")


def _rmdir_if_empty(folder: Path, out: Outcome) -> None:
    try:
        folder.rmdir()
        out.lines.append(f"removed empty folder {folder}")
    except OSError:
        pass  # not empty, not there, or not ours to force: leave it


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unique_keys(items: Iterable[tuple[Hive, str]]) -> list[tuple[Hive, str]]:
    seen: dict[tuple[Hive, str], None] = {}
    for key_hive, key in items:
        if not any(h == key_hive and k.lower() == key.lower() for h, k in seen):
            seen[(key_hive, key)] = None
    return list(seen)


__all__ = [
    "RECORD",
    "Outcome",
    "Target",
    "hive",
    "install",
    "launcher_dir",
    "launcher_path",
    "plan",
    "register_keys",
    "uninstall",
    "unregister_keys",
]
