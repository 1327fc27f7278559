"""`paxel schedule …`: when the queues may start downloads, and time-of-day speed limits
(settings key `schedule`, docs/settings.md; the rules of paxel.service.schedule).

    paxel schedule                                  the windows and speed rules
    paxel schedule window HH:MM-HH:MM [DAYS]        the queues start downloads only in windows
    paxel schedule speed HH:MM-HH:MM SPEED [DAYS]   the global limit while it holds (2M, off)
    paxel schedule clear [windows|speeds]           remove them (both without a word)
    paxel schedule --queue NAME [window …|clear]    a named queue's own windows (without them
                                                    it follows the global ones; `clear`: again)

DAYS: mon,tue,… (the days a window starts on; default every day). A window whose end is at or
before its start crosses midnight (22:00-06:00).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from paxel.commands.limit import rate_of
from paxel.commands.servicecall import call, run_command, update, usage
from paxel.humanize import format_size
from paxel.service.schedule import DAYS

HELP = __doc__.split("\n\n", 1)[1] if __doc__ else ""
_SPAN = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


def main(command: str, argv: list[str]) -> int:
    return run_command(HELP, _run, argv)


def _run(argv: list[str]) -> int:
    if argv[:1] == ["--queue"]:
        return _run_queue(argv[1], argv[2:]) if len(argv) >= 2 else usage("schedule", "--queue NAME")
    word, args = (argv[0], argv[1:]) if argv else ("show", [])
    if word == "show" and not args:
        _print(_current())
        window = call("schedule", "queues")
        print("now: " + window_state(window["open"], window["next_open"], window.get("next_close")))
        return 0
    if word == "clear" and len(args) <= 1 and (not args or args[0] in ("windows", "speeds")):
        def clear(current: dict[str, Any]) -> None:
            for key in args or ["windows", "speeds"]:
                current[key] = []
        return _save(clear)
    if word == "window" and len(args) in (1, 2):
        entry = _entry(args[0], args[1] if len(args) == 2 else None)
        if isinstance(entry, str):
            return usage("schedule", entry)
        return _save(lambda current: current["windows"].append(entry))
    if word == "speed" and len(args) in (2, 3):
        entry = _entry(args[0], args[2] if len(args) == 3 else None)
        if isinstance(entry, str):
            return usage("schedule", entry)
        try:
            entry["max_speed"] = rate_of(args[1])
        except ValueError as exc:
            return usage("schedule", str(exc))
        return _save(lambda current: current["speeds"].append(entry))
    if word in ("show", "clear", "window", "speed"):
        return usage("schedule", f"wrong arguments for `{word}`; see `paxel schedule --help`")
    return usage("schedule", f"unknown command {word!r}; see `paxel schedule --help`")


def _run_queue(name: str, argv: list[str]) -> int:
    """A named queue's own windows (settings `queues.NAME.schedule`; speed rules stay global)."""
    word, args = (argv[0], argv[1:]) if argv else ("show", [])
    if word == "show" and not args:
        queues: dict[str, Any] = call("schedule", "settings")["settings"]["queues"]
        if name not in queues:
            return _no_queue(name)
        own = queues[name].get("schedule")
        if own is None:
            print(f"{name}: the global schedule's windows")
        else:
            _print({"windows": own["windows"], "speeds": []})
        state = next(q for q in call("schedule", "queues")["queues"] if q["name"] == name)
        print("now: " + window_state(state["open"], state["next_open"], state.get("next_close")))
        return 0
    if word == "window" and len(args) in (1, 2):
        window = _entry(args[0], args[1] if len(args) == 2 else None)
        if isinstance(window, str):
            return usage("schedule", window)
    elif word != "clear" or args:
        return usage("schedule", f"for a queue: `window HH:MM-HH:MM [DAYS]`, `clear` or nothing "
                                 f"(not {word!r}); see `paxel schedule --help`")

    def changed(settings: dict[str, Any]) -> dict[str, Any] | int:
        queues = settings["queues"]
        if name not in queues:
            return _no_queue(name)
        entry = queues[name]
        if word == "clear":
            entry.pop("schedule", None)
        else:
            own = entry.setdefault("schedule", {"windows": []})
            own["windows"] = [*own.get("windows", []), window]
        return {"set": {"queues": queues}}
    result = update("schedule", changed)
    if isinstance(result, int):
        return result
    saved = result["settings"]["queues"][name]
    if "schedule" not in saved:
        print(f"{name}: the global schedule's windows")
        return 0
    return _print({"windows": saved["schedule"]["windows"], "speeds": []})


def _no_queue(name: str) -> int:
    return usage("schedule", f"no named queue {name!r} (see `paxel queue`; `main` follows the "
                             "global schedule)")


def window_state(is_open: bool, opens: float | None, closes: float | None = None,
                 now: float | None = None) -> str:
    """`open`, `open until Sat 06:00` (a window closes it within a week), or `closed, opens
    Mon 02:00` (local time; `moment` says a week ahead with its date)."""
    if is_open:
        return f"open until {moment(closes, now)}" if closes else "open"
    later = f", opens {moment(opens, now)}" if opens else ", no window within a week"
    return f"closed{later}"


def moment(at: float, now: float | None = None) -> str:
    """`Sat 06:00` in local time; a week or more ahead `Tue 2026-12-08 08:00`: asked on a Tuesday
    at 10:30, a window on Tuesdays at 08:00 opens in a week, which `Tue 08:00` alone would
    say as this morning."""
    when = datetime.fromtimestamp(at)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return f"{when:%a %Y-%m-%d %H:%M}" if (when.date() - today).days >= 7 else f"{when:%a %H:%M}"


def _entry(span: str, days: str | None) -> dict[str, Any] | str:
    """A window's settings form, or what is wrong with the words (the service checks the rest)."""
    match = _SPAN.match(span)
    if match is None:
        return f"{span!r} is not a span HH:MM-HH:MM"
    entry: dict[str, Any] = {"start": match.group(1).zfill(5), "stop": match.group(2).zfill(5)}
    if days is not None:
        chosen = [d.strip().lower() for d in days.split(",") if d.strip()]
        if not chosen or any(d not in DAYS for d in chosen):
            return f"{days!r}: days are {','.join(DAYS)}"
        entry["days"] = chosen
    return entry


def _current() -> dict[str, Any]:
    current: dict[str, Any] = call("schedule", "settings")["settings"]["schedule"]
    return current


def _save(change: Callable[[dict[str, Any]], None]) -> int:
    """`change` the schedule as the service has it now (again if another save came first)."""
    def changed(settings: dict[str, Any]) -> dict[str, Any]:
        change(settings["schedule"])
        return {"set": {"schedule": settings["schedule"]}}
    saved = update("schedule", changed)
    return saved if isinstance(saved, int) else _print(saved["settings"]["schedule"])


def _print(schedule: dict[str, Any]) -> int:
    def when(item: dict[str, Any]) -> str:
        days = item.get("days") or list(DAYS)
        return f"{item['start']}-{item['stop']}" + ("" if len(days) == 7 else f" {','.join(days)}")
    if not schedule["windows"]:
        print("windows: none (the queues may start downloads at any time)")
    for item in schedule["windows"]:
        print(f"window {when(item)}")
    for item in schedule["speeds"]:
        limit = item["max_speed"]
        print(f"speed  {when(item)}  " + ("no limit" if limit is None else f"{format_size(limit)}/s"))
    return 0
