"""Schedules (paxel.service.schedule): windows on the wall clock, asked again at every moment,
with an injected clock; suspend, midnight and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.service.schedule import DAYS, SpeedRule, Timetable, Window, local_time, parse
from paxel.service.wallclock import next_open_at

BERLIN = ZoneInfo("Europe/Berlin")
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1))


@given(times, times, moments)
def test_a_window_within_a_day_holds_exactly_between_start_and_stop(start: time, stop: time,
                                                                     when: datetime) -> None:
    window = Window(start, stop)
    if start < stop:
        assert window.holds(when) == (start <= when.time() < stop)
    else:  # across midnight, or the whole day when equal
        assert window.holds(when) == (when.time() >= start or when.time() < stop)


@given(times, times, st.integers(0, 6), moments)
def test_a_window_belongs_to_the_day_it_starts_on(start: time, stop: time, day: int,
                                                  when: datetime) -> None:
    window = Window(start, stop, frozenset({day}))
    if start < stop:
        expected = when.weekday() == day and start <= when.time() < stop
    else:
        expected = ((when.weekday() == day and when.time() >= start)
                    or (when.weekday() == (day + 1) % 7 and when.time() < stop))
    assert window.holds(when) == expected


@given(times, st.integers(1, 24 * 60 - 1), st.dates(datetime(2020, 1, 1).date(), datetime(2035, 1, 1).date()),
       st.data())
def test_waking_at_any_moment_inside_a_window_finds_it_open(start: time, minutes: int, day: object,
                                                            data: st.DataObject) -> None:
    """Whatever moment the clock is next read at (a suspend can skip any amount), inside the
    window is open and just outside is closed: nothing depends on having seen the start."""
    first = datetime.combine(day, start)  # type: ignore[arg-type]
    stop = (first + timedelta(minutes=minutes)).time()
    table = Timetable((Window(start, stop, frozenset({first.weekday()})),))
    inside = first + timedelta(seconds=data.draw(st.integers(0, minutes * 60 - 1)))
    assert table.open_at(inside)
    assert not table.open_at(first - timedelta(seconds=1))
    assert not table.open_at(first + timedelta(minutes=minutes))


def test_suspend_across_the_start_with_an_injected_clock() -> None:
    """A clock that jumps, as a laptop's does when it wakes: 01:50, then (asleep) 02:07."""
    table = Timetable((Window(time(2), time(6)),))
    clock = iter([datetime(2026, 11, 30, 1, 50), datetime(2026, 11, 30, 2, 7),
                  datetime(2026, 11, 30, 5, 59), datetime(2026, 11, 30, 9, 0)])
    assert [table.open_at(next(clock)) for _ in range(4)] == [False, True, True, False]


