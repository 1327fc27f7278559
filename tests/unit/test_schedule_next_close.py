"""When an open schedule next closes (paxel.service.wallclock.next_close_at): what the
panel's queue overview says beside "open" ("until Sat 06:00"), as `next_open_at` is for a closed
one. Asked here in UTC, where the wall clock never jumps (test_schedule_dst_moments has the
days it does); the windows themselves are asked again every second."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from paxel.service.schedule import DAYS, Timetable, Window
from paxel.service.wallclock import next_close_at

times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1))
windows = st.lists(st.tuples(times, times, st.frozensets(st.integers(0, 6), min_size=1)),
                   min_size=1, max_size=3)
MONDAY = datetime(2026, 11, 30)


def next_close(table: Timetable, wall: datetime) -> datetime | None:
    """next_close_at on a UTC wall clock, as a wall time."""
    found = next_close_at(table, wall.replace(tzinfo=UTC).timestamp(), UTC)
    return None if found is None else datetime.fromtimestamp(found, UTC).replace(tzinfo=None)


def test_examples() -> None:
    night = Timetable((Window(time(22), time(6), frozenset({DAYS.index("fri")})),))
    assert next_close(night, MONDAY.replace(hour=23)) is None  # closed: next_open says when
    friday = MONDAY + timedelta(days=4)
    assert next_close(night, friday.replace(hour=23, minute=30, second=5)) == friday.replace(day=5, hour=6)
    # two windows that meet are one stretch: closed only when the later ends
    joined = Timetable((Window(time(1), time(3)), Window(time(3), time(5))))
    assert next_close(joined, MONDAY.replace(hour=2)) == MONDAY.replace(hour=5)
    # a whole day (start == stop) on Monday only: closes at Tuesday's start time
    whole = Timetable((Window(time(8), time(8), frozenset({0})),))
    assert next_close(whole, MONDAY.replace(hour=9)) == MONDAY.replace(day=1, month=12, hour=8)
    # no windows, or every day whole: never closes
    assert next_close(Timetable(), MONDAY) is None
    assert next_close(Timetable((Window(time(0), time(0)),)), MONDAY) is None


@given(windows, moments)
def test_next_close_is_the_first_closed_minute(spans: list[tuple[time, time, frozenset[int]]],
                                               when: datetime) -> None:
    table = Timetable(tuple(Window(a, b, d) for a, b, d in spans))
    found = next_close(table, when)
    if not table.open_at(when):
        assert found is None
        return
    if found is None:  # open through the whole horizon: every day has a whole-day window
        assert all(table.open_at(when + timedelta(minutes=m)) for m in range(0, 8 * 24 * 60, 7))
        return
    assert found > when and not table.open_at(found)
    assert found.second == 0 and found.microsecond == 0
    step = max((found - when) // 200, timedelta(minutes=1))
    moment = when
    while moment < found:  # open all the way to it
        assert table.open_at(moment), (moment, found)
        moment += step
    assert table.open_at(found - timedelta(minutes=1)) or found - timedelta(minutes=1) < when
