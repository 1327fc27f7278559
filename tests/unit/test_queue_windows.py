"""Each named queue's own schedule windows (settings `queues.NAME.schedule`): the pure policy
(paxel.service.queueing.open_queues) and the settings form, with the wall clock injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import UsageError
from paxel.service import queueing, schedule
from paxel.service.settings import from_mapping, to_raw
from paxel.service.wallclock import next_open_at

NIGHT = schedule.parse({"windows": [{"start": "02:00", "stop": "06:00"}]})
WORK = schedule.parse({"windows": [{"start": "09:00", "stop": "17:00", "days": ["mon", "tue"]}]})
NAMES = {"main": 3, "night": 1, "bulk": 2}
walls = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


def test_a_queue_with_its_own_windows_opens_only_in_them_while_main_runs_always() -> None:
    at = {h: datetime(2026, 11, 30, h, 0) for h in (1, 2, 5, 6, 12)}  # a Monday
    opens = {h: queueing.open_queues(wall, schedule.Timetable(), {"night": NIGHT}, NAMES)
             for h, wall in at.items()}
    assert [opens[h]["night"] for h in (1, 2, 5, 6, 12)] == [False, True, True, False, False]
    assert all(opens[h]["main"] and opens[h]["bulk"] for h in opens)


@given(walls)
def test_without_its_own_schedule_a_queue_follows_the_global_one(wall: datetime) -> None:
    opens = queueing.open_queues(wall, WORK, {"night": NIGHT}, NAMES)
    assert opens["main"] == opens["bulk"] == WORK.open_at(wall)
    assert opens["night"] == NIGHT.open_at(wall)
    assert set(opens) == set(NAMES)


@given(walls)
def test_an_empty_own_schedule_is_always_open_whatever_the_global_one(wall: datetime) -> None:
    assert queueing.open_queues(wall, WORK, {"bulk": schedule.Timetable()}, NAMES)["bulk"]


@given(walls)
def test_a_queue_is_open_at_its_own_next_opening(wall: datetime) -> None:
    now = wall.replace(tzinfo=UTC).timestamp()
    opens = next_open_at(NIGHT, now, UTC)
    assert opens is not None and opens - now < timedelta(days=1).total_seconds()
    assert queueing.open_queues(schedule.local_time(opens, UTC), schedule.Timetable(), {"night": NIGHT},
                                NAMES)["night"]


def test_settings_keep_a_queue_schedule_and_write_it_back() -> None:
    raw = {"roots": ["/tmp"], "queues": {
        "night": {"max_concurrent": 2, "schedule": {"windows": [{"start": "02:00", "stop": "06:00"}]}},
        "bulk": {"max_concurrent": 1}}}
    settings = from_mapping(raw)
    assert settings.queue_limits == {"main": 3, "night": 2, "bulk": 1}
    assert settings.queue_schedules == {"night": NIGHT}
    written = to_raw(settings)["queues"]
    assert written["bulk"] == {"max_concurrent": 1}
    assert from_mapping({"roots": ["/tmp"], "queues": written}) == settings


@pytest.mark.parametrize("bad", [
    {"windows": [{"start": "25:00", "stop": "06:00"}]},
    {"windows": "02:00-06:00"},
    {"windows": [], "speeds": [{"start": "02:00", "stop": "06:00", "max_speed": "1M"}]},
])
def test_a_bad_queue_schedule_is_refused_naming_the_queue(bad: object) -> None:
    with pytest.raises(UsageError, match=r"queues\.night"):
        from_mapping({"roots": ["/tmp"], "queues": {"night": {"max_concurrent": 1, "schedule": bad}}})
