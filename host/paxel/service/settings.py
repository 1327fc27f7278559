"""User settings from config_dir()/settings.json, with named defaults, and the folder policy.

A missing file means defaults; a malformed file or value is reported (UsageError naming the key)
rather than silently replaced, so a typo in `roots` never widens where downloads may go.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paxel import paths
from paxel.errors import ErrorCode, ProtocolError, UsageError
from paxel.ratelimit import parse_rate
from paxel.service import schedule
from paxel.service.schedule import Timetable

FILE_NAME = "settings.json"


@dataclass(frozen=True)
class Settings:
    roots: tuple[Path, ...]
    default_connections: int = 8
    max_concurrent: int = 3
    open_panel_on_add: bool | None = None  # None: when a display exists (checked at each add)
    extension_ids: tuple[str, ...] = ()  # extra ids the native host accepts (written by hand)
    max_speed: int | None = None  # bytes/s over all downloads together; None: unlimited
    max_connections_per_host: int | None = None  # across all downloads; None: no cap
    schedule: Timetable = field(default_factory=Timetable)  # windows, speeds (service/schedule.py)

    @property
    def default_folder(self) -> Path:
        return self.roots[0]


def load(path: Path | None = None) -> Settings:
    path = path or paths.config_dir() / FILE_NAME
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a JSON object")
    return from_mapping(raw, str(path))


def from_mapping(raw: Mapping[str, Any], where: str = "settings") -> Settings:
    def get(key: str, kind: type, default: Any) -> Any:
        value = raw.get(key, default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise UsageError(f"{where}: `{key}` must be {kind.__name__}")
        return value

    roots_raw = get("roots", list, [str(paths.default_download_dir())])
    if not roots_raw or not all(isinstance(r, str) and os.path.isabs(os.path.expanduser(r))
                                for r in roots_raw):
        raise UsageError(f"{where}: `roots` must be a non-empty list of absolute folders")
    connections = get("default_connections", int, 8)
    concurrent = get("max_concurrent", int, 3)
    if not 1 <= connections <= 32 or not 1 <= concurrent <= 32:
        raise UsageError(f"{where}: default_connections and max_concurrent must be 1..32")
    ids = get("extension_ids", list, [])
    if not all(isinstance(i, str) for i in ids):
        raise UsageError(f"{where}: `extension_ids` must be a list of strings")
    return Settings(
        roots=tuple(Path(os.path.expanduser(r)) for r in roots_raw),
        default_connections=connections,
        max_concurrent=concurrent,
        open_panel_on_add=_optional_bool(raw, "open_panel_on_add", where),
        extension_ids=tuple(ids),
        max_speed=_speed(raw, "max_speed", where),
        max_connections_per_host=_optional_count(raw, "max_connections_per_host", where),
        schedule=_schedule(raw.get("schedule"), where),
    )


def _schedule(raw: Any, where: str) -> Timetable:
    try:
        return schedule.parse(raw, f"{where}: `schedule`")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _speed(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    """Bytes/s as a number or as `paxel limit` writes it ("8M"); null: unlimited."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_rate(value)
        except ValueError as exc:
            raise UsageError(f"{where}: `{key}`: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{where}: `{key}` must be a speed (bytes/s, or text like \"8M\") or null")
    return value


def _optional_count(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    value = raw.get(key)
    bad = isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1024
    if value is not None and bad:
        raise UsageError(f"{where}: `{key}` must be 1..1024 or null")
    return value


def _optional_bool(raw: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise UsageError(f"{where}: `{key}` must be true, false or null")
    return value


def allowed_folder(folder: str | Path, roots: tuple[Path, ...]) -> Path:
    """The real folder if it lies inside a root (after resolving symlinks and `..`), else refuse."""
    real = Path(os.path.realpath(folder))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real_root in real.parents:
            return real
    raise ProtocolError(f"{folder} is not inside an allowed download folder "
                        f"({', '.join(str(r) for r in roots)})", code=ErrorCode.FOLDER_NOT_ALLOWED)
