"""Speed limits: a token bucket shared by all connections of a download (`--max-speed`), whose
rate may change while it runs, and `SpeedLimit`, which combines a download's own bucket with one
shared by several downloads (a global limit)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_rate(text: str) -> int:
    """`500K`, `2M`, `1.5G`, `123` (bytes/s, binary units, optional trailing B or /s) -> bytes/s."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:I?B)?(?:/S)?\s*", text.upper())
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"not a speed: {text!r} (examples: 500K, 2M, 1G)")
    return max(1, int(float(m.group(1)) * _UNITS[m.group(2)]))


class TokenBucket:
    """Bytes may be taken at `rate` per second on average, with at most `burst` saved up.

    `reserve(n)` charges n bytes now and returns how long the caller must wait before going on
    (a debt, so large reads are paced precisely without splitting them).
    """

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = burst if burst is not None else max(self.rate / 10, 16 * 1024)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def set_rate(self, rate: float) -> None:
        """A new rate from now on (bytes saved up so far were earned at the old one)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self.rate = float(rate)
            self.burst = max(self.rate / 10, 16 * 1024)
            self._tokens = min(self._tokens, self.burst)

    def reserve(self, n: int) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def read_size(self, default: int) -> int:
        """A read size giving about 10 pacing steps per second at this rate."""
        return max(4096, min(default, int(self.rate / 10)))


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
        return [b for b in (own, self._shared) if b is not None]

    @property
    def active(self) -> bool:
        return bool(self._buckets())

    def reserve(self, n: int) -> float:
        return max((b.reserve(n) for b in self._buckets()), default=0.0)

    def read_size(self, default: int) -> int:
        return min((b.read_size(default) for b in self._buckets()), default=default)
