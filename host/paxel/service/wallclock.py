"""When a timetable next opens or closes, as a moment of the world (Unix seconds): what a
waiting download's `until`, the `queues` reply's `next_open`/`next_close`, `paxel queue` and the
panel's overview say, and when the panel asks again.

The schedule's rule (paxel.service.schedule) is on the wall clock: a window holds whenever the
clock shows a time inside it. A wall time is not a moment on a day the clock jumps: when the
next change was sought as a wall time and taken as local time, a start in the skipped hour of a spring
forward (02:30) read as 03:30 though the window opens at 03:00, a window wholly in that hour was
said to open although it never does that day, and the repeated hour of a fall back hid the moment
a window holds again. So here the moments are sought directly: the queue can change only when
the clock shows one of its windows' starts (opening) or stops (closing), in either pass of a
repeated hour, or when the clock jumps (a change of the zone's offset); each such moment in
order is asked "open now?" by the rule itself, and the first with the answer sought is it.
`zone` None is the system's zone, as `local_time` takes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo

from paxel.service.schedule import Timetable, local_time

HORIZON = timedelta(days=8)  # a window a week ahead is still found
_DAY = 86400


def next_open_at(table: Timetable, now: float, zone: tzinfo | None = None) -> float | None:
    """`now` if the queue is open now, else the first moment it is; None: not within HORIZON."""
    if table.open_at(local_time(now, zone)):
        return now
    return _first(table, now, zone, opening=True)


def next_close_at(table: Timetable, now: float, zone: tzinfo | None = None) -> float | None:
    """While open now, the first moment it is closed; None when closed now, with no windows
    (always open), or open through HORIZON."""
    if not table.windows or not table.open_at(local_time(now, zone)):
        return None
    return _first(table, now, zone, opening=False)


def _first(table: Timetable, now: float, zone: tzinfo | None, opening: bool) -> float | None:
    end = now + HORIZON.total_seconds()
    minutes = {w.start if opening else w.stop for w in table.windows}
    moments = {*_shown(minutes, now, end, zone), *_jumps(now, end, zone)}
    candidates = sorted(t for t in moments if now < t <= end)
    return next((t for t in candidates if table.open_at(local_time(t, zone)) == opening), None)


def _shown(minutes: Iterable[time], now: float, end: float, zone: tzinfo | None) -> Iterable[float]:
    """Every moment from `now` to `end` when the clock shows one of `minutes` (none in a
    skipped hour, two in a repeated one)."""
    first = local_time(now, zone).date() - timedelta(days=1)
    for n in range(int((end - now) // _DAY) + 3):
        for minute in minutes:
            wall = datetime.combine(first + timedelta(days=n), minute)
            for fold in (0, 1):
                moment = (wall.replace(fold=fold) if zone is None
                          else wall.replace(tzinfo=zone, fold=fold)).timestamp()
                if local_time(moment, zone) == wall:  # else the clock never shows it
                    yield moment


def _offset(moment: float, zone: tzinfo | None) -> timedelta:
    return local_time(moment, zone) - datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)


def _jumps(now: float, end: float, zone: tzinfo | None) -> Iterable[float]:
    """The moments the zone's offset changes (the clock jumps), to the second: sought day by day
    (one change a day at most, as every zone has it)."""
    start = float(int(now))
    while start < end:
        stop = start + _DAY
        before, after = _offset(start, zone), _offset(stop, zone)
        if before != after:
            low, high = start, stop  # offset(low) == before, offset(high) == after
            while high - low > 1:
                middle = float((low + high) // 2)
                low, high = (middle, high) if _offset(middle, zone) == before else (low, middle)
            yield high
        start = stop


__all__ = ["HORIZON", "next_close_at", "next_open_at"]
