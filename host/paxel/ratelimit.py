"""Speed limits: a token bucket shared by all connections of a download (`--max-speed`), whose
rate may change while it runs, and `SpeedLimit`, which combines a download's own bucket with one
shared by several downloads (a global limit)."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
# bytes/s: far beyond any link, small enough for a float and every JSON reader; a larger number
# (JSON allows any) would raise OverflowError where a bucket takes it as a float
MAX_RATE = 1 << 40


def parse_rate(text: str) -> int:
    """`500K`, `2M`, `1.5G`, `123` (bytes/s, binary units, optional trailing B or /s) -> bytes/s."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:I?B)?(?:/S)?\s*", text.upper())
    rate = float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0  # 400 digits: inf, no error
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"not a speed: {text!r} (examples: 500K, 2M, 1G)")
    return max(1, int(rate))


class TokenBucket:
    """Bytes may be taken at `rate` per second on average, with at most `burst` saved up.

    `reserve(n)` charges n bytes and returns how long the caller must wait before reading them
    (a debt). Callers charge *before* a read, in steps of `read_size`: a bucket charged after
    large reads lets every connection's read in flight through unpaced, which over a 4-s window
    overshoots by several reads per connection.

    `rate` may be `math.inf` (UNLIMITED): a global bucket every download holds from its start,
    so a global limit set later applies to downloads already running.
    """

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive (math.inf: unlimited)")
        self.rate = float(rate)
        self.burst = burst if burst is not None else _burst(self.rate)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return math.isinf(self.rate)

    def _refill(self, now: float) -> None:
        if not self.unlimited:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def set_rate(self, rate: float) -> None:
        """A new rate from now on (bytes saved up so far were earned at the old one; a debt is
        kept, so lowering the rate never lets a burst through)."""
        if not rate > 0:
            raise ValueError("rate must be positive (math.inf: unlimited)")
        with self._lock:
            self._refill(self._clock())
            self.rate = float(rate)
            self.burst = _burst(self.rate)
            self._tokens = self.burst if self.unlimited else min(max(self._tokens, -self.rate),
                                                                  self.burst)

    def reserve(self, n: int) -> float:
        with self._lock:
            if self.unlimited:
                return 0.0
            self._refill(self._clock())
            self._tokens -= n
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def owed(self) -> float:
        """Seconds until the bucket's whole debt is paid at the rate now (0: none). A reader's own
        wait is never longer while the rate stays: every later reservation only adds to it."""
        with self._lock:
            if self.unlimited:
                return 0.0
            self._refill(self._clock())
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def read_size(self, default: int) -> int:
        """A read size giving about 20 pacing steps per second at this rate."""
        if self.unlimited:
            return default
        return max(4096, min(default, int(self.rate / 20)))


UNLIMITED = math.inf
# a reader waiting on the bucket looks again this often whether the limit changed: a wait computed
# at 1 B/s lasts hours, and `paxel limit ID off` must take effect within a second
PACE_STEP = 0.2


def _burst(rate: float) -> float:
    """Bytes that may be saved up: 0.1 s at the rate (so a 4-s window overshoots by at most 2.5 %)."""
    return math.inf if math.isinf(rate) else max(rate / 10, 16 * 1024)


class SpeedLimit:
    """What one download's connections are paced by: its own limit (None: unlimited; changeable
    while running with `set_rate`) and optionally a bucket shared with other downloads. A read
    waits for whichever is further behind."""

    def __init__(self, rate: float | None = None, shared: TokenBucket | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._own = TokenBucket(rate, clock=clock) if rate else None
        self._shared = shared
        self._lock = threading.Lock()

    def set_rate(self, rate: float | None) -> None:
        with self._lock:
            if not rate:
                self._own = None
            elif self._own is None:
                self._own = TokenBucket(rate, clock=self._clock)
            else:
                self._own.set_rate(rate)

    @property
    def rate(self) -> float | None:
        own = self._own
        return own.rate if own is not None else None

    def _buckets(self) -> list[TokenBucket]:
        own = self._own
        return [b for b in (own, self._shared) if b is not None and not b.unlimited]

    @property
    def active(self) -> bool:
        return bool(self._buckets())

    def reserve(self, n: int) -> float:
        return max((b.reserve(n) for b in self._buckets()), default=0.0)

    def read_size(self, default: int) -> int:
        return min((b.read_size(default) for b in self._buckets()), default=default)

    def pace(self, delay: float, stop: threading.Event) -> bool:
        """Wait the `delay` `reserve` asked for, or less when the limits changed meanwhile (raised,
        lifted, or lowered: `set_rate` keeps at most a second of debt); True when `stop` was set.
        Waits in steps of PACE_STEP and ends once no active bucket is owed anything more."""
        end = time.monotonic() + delay
        while True:
            left = min(end - time.monotonic(), max((b.owed() for b in self._buckets()), default=0.0))
            if left <= 0:
                return False
            if stop.wait(min(left, PACE_STEP)):
                return True
