"""The speed floor's decision (paxel.lowspeed): pure, driven with made-up clocks and byte counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.lowspeed import DEFAULT_FLOOR, SlowWatch, SpeedFloor

FLOOR = SpeedFloor(bytes_per_second=1000, seconds=10.0)


def feed(watch: SlowWatch, reads: list[tuple[float, int]]) -> float | None:
    """Feed (seconds since the last read, bytes) pairs; the time the watch said too slow."""
    now = 0.0
    for gap, n in reads:
        now += gap
        if watch.brought(now, n):
            return now
    return None


def test_defaults_are_one_kib_per_second_over_thirty_seconds() -> None:
    assert (DEFAULT_FLOOR.bytes_per_second, DEFAULT_FLOOR.seconds) == (1024, 30.0)


@pytest.mark.parametrize(("rate", "seconds"), [(0, 1.0), (-5, 1.0), (10, 0.0), (10, float("nan"))])
def test_a_floor_needs_a_positive_rate_and_window(rate: int, seconds: float) -> None:
    with pytest.raises(ValueError):
        SpeedFloor(rate, seconds)


def test_a_byte_per_second_is_too_slow_once_the_window_has_passed() -> None:
    watch = SlowWatch(FLOOR, 0.0)
    assert feed(watch, [(1.0, 1)] * 9) is None       # not judged before the window
    assert watch.brought(10.0, 1)


def test_time_spent_on_the_users_own_limit_does_not_count() -> None:
    watch = SlowWatch(FLOOR, 0.0)
    watch.waited(60.0)
    assert not watch.brought(65.0, 1)
    assert watch.brought(70.0, 1)


@given(rate=st.integers(1001, 10**7), gaps=st.lists(st.floats(0.001, 29.0), min_size=1, max_size=60))
def test_a_connection_above_the_floor_is_never_too_slow(rate: int, gaps: list[float]) -> None:
    """Reads at any spacing (up to a 29 s stall), each bringing what `rate` brings meanwhile."""
    watch = SlowWatch(FLOOR, 0.0)
    owed = 0.0
    now = 0.0
    for gap in gaps:
        now += gap
        owed += gap * rate
        n = int(owed)
        owed -= n
        assert not watch.brought(now, n), (now, n)


@given(rate=st.floats(0.0, 999.0), gaps=st.lists(st.floats(0.01, 5.0), min_size=1, max_size=200))
def test_a_connection_below_the_floor_is_caught_within_one_window_and_a_read(
        rate: float, gaps: list[float]) -> None:
    watch = SlowWatch(FLOOR, 0.0)
    now, owed, caught = 0.0, 0.0, None
    for gap in gaps:
        now += gap
        owed += gap * rate
        n = int(owed)
        owed -= n
        if watch.brought(now, n):
            caught = now
            break
    if caught is not None:
        assert caught >= FLOOR.seconds          # never before a whole window
    else:
        assert now < FLOOR.seconds              # the reads ended before a window passed
    if now - gaps[-1] >= FLOOR.seconds:
        assert caught is not None and caught <= FLOOR.seconds + max(gaps)


@given(reads=st.lists(st.tuples(st.floats(0.0, 50.0), st.integers(0, 50_000)), max_size=80))
def test_judged_slow_only_after_a_window_averaging_below_the_floor(reads: list[tuple[float, int]]) -> None:
    """Whatever the reads, a verdict comes only when some span of at least the window, ending
    now, averaged below the floor."""
    watch = SlowWatch(FLOOR, 0.0)
    history = [(0.0, 0)]
    now, total = 0.0, 0
    for gap, n in reads:
        now += gap
        total += n
        if watch.brought(now, n):
            assert any(now - t >= FLOOR.seconds and total - b < FLOOR.bytes_per_second * (now - t)
                       for t, b in history)
            return
        history.append((now, total))