def test_spring_forward_opens_at_the_first_wall_time_after_its_start() -> None:
    # Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    gap = Timetable((Window(time(2, 30), time(4)),))
    inside_gap_only = Timetable((Window(time(2, 10), time(2, 50)),))
    before = datetime(2026, 3, 29, 0, 59, 59, tzinfo=ZoneInfo("UTC")).timestamp()
    after = datetime(2026, 3, 29, 1, 0, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    assert local_time(before, BERLIN) == datetime(2026, 3, 29, 1, 59, 59)
    assert local_time(after, BERLIN) == datetime(2026, 3, 29, 3, 0)
    assert not gap.open_at(local_time(before, BERLIN)) and gap.open_at(local_time(after, BERLIN))
    assert not any(inside_gap_only.open_at(local_time(before + s, BERLIN)) for s in range(0, 7200, 60))


def test_fall_back_keeps_a_window_open_through_both_passes() -> None:
    # Berlin, 2026-10-25: 03:00 CEST returns to 02:00 CET (01:00 UTC); 02:00-03:00 happens twice
    table = Timetable((Window(time(2, 15), time(2, 45)),))
    start = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    open_minutes = sum(table.open_at(local_time(start + m * 60, BERLIN)) for m in range(180))
    assert open_minutes == 60  # 30 minutes in each pass


@pytest.mark.parametrize(("night", "hours"), [(datetime(2026, 3, 28), 7), (datetime(2026, 10, 24), 9)])
def test_a_saturday_night_window_across_midnight_on_the_change_nights(night: datetime, hours: int) -> None:
    """Sat 22:00 - Sun 06:00 (Berlin) on the nights the clocks change: open from 22:00 until
    06:00 by the wall clock, so for 7 real hours in spring and 9 in autumn, in one piece; closed
    the nights before and after (it belongs to Saturday)."""
    table = Timetable((Window(time(22), time(6), frozenset({DAYS.index("sat")})),))
    start = datetime(night.year, night.month, night.day, 12, tzinfo=BERLIN).timestamp()
    walls = [local_time(start + m * 60, BERLIN) for m in range(-24 * 60, 48 * 60)]
    opened = [wall for wall in walls if table.open_at(wall)]
    assert len(opened) == hours * 60
    assert opened[0] == night.replace(hour=22)
    assert opened[-1] == (night + timedelta(days=1)).replace(hour=5, minute=59)
    first = walls.index(opened[0])
    assert walls[first:first + len(opened)] == opened, "one piece"


def test_a_clock_set_back_closes_the_window_and_forward_again_opens_it() -> None:
    """Nothing is remembered between two questions: a clock corrected backwards (NTP, a user)
    from 02:30 to 01:30 finds the 02:00-06:00 window closed, and open again at 02:00."""
    table = Timetable((Window(time(2), time(6)),))
    clock = [datetime(2026, 11, 30, 2, 30), datetime(2026, 11, 30, 1, 30), datetime(2026, 11, 30, 2, 0)]
    assert [table.open_at(wall) for wall in clock] == [True, False, True]


@given(st.lists(st.tuples(times, times, st.frozensets(st.integers(0, 6), min_size=1)), min_size=1,
                max_size=3), moments)
def test_next_open_is_open_and_not_before_now(windows: list[tuple[time, time, frozenset[int]]],
                                              when: datetime) -> None:
    table = Timetable(tuple(Window(a, b, d) for a, b, d in windows))
    now = when.replace(tzinfo=UTC).timestamp()
    found = next_open_at(table, now, UTC)
    assert found is not None and found >= now and table.open_at(local_time(found, UTC))


def test_speed_rules_first_match_else_default() -> None:
    table = Timetable(speeds=(SpeedRule(Window(time(9), time(18), frozenset(range(5))), 1 << 20),
                              SpeedRule(Window(time(0), time(0)), None)))
    monday_noon, saturday_noon = datetime(2026, 11, 30, 12), datetime(2026, 12, 5, 12)
    assert table.speed_at(monday_noon, 8 << 20) == 1 << 20
    assert table.speed_at(saturday_noon, 8 << 20) is None  # the all-day rule: unlimited
    assert Timetable().speed_at(monday_noon, 5) == 5 and Timetable().open_at(monday_noon)


def test_parse() -> None:
    table = parse({"windows": [{"start": "22:00", "stop": "6:00", "days": ["fri", "sat"]}],
                   "speeds": [{"start": "09:00", "stop": "18:00", "max_speed": 1024}]})
    assert table.windows == (Window(time(22), time(6), frozenset({4, 5})),)
    assert table.speeds == (SpeedRule(Window(time(9), time(18)), 1024),)
    assert parse(None) == Timetable() and len(DAYS) == 7
    text = parse({"speeds": [{"start": "1:00", "stop": "2:00", "max_speed": "1M"}]})
    assert text.speeds[0].max_speed == 1 << 20
    for bad in ([], {"window": []}, {"windows": {}}, {"windows": [{"start": "24:00", "stop": "1:00"}]},
                {"windows": [{"start": "1:00"}]},
                {"windows": [{"start": "1:00", "stop": "2:00", "days": []}]},
                {"windows": [{"start": "1:00", "stop": "2:00", "days": ["monday"]}]},
                {"speeds": [{"start": "1:00", "stop": "2:00", "max_speed": "fast"}]},
                {"speeds": [{"start": "1:00", "stop": "2:00", "max_speed": 0}]}):
        with pytest.raises(ValueError):
            parse(bad)
