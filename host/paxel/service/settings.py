"""User settings from config_dir()/settings.json, with named defaults, and the folder policy.

A missing file means defaults; a malformed file or value is reported (UsageError naming the key)
rather than silently replaced, so a typo in `roots` never widens where downloads may go.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paxel import paths, rules
from paxel.errors import ErrorCode, ProtocolError, UsageError
from paxel.folder import Folder
from paxel.ratelimit import MAX_RATE, parse_rate
from paxel.rules import FolderRules
from paxel.service import aftercompletion, schedule
from paxel.service.aftercompletion import AfterCompletion
from paxel.service.queueing import MAIN
from paxel.service.schedule import Timetable

FILE_NAME = "settings.json"
DUPLICATES = ("rename", "ask", "skip", "resume")
_QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")


@dataclass(frozen=True)
class Queue:
    """A named queue's settings entry (`queues.NAME`)."""

    max_concurrent: int
    schedule: Timetable | None = None  # its own windows; None: the global schedule's apply


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
    queues: Mapping[str, Queue] = field(default_factory=dict)  # named queue -> its limit, windows
    folder_rules: FolderRules = field(default_factory=FolderRules)  # paxel.rules
    duplicates: str = "rename"  # one of DUPLICATES
    after_completion: AfterCompletion = field(default_factory=AfterCompletion)

    @property
    def default_folder(self) -> Path:
        return self.roots[0]

    @property
    def queue_limits(self) -> dict[str, int]:
        """Every queue's max_concurrent, `main` (the default queue: `max_concurrent`) first."""
        return {MAIN: self.max_concurrent, **{name: q.max_concurrent for name, q in self.queues.items()}}

    @property
    def queue_schedules(self) -> dict[str, Timetable]:
        """The queues with windows of their own -> them (the others follow `schedule`)."""
        return {name: q.schedule for name, q in self.queues.items() if q.schedule is not None}


def load(path: Path | None = None) -> Settings:
    path = path or settings_path()
    return from_mapping(_read_raw(path), str(path))


def _read_raw(path: Path) -> dict[str, Any]:
    """The settings file's JSON object as written (no file: empty), or a UsageError naming it."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a JSON object")
    return raw


KEYS = frozenset({"roots", "default_connections", "max_concurrent", "open_panel_on_add", "extension_ids",
                  "max_speed", "max_connections_per_host", "schedule", "queues", "folder_rules",
                  "duplicates", "after_completion"})


def _known_keys_only(raw: Mapping[str, Any], where: str) -> None:
    """A key close to one paxel reads is a typo: left alone, the setting meant would stay at its
    default without a word (`max_concurent`). A key like none of them is left alone: a later
    version's, which a save keeps in the file (paxel.service.settings.save)."""
    _refuse_near_misses(raw, KEYS, where)


# a queue's keys (`queues.NAME`); as at the top, one like none of them is a later version's
QUEUE_KEYS = frozenset({"max_concurrent", "schedule"})


def _refuse_near_misses(raw: Mapping[str, Any], known: frozenset[str], where: str, inside: str = "") -> None:
    # keys(), not iteration: tests/unit/test_settings_doc.py finds the keys read by name
    for key in sorted(str(key) for key in raw.keys() if key not in known):  # noqa: SIM118
        meant = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        if meant:
            raise UsageError(f"{where}: unknown key `{inside}{key[:64]}` (did you mean `{meant[0]}`?)")


def from_mapping(raw: Mapping[str, Any], where: str = "settings") -> Settings:
    _known_keys_only(raw, where)

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
        schedule=_parsed(schedule.parse, raw.get("schedule"), f"{where}: `schedule`"),
        queues=_queues(raw.get("queues"), where),
        folder_rules=_parsed(rules.parse, raw.get("folder_rules"), f"{where}: `folder_rules`"),
        duplicates=_duplicates(raw.get("duplicates", "rename"), where),
        after_completion=_parsed(aftercompletion.parse, raw.get("after_completion"),
                                 f"{where}: `after_completion`"),
    )


def _parsed(parse: Callable[[Any, str], Any], raw: Any, where: str) -> Any:
    try:
        return parse(raw, where)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _queues(raw: Any, where: str) -> dict[str, Queue]:
    """`{"night": {"max_concurrent": 2, "schedule": {...}}}` → {"night": Queue(2, ...)}; `main`
    is `max_concurrent`'s."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}: `queues` must be an object of queue names to {{\"max_concurrent\": N}}")
    out = {}
    for name, value in raw.items():
        limit = value.get("max_concurrent") if isinstance(value, Mapping) else None
        if not isinstance(name, str) or not _QUEUE_NAME.fullmatch(name) or name == MAIN:
            raise UsageError(f"{where}: `queues`: {name!r} is not a queue name (letters, digits, "
                             f"space, `.`, `_`, `-`; up to 64; `{MAIN}` is the default queue: "
                             "`max_concurrent`)")
        if not isinstance(value, Mapping) or isinstance(limit, bool) or not isinstance(limit, int) \
                or not 1 <= limit <= 32:
            raise UsageError(f"{where}: `queues.{name}` must be {{\"max_concurrent\": 1..32}} "
                             "and an optional `schedule`")
        _refuse_near_misses(value, QUEUE_KEYS, where, f"queues.{name}.")
        out[name] = Queue(limit, _queue_schedule(value.get("schedule"), f"{where}: `queues.{name}.schedule`"))
    return out


def _queue_schedule(raw: Any, where: str) -> Timetable | None:
    """A queue's own windows (the time-of-day speed limits stay global); None: it has none."""
    if raw is None:
        return None
    own: Timetable = _parsed(schedule.parse, raw, where)
    if own.speeds:
        raise UsageError(f"{where}: only `windows` (speed rules are global: `schedule.speeds`)")
    return own


