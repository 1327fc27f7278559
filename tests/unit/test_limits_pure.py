"""The service's limits: the global bucket that starts unlimited, the per-host budget, the
settings and the `limit` message. Pure (no sockets)."""

from __future__ import annotations

import math
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import ProtocolError, UsageError
from paxel.ratelimit import PACE_STEP, UNLIMITED, SpeedLimit, TokenBucket
from paxel.schema import validate_request
from paxel.service.limits import HostBudget, Limits
from paxel.service.settings import from_mapping


def test_unlimited_bucket_costs_nothing_until_given_a_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(UNLIMITED, clock=lambda: now[0])
    limit = SpeedLimit(None, bucket, clock=lambda: now[0])
    assert not limit.active and bucket.reserve(1 << 40) == 0.0 and bucket.read_size(1 << 20) == 1 << 20
    bucket.set_rate(1000)  # a global limit set while downloads run
    assert limit.active
    limit.reserve(100)  # the burst (16 KiB minimum) is spent first
    assert limit.reserve(20_000) == pytest.approx((100 + 20_000 - 16 * 1024) / 1000)
    bucket.set_rate(UNLIMITED)
    assert not limit.active and bucket.reserve(10**9) == 0.0


@given(st.lists(st.tuples(st.integers(1, 1 << 20), st.floats(0, 2)), min_size=1, max_size=50),
       st.floats(1e3, 1e8))
def test_charged_before_reading_never_lets_more_through_than_rate_and_burst(
        reads: list[tuple[int, float]], rate: float) -> None:
    """Whatever the read sizes and pauses, bytes released by time t ≤ burst + rate·t."""
    now = [0.0]
    bucket = TokenBucket(rate, clock=lambda: now[0])
    released = 0
    for size, pause in reads:
        now[0] += pause
        now[0] += bucket.reserve(size)  # the caller waits, then reads
        released += size
        assert released <= bucket.burst + rate * now[0] + 1e-6 * released


def test_lowering_the_rate_keeps_a_debt_of_at_most_a_second() -> None:
    now = [0.0]
    bucket = TokenBucket(1 << 20, clock=lambda: now[0])
    bucket.reserve(10 << 20)
    bucket.set_rate(1 << 20)
    assert bucket.reserve(0) <= 1.0 + 1e-9


@given(st.integers(1, 16), st.lists(st.tuples(st.sampled_from(["a", "B", "c"]), st.integers(1, 32),
                                              st.booleans()), max_size=60))
def test_host_budget_never_hands_out_more_than_the_cap(cap: int, steps: list[tuple[str, int, bool]]) -> None:
    budget = HostBudget(cap)
    held: dict[str, list[int]] = {}
    for host, want, give_back in steps:
        url = f"http://{host}.example/x"
        mine = held.setdefault(host.lower(), [])
        if give_back and mine:
            budget.give(url, mine.pop())
            continue
        got = budget.take(url, want)
        assert 0 <= got <= want
        if got:
            mine.append(got)
        assert sum(mine) <= cap
        assert got or sum(mine) == cap or sum(mine) + want > cap


def test_no_cap_grants_everything_and_still_counts() -> None:
    budget = HostBudget(None)
    assert budget.take("http://h/x", 32) == 32
    budget.set_cap(8)   # a cap set later sees what already runs
    assert budget.take("http://h/x", 1) == 0


@given(st.integers(1, 8), st.integers(1, 8), st.lists(st.integers(1, 8), min_size=1, max_size=6))
def test_a_changed_cap_is_reached_by_giving_back_down_to_one_each(before: int, after: int,
                                                                  wants: list[int]) -> None:
    """Downloads hold slots under `before`; the cap becomes `after` and each gives one back while
    the host is over it, never its last (engine.coordinator.shed_over_cap)."""
    limits = Limits(None, before)
    slots, url = limits.slots, "http://h.test/f"
    held = [slots.acquire(url, want, at_least=0) for want in wants]
    limits.set_host_cap(after)
    assert limits.hosts.per_host == slots.per_host == after
    changed = True
    while changed:
        changed = False
        for i, n in enumerate(held):
            if n > 1 and slots.give_back(url):
                held[i], changed = n - 1, True
    total = sum(held)
    assert total == slots.in_use(url)
    assert total <= after or all(n <= 1 for n in held)
    assert total <= max(after, sum(1 for n in held if n))
    assert slots.acquire(url, 8, at_least=0) == max(0, min(8, after - total))


