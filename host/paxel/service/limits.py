"""The service's limits over all downloads: the global speed bucket and the per-host connection cap.

One `Limits` lives in the scheduler. Every download it starts gets the same global bucket
(`DownloadOptions.shared_limit`), unlimited (`math.inf`) unless a limit is set, so a global limit
set or changed later applies at once to downloads already running. A download's own limit is
its `Download.set_max_speed`.

The per-host cap (`max_connections_per_host`) has two halves. The scheduler starts a download
only when its host has connections left in `HostBudget`, and gives it at most that many, so two
downloads from one host never hold more than the cap together, not even for a moment at their
start (the engine's `HostSlots` always grants a starting download one connection, which would
exceed it). The engine's `HostSlots` gets the same cap: it also covers hosts reached through a
redirect, which the scheduler cannot know before the first request.
"""

from __future__ import annotations

import threading

from paxel.engine import HostSlots
from paxel.ratelimit import UNLIMITED, TokenBucket


class HostBudget:
    """Connections per host (by name, lower case) handed out by the scheduler; None: no cap."""

    def __init__(self, per_host: int | None) -> None:
        self.per_host = per_host
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, url: str, want: int) -> int:
        """Up to `want` connections for `url`'s host; 0 when the host has none left."""
        if self.per_host is None:
            return want
        host = HostSlots.host(url)
        with self._lock:
            used = self._used.get(host, 0)
            granted = max(0, min(want, self.per_host - used))
            if granted:
                self._used[host] = used + granted
            return granted

    def give(self, url: str, n: int) -> None:
        if self.per_host is None or n <= 0:
            return
        host = HostSlots.host(url)
        with self._lock:
            left = self._used.get(host, 0) - n
            if left > 0:
                self._used[host] = left
            else:
                self._used.pop(host, None)


class Limits:
    """The global bucket, the host budget and the engine's HostSlots, made from the settings."""

    def __init__(self, max_speed: int | None, per_host: int | None) -> None:
        self.bucket = TokenBucket(max_speed or UNLIMITED)
        self.hosts = HostBudget(per_host)
        self.slots = HostSlots(per_host) if per_host is not None else None

    @property
    def global_speed(self) -> int | None:
        return None if self.bucket.unlimited else int(self.bucket.rate)

    def set_global_speed(self, rate: int | None) -> None:
        self.bucket.set_rate(rate or UNLIMITED)


__all__ = ["HostBudget", "Limits"]