def _duplicates(value: Any, where: str) -> str:
    if value not in DUPLICATES:
        raise UsageError(f"{where}: `duplicates` must be one of {', '.join(DUPLICATES)}")
    return str(value)


def to_raw(settings: Settings) -> dict[str, Any]:
    """Every key in its settings-file form (what `save` and the `settings` request take), except
    `after_completion`, which only a local client reads (paxel.service.aftercompletion)."""
    return {
        "roots": [str(r) for r in settings.roots],
        "default_connections": settings.default_connections,
        "max_concurrent": settings.max_concurrent,
        "open_panel_on_add": settings.open_panel_on_add,
        "extension_ids": list(settings.extension_ids),
        "max_speed": settings.max_speed,
        "max_connections_per_host": settings.max_connections_per_host,
        "schedule": schedule.to_raw(settings.schedule),
        "queues": {name: _queue_raw(settings, name) for name in settings.queues},
        "folder_rules": rules.to_raw(settings.folder_rules),
        "duplicates": settings.duplicates,
    }


def revision(settings: Settings) -> int:
    """A number that changes whenever `to_raw(settings)` does: what a `settings` answer shows, so
    a surface that saves can say "if nothing changed since I read it" (`if_revision`). Taken from
    the content, not counted, so it means the same after a restart (an edit undone gives the old
    number back, which is right: nothing would be lost). 48 bits: exact in every JSON reader."""
    text = json.dumps(to_raw(settings), sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


def _queue_raw(settings: Settings, name: str) -> dict[str, Any]:
    own = settings.queues[name].schedule
    return {"max_concurrent": settings.queues[name].max_concurrent,
            **({} if own is None else {"schedule": {"windows": schedule.to_raw(own)["windows"]}})}


def settings_path() -> Path:
    return paths.config_dir() / FILE_NAME


def save(changes: Mapping[str, Any], path: Path | None = None,
         roots: tuple[Path, ...] | None = None, renamed: Mapping[str, str] | None = None) -> Settings:
    """Write `changes` (keys in their settings-file form; None removes a key) into the settings
    file, keeping every other key as it is in the file now, and return the new Settings. Checked
    before writing, so the file is never left invalid; replaced atomically. New `folder_rules`
    must send downloads inside `roots` (the running service's; default: the file's). A queue
    sent keeps the keys of a later version it has in the file (`renamed`, {old: new}: under
    its new name), as the file keeps such keys at the top: a page sends what it shows."""
    path = path or settings_path()
    current = _read_raw(path)
    changes = _with_later_queue_keys(changes, current.get("queues"), renamed or {})
    merged = {k: v for k, v in {**current, **changes}.items() if v is not None}
    settings = from_mapping(merged, str(path))
    if "folder_rules" in changes:
        _check_rule_folders(settings.folder_rules, roots or settings.roots, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_durably(path, json.dumps(merged, indent=2) + "\n")
    return settings


def _with_later_queue_keys(changes: Mapping[str, Any], queues: Any,
                           renamed: Mapping[str, str]) -> Mapping[str, Any]:
    sent = changes.get("queues")
    if not isinstance(sent, Mapping) or not isinstance(queues, Mapping):
        return changes
    was = {new: old for old, new in renamed.items()}
    out = {}
    for name, entry in sent.items():
        # a name renamed away and not renamed to is a new queue: nothing of the old one's
        old = was.get(name, None if name in renamed else name)
        before = queues.get(old) if old is not None else None
        later = {k: v for k, v in before.items() if k not in QUEUE_KEYS} \
            if isinstance(before, Mapping) else {}
        out[name] = {**later, **entry} if isinstance(entry, Mapping) else entry
    return {**changes, "queues": out}


def _write_durably(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash or a power cut at any moment leaves the old file
    or the new one, never an empty or half one: the temporary file's bytes reach the disk before
    it takes the name (else the rename can land first), and the folder's entry after it (else
    the rename itself can be lost after the service said "saved")."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    Folder(path.parent).sync()


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
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATE:
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


def _check_rule_folders(folder_rules: FolderRules, roots: tuple[Path, ...], where: str) -> None:
    """UsageError naming the first rule whose folder is outside `roots`: saved, it looked fine and
    then refused every download it matched (the scheduler checks again at each download)."""
    named = [(f"sites[{i}]", site.folder) for i, site in enumerate(folder_rules.sites)]
    # the file types' too while sorting by type is off: else one saved then would refuse every
    # download of its type the day the box is ticked (on the options page, which shows no types)
    named += [(f"categories.{c.name}", c.folder) for c in folder_rules.categories]
    for rule, folder in named:
        try:
            allowed_folder(roots[0] / Path(folder).expanduser(), roots)
        except ProtocolError:
            raise UsageError(f"{where}: `folder_rules`.{rule}.folder: {folder} is not inside an allowed "
                             f"download folder ({', '.join(str(r) for r in roots)})") from None


def allowed_folder(folder: str | Path, roots: tuple[Path, ...]) -> Path:
    """The real folder if it lies inside a root (after resolving symlinks and `..`), else refuse."""
    real = Path(os.path.realpath(folder))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real_root in real.parents:
            return real
    raise ProtocolError(f"{folder} is not inside an allowed download folder "
                        f"({', '.join(str(r) for r in roots)})", code=ErrorCode.FOLDER_NOT_ALLOWED)