def test_settings_speeds_and_cap() -> None:
    base = {"roots": ["/tmp"]}
    s = from_mapping({**base, "max_speed": "8M", "max_connections_per_host": 6})
    assert s.max_speed == 8 << 20 and s.max_connections_per_host == 6
    assert from_mapping({**base, "max_speed": 1000}).max_speed == 1000
    assert from_mapping(base).max_speed is None and from_mapping(base).max_connections_per_host is None
    for bad in ({"max_speed": "fast"}, {"max_speed": 0}, {"max_speed": True},
                {"max_connections_per_host": 0}, {"max_connections_per_host": "4"}):
        with pytest.raises(UsageError):
            from_mapping({**base, **bad})


def test_limit_message() -> None:
    ok = validate_request({"id": 1, "type": "limit", "download_id": "d-1", "max_speed": 2 << 20})
    assert ok.fields == {"download_id": "d-1", "max_speed": 2 << 20}
    assert validate_request({"id": 1, "type": "limit", "max_speed": None}).fields == {"max_speed": None}
    for bad in ({}, {"max_speed": 0}, {"max_speed": 1.5}, {"max_speed": "2M"}, {"max_speed": True},
                {"max_speed": 1 << 41}, {"max_speed": 5, "download_id": 7}):
        with pytest.raises(ProtocolError):
            validate_request({"id": 1, "type": "limit", **bad})
    assert math.isinf(UNLIMITED)


def test_time_of_day_speed_replaces_the_global_limit_while_it_holds() -> None:
    from datetime import datetime

    from paxel.service.schedule import parse

    wall = [datetime(2026, 11, 30, 8, 0).timestamp()]  # a Monday
    table = parse({"speeds": [{"start": "09:00", "stop": "18:00", "days": ["mon"], "max_speed": "1M"}],
                   "windows": [{"start": "00:00", "stop": "00:00", "days": ["mon"]}]})
    limits = Limits(8 << 20, None, table, clock=lambda: wall[0])
    assert limits.check() and limits.global_speed == 8 << 20
    wall[0] = datetime(2026, 11, 30, 12, 0).timestamp()  # asleep from 08:00 to 12:00
    assert limits.check() and limits.global_speed == 1 << 20
    limits.set_global_speed(None)  # by hand: the default changes, the rule still holds
    assert limits.global_speed == 1 << 20
    wall[0] = datetime(2026, 12, 1, 12, 0).timestamp()  # Tuesday: no window, no rule
    assert not limits.check() and limits.global_speed is None


def test_a_wait_owed_at_one_byte_per_second_ends_when_the_limit_is_lifted() -> None:
    """`reserve` at 1 B/s asks for hours; `pace` looks again as it waits (paxel limit ID off)."""
    limit = SpeedLimit(1)
    limit.reserve(16 * 1024)  # the burst
    delay = limit.reserve(4096)
    assert delay > 4000
    stop = threading.Event()
    threading.Timer(0.3, limit.set_rate, (None,)).start()
    began = time.monotonic()
    assert limit.pace(delay, stop) is False
    assert time.monotonic() - began < 0.3 + 2 * PACE_STEP + 0.5


def test_a_wait_ends_at_once_when_stopped_and_after_its_delay_otherwise() -> None:
    limit = SpeedLimit(1 << 20)
    limit.reserve(limit.read_size(1 << 20) * 3)
    delay = limit.reserve(1 << 16)
    began = time.monotonic()
    assert limit.pace(delay, threading.Event()) is False
    assert time.monotonic() - began >= delay - 0.01
    stop = threading.Event()
    stop.set()
    assert limit.pace(limit.reserve(1 << 20), stop) is True


def test_the_per_host_cap_sees_one_host_through_case_port_and_a_trailing_dot() -> None:
    """`example.com.` (the absolute form of the name) is the same server as `example.com`: a
    link written with the dot must not get a second cap's worth of connections."""
    budget = HostBudget(2)
    assert budget.take("http://Example.COM./a.bin", 2) == 2
    for other in ("http://example.com/b.bin", "https://EXAMPLE.com:8443/c.bin", "http://example.com./d"):
        assert budget.take(other, 2) == 0, other
    budget.give("http://example.com/a.bin", 2)
    assert budget.take("http://example.com./e.bin", 3) == 2
