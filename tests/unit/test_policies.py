"""Retry schedule, the shared token bucket, speeds and checksums as written by users."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.checksum import parse_checksum
from paxel.ratelimit import SpeedLimit, TokenBucket, parse_rate
from paxel.retry import RetryPolicy, made_progress, retryable_status


def test_backoff_grows_is_capped_and_jittered() -> None:
    p = RetryPolicy(attempts=4, base=1.0, cap=5.0)
    assert [p.delay(n, 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert [p.delay(n, 0.999) for n in (1, 2, 3)] == pytest.approx([1.0, 2.0, 4.0], rel=0.01)
    assert p.delay(1, 0.5, retry_after=7) == 7
    assert p.delay(1, 0.5, retry_after=10_000) == p.max_retry_after
    assert not p.gives_up(3) and p.gives_up(4)
    assert retryable_status(503) and retryable_status(429) and not retryable_status(404)


def test_token_bucket_paces_to_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(1000, burst=100, clock=lambda: now[0])
    assert bucket.reserve(100) == 0.0
    assert bucket.reserve(500) == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.reserve(100) == pytest.approx(0.1)
    now[0] = 100.0                      # idle time saves at most `burst`
    assert bucket.reserve(200) == pytest.approx(0.1)   # 100 saved, 100 owed: 0.1 s
    assert bucket.read_size(1 << 20) == 4096


@pytest.mark.parametrize(("text", "rate"), [
    ("500K", 500 << 10), ("2M", 2 << 20), ("1.5G", int(1.5 * (1 << 30))),
    ("123", 123), ("2mb", 2 << 20), ("8MiB/s", 8 << 20)])
def test_parse_rate(text: str, rate: int) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "0", "-1M", "2T"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_parse_checksum() -> None:
    assert parse_checksum("SHA-256=" + "AB" * 32) == ("sha256", "ab" * 32)
    assert parse_checksum("md5=" + "0" * 32) == ("md5", "0" * 32)
    for bad in ("sha-256=abc", "crc32=0000", "sha-1", "sha-1=" + "g" * 40):
        with pytest.raises(ValueError):
            parse_checksum(bad)


# -- did a failed try make progress? (retry.made_progress) --------------------------------------


@pytest.mark.parametrize(("asked", "got", "progress"), [
    (512 * 1024, 250_000, True),          # an ordinary drop half way
    (512 * 1024, 64 * 1024, True),        # exactly 1/8
    (512 * 1024, 64 * 1024 - 1, False),   # less than 1/8: a server sending a few KiB each time
    (64 << 20, 1 << 20, True),            # a MiB is progress however much was asked
    (64 << 20, (1 << 20) - 1, False),
    (100, 13, True), (100, 12, True), (100, 11, False),
    (1, 1, True), (1000, 0, False), (0, 0, False),
])
def test_made_progress(asked: int, got: int, progress: bool) -> None:
    assert made_progress(asked, got) is progress


@given(st.integers(1, 1 << 40), st.integers(0, 1 << 40))
def test_progress_is_monotonic_in_bytes_got(asked: int, got: int) -> None:
    if made_progress(asked, got):
        assert made_progress(asked, got + 1)
    assert made_progress(asked, asked) and made_progress(asked, max(asked, 1 << 20))


# -- a rate that changes while running; a download's own limit with a shared one ------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_rate_changes_from_now_on() -> None:
    clock = _Clock()
    bucket = TokenBucket(1000, burst=0, clock=clock)
    assert bucket.reserve(1000) == pytest.approx(1.0)   # 1000 B at 1000 B/s: one second behind
    bucket.set_rate(4000)                                # from t=0 on, 4000 B/s
    clock.now = 1.0                                      # 4000 earned, 1000 of them owed
    assert bucket.reserve(4000) == pytest.approx(0.25)


def test_speed_limit_waits_for_the_bucket_further_behind() -> None:
    clock = _Clock()
    shared = TokenBucket(1000, burst=0, clock=clock)
    limit = SpeedLimit(None, shared, clock=clock)
    assert limit.active and limit.rate is None
    assert limit.reserve(500) == pytest.approx(0.5)
    limit.set_rate(100)                                   # own limit now stricter than the shared one
    assert limit.reserve(100) > 0.5
    limit.set_rate(None)
    assert limit.rate is None and SpeedLimit().reserve(10**9) == 0 and not SpeedLimit().active
