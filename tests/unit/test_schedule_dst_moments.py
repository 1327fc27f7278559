"""When a queue's windows next open or close as moments of the world (paxel.service.wallclock),
what `paxel queue`, the panel's overview and a waiting download's `until` say, across a daylight
saving change: the rule of paxel.service.schedule (a window holds whenever the wall clock shows a
time inside it) decides, the answer is the first moment it holds (or not), never a wall time that
does not occur."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxel.service.schedule import Timetable, Window, local_time
from paxel.service.wallclock import next_close_at, next_open_at

ZONES = {"Europe/Berlin": (datetime(2027, 3, 28), datetime(2027, 10, 31)),
         "America/New_York": (datetime(2027, 3, 14), datetime(2027, 11, 7))}
REPEATED = {"Europe/Berlin": 2, "America/New_York": 1}  # the hour a fall back shows twice
SUNDAY = frozenset({6})


def at(zone: ZoneInfo, day: datetime, hour: int, minute: int = 0, fold: int = 0) -> float:
    return day.replace(hour=hour, minute=minute, tzinfo=zone, fold=fold).timestamp()


@pytest.mark.parametrize("name", ZONES)
def test_spring_forward(name: str) -> None:
    zone, (spring, _) = ZoneInfo(name), ZONES[name]
    jump = at(zone, spring, 3)  # 02:00 becomes 03:00: this moment
    # a window from 02:30 opens when the clock shows 03:00, not an hour later
    late = Timetable((Window(time(2, 30), time(4), SUNDAY),))
    assert next_open_at(late, at(zone, spring, 1), zone) == jump
    # a window wholly in the skipped hour does not open that day: a week later
    gap = Timetable((Window(time(2, 10), time(2, 50), SUNDAY),))
    assert next_open_at(gap, at(zone, spring, 1), zone) == at(zone, spring + timedelta(days=7), 2, 10)
    # one open until 02:30 closes when the clock jumps past it
    early = Timetable((Window(time(1), time(2, 30), SUNDAY),))
    assert next_close_at(early, at(zone, spring, 1, 30), zone) == jump
    # asked at the jump itself (the clock shows 03:00), an open window closes at its stop
    assert next_close_at(late, jump, zone) == at(zone, spring, 4)


@pytest.mark.parametrize("name", ZONES)
def test_fall_back(name: str) -> None:
    zone, (_, autumn), hour = ZoneInfo(name), ZONES[name], REPEATED[name]
    # (Berlin) 01:30-02:30: closes at the first 02:30, holds again when the clock shows 02:00
    # once more (the second pass), until the second 02:30
    table = Timetable((Window(time(hour - 1, 30), time(hour, 30), SUNDAY),))
    first, second = at(zone, autumn, hour, 30), at(zone, autumn, hour, 30, fold=1)
    assert second - first == 3600
    assert next_close_at(table, at(zone, autumn, hour), zone) == first
    assert next_open_at(table, first, zone) == at(zone, autumn, hour, 0, fold=1)
    assert next_close_at(table, at(zone, autumn, hour, 15, fold=1), zone) == second


zones = st.sampled_from(sorted(ZONES)).map(ZoneInfo)
minutes = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
tables = st.lists(st.tuples(minutes, minutes, st.frozensets(st.integers(0, 6), min_size=1)),
                  min_size=1, max_size=3).map(lambda w: Timetable(tuple(Window(*x) for x in w)))
# moments on the days around both changes of both zones, to the second
nears = st.sampled_from([d for days in ZONES.values() for d in days]).flatmap(
    lambda d: st.integers(-36 * 3600, 36 * 3600).map(lambda s: d.timestamp() + s))


@settings(max_examples=150, deadline=None)
@given(tables, zones, nears)
def test_the_answer_is_the_first_moment_of_the_change(table: Timetable, zone: ZoneInfo, now: float) -> None:
    """Checked second by second against the rule at each moment (the wall clock then): nothing
    changes before the answer, and at it the change has happened."""
    now = float(int(now))
    is_open = table.open_at(local_time(now, zone))
    found = (next_close_at if is_open else next_open_at)(table, now, zone)
    if found is None:
        return
    assert found > now
    assert table.open_at(local_time(found, zone)) != is_open
    # nothing changed in between: every minute boundary (a change happens only on one) and the
    # second before the answer
    moment = now - now % 60 + 60
    while moment < found:
        assert table.open_at(local_time(moment, zone)) == is_open, (moment, found)
        moment += 60
    assert table.open_at(local_time(found - 1, zone)) == is_open or found - 1 < now
