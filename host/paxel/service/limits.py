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

The cap changes while the service runs (`Limits.set_host_cap`, the `settings` request). Both
halves count with no cap too, so a cap set later sees what already runs. Lowered: the scheduler
starts nothing more on the host until its grants are below the new cap (a download's grant
counts until it ends), and each running download gives connections back at once, down to one
(engine.coordinator.shed_over_cap). Raised: queued downloads start on the new room at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import tzinfo

from paxel.engine import HostSlots
from paxel.ratelimit import UNLIMITED, TokenBucket
from paxel.service.schedule import Timetable, local_time


class HostBudget:
    """Connections per host (by name, lower case) handed out by the scheduler; None: no cap.
    The engine's HostSlots counter with no minimum grant: a full host starts nothing."""

    def __init__(self, per_host: int | None) -> None:
        self._slots = HostSlots(per_host)

    @property
    def per_host(self) -> int | None:
        return self._slots.per_host

    def set_cap(self, per_host: int | None) -> None:
        self._slots.set_cap(per_host)

    def take(self, url: str, want: int) -> int:
        """Up to `want` connections for `url`'s host; 0 when the host has none left."""
        return self._slots.acquire(url, want, at_least=0)

    def give(self, url: str, n: int) -> None:
        if n > 0:
            self._slots.release(url, n)


class Limits:
    """The global bucket, the host budget and the engine's HostSlots, made from the settings;
    and the schedule (paxel.service.schedule) read on the wall clock `clock` at every `check`.

    The global limit set by hand (settings `max_speed`, `paxel limit --global`) is the default;
    a time-of-day speed rule replaces it while its window holds."""

    def __init__(self, max_speed: int | None, per_host: int | None, timetable: Timetable | None = None,
                 clock: Callable[[], float] = time.time, zone: tzinfo | None = None) -> None:
        self.bucket = TokenBucket(max_speed or UNLIMITED)
        self.hosts = HostBudget(per_host)
        self.slots = HostSlots(per_host)
        self.timetable = timetable or Timetable()
        self.clock, self.zone = clock, zone
        self._base = max_speed
        self._lock = threading.Lock()

    @property
    def scheduled(self) -> bool:
        """Is there a schedule to read again and again?"""
        return bool(self.timetable.windows or self.timetable.speeds)

    @property
    def global_speed(self) -> int | None:
        return None if self.bucket.unlimited else int(self.bucket.rate)

    def set_global_speed(self, rate: int | None) -> None:
        with self._lock:
            self._base = rate
        self.check()

    def set_host_cap(self, per_host: int | None) -> None:
        """A new per-host cap (None: none) for the scheduler and the engine at once."""
        self.hosts.set_cap(per_host)
        self.slots.set_cap(per_host)

    def check(self) -> bool:
        """Apply the speed the schedule gives for now; True when the queue may start downloads."""
        wall = local_time(self.clock(), self.zone)
        with self._lock:
            rate = self.timetable.speed_at(wall, self._base)
            if (rate or UNLIMITED) != self.bucket.rate:
                self.bucket.set_rate(rate or UNLIMITED)
        return self.timetable.open_at(wall)


__all__ = ["HostBudget", "Limits"]
