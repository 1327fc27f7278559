"""Schedules: windows when the queue may start downloads, and time-of-day speed limits. Pure.

Every question is asked about one moment of the *local wall clock* (a naive `datetime`: what a
clock on the wall shows), never answered once and remembered: the scheduler asks again every
second or so with `time.time()`, which keeps counting through a suspend. So nothing is "fired
at 02:00": a laptop that sleeps through 02:00 and wakes at 02:07 is asked "is 02:07 inside
02:00-06:00?" and starts its downloads; one that wakes at 06:30 has missed the window and waits
for the next (downloads do not start late outside their window).

Daylight saving, the rule: a window holds whenever the wall clock shows a time inside it.
- Spring forward (02:00 jumps to 03:00): the skipped wall times never occur. A window 02:30-04:00
  opens at 03:00 that day; a window wholly inside the gap (02:10-02:50) does not open that day.
- Fall back (03:00 returns to 02:00): the repeated wall times occur twice, and a window holds
  through both (01:30-02:30 is then open for two hours by the clock of the world).
The conversion from a timestamp to the wall clock is `local_time` (zoneinfo), outside the rules.

A window with `stop <= start` crosses midnight (22:00-06:00) and belongs to the weekday it
starts on: Friday 22:00-06:00 holds until Saturday 06:00. `start == stop` is a whole day from
`start`. No windows at all means the queue is always open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Any

from paxel.ratelimit import MAX_RATE, parse_rate

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = frozenset(range(7))
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Window:
    """From `start` to `stop` (wall clock) on the weekdays `days` (0 = Monday) it starts on."""

    start: time
    stop: time
    days: frozenset[int] = EVERY_DAY

    def holds(self, wall: datetime) -> bool:
        now, day = wall.time().replace(tzinfo=None), wall.weekday()
        if self.start < self.stop:
            return day in self.days and self.start <= now < self.stop
        # crosses midnight (or a whole day): today's part from start, yesterday's part until stop
        return (day in self.days and now >= self.start) or ((day - 1) % 7 in self.days and now < self.stop)


@dataclass(frozen=True)
class SpeedRule:
    window: Window
    max_speed: int | None  # bytes/s over all downloads while the window holds; None: unlimited


@dataclass(frozen=True)
class Timetable:
    """Queue windows and time-of-day speed limits (settings key `schedule`)."""

    windows: tuple[Window, ...] = ()
    speeds: tuple[SpeedRule, ...] = ()

    def open_at(self, wall: datetime) -> bool:
        """May the queue start downloads now? (No windows: always.)"""
        return not self.windows or any(w.holds(wall) for w in self.windows)

    def speed_at(self, wall: datetime, default: int | None) -> int | None:
        """The global limit now: the first speed rule that holds, else `default`."""
        return next((r.max_speed for r in self.speeds if r.window.holds(wall)), default)


def local_time(timestamp: float, zone: tzinfo | None = None) -> datetime:
    """The wall clock at `timestamp` in `zone` (None: the system's), as a naive datetime."""
    return datetime.fromtimestamp(timestamp, zone).replace(tzinfo=None)


def parse(raw: Any, where: str = "schedule") -> Timetable:
    """`{"windows": [{"start": "02:00", "stop": "06:00", "days": ["mon", ...]}],
    "speeds": [{"start": "09:00", "stop": "18:00", "max_speed": 1048576}]}` → Timetable;
    ValueError naming the entry. `days` is optional (every day); `max_speed` is bytes/s, text as
    `paxel limit` takes it ("1M"), or null (unlimited while the window holds)."""
    if raw is None:
        return Timetable()
    if not isinstance(raw, Mapping) or set(raw) - {"windows", "speeds"}:
        raise ValueError(f"{where}: an object with `windows` and `speeds`")
    windows = tuple(_window(item, f"{where}.windows[{i}]")
                    for i, item in enumerate(_list(raw, "windows", where)))
    speeds = []
    for i, item in enumerate(_list(raw, "speeds", where)):
        name = f"{where}.speeds[{i}]"
        rate = item.get("max_speed") if isinstance(item, Mapping) else None
        if isinstance(rate, str):
            rate = parse_rate(rate)  # ValueError names the text
        elif rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)
                                  or not 1 <= rate <= MAX_RATE):
            raise ValueError(f"{name}: `max_speed` must be a speed (bytes/s, or text like \"1M\") or null")
        speeds.append(SpeedRule(_window(item, name, {"max_speed"}), rate))
    return Timetable(windows, tuple(speeds))


def to_raw(timetable: Timetable) -> dict[str, Any]:
    """The settings form of `timetable` (what `parse` reads back)."""
    def window(w: Window) -> dict[str, Any]:
        return {"start": w.start.strftime("%H:%M"), "stop": w.stop.strftime("%H:%M"),
                "days": [DAYS[d] for d in sorted(w.days)]}
    return {"windows": [window(w) for w in timetable.windows],
            "speeds": [{**window(r.window), "max_speed": r.max_speed} for r in timetable.speeds]}


def _list(raw: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{where}: `{key}` must be a list")
    return value


def _window(item: Any, where: str, extra: Iterable[str] = ()) -> Window:
    if not isinstance(item, Mapping) or set(item) - {"start", "stop", "days", *extra}:
        raise ValueError(f"{where}: an object with `start`, `stop` and optional `days`")
    days = item.get("days", list(DAYS))
    if not isinstance(days, list) or not days or not all(d in DAYS for d in days):
        raise ValueError(f"{where}: `days` must be a non-empty list of {', '.join(DAYS)}")
    return Window(_time(item.get("start"), f"{where}.start"), _time(item.get("stop"), f"{where}.stop"),
                  frozenset(DAYS.index(d) for d in days))


def _time(value: Any, where: str) -> time:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: a wall-clock time HH:MM (00:00-23:59)")
    return time(int(match.group(1)), int(match.group(2)))


__all__ = ["DAYS", "SpeedRule", "Timetable", "Window", "local_time", "parse", "to_raw"]
