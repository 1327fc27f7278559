"""Connections per host, shared by every download of a process (a small registry object).

The service makes one `HostSlots` and passes it to every download in DownloadOptions.host_slots;
each download takes slots for its connections when it starts them and gives them back as they
end. `acquire` grants at least `at_least`: a segmented download asks with 0 and, given none (a
redirect brought it to a host other downloads use up to the cap), waits for one
(Download._wait_for_host); a media job still gets its first connection past the cap.

The cap may change while downloads run (`set_cap`, the service's `settings` request): new
connections obey it at once; a segmented download holding more than its share of a lowered cap
gives connections back through `give_back` (engine.coordinator.shed_over_cap), down to one.
`per_host` None is no cap: the slots are still counted, so a cap set later sees what runs.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit


class HostSlots:
    """At most `per_host` connections to one host (by name: `host`), across downloads."""

    def __init__(self, per_host: int | None) -> None:
        if per_host is not None and per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def host(url: str) -> str:
        """The server's name as the cap counts it: lower case, without the absolute form's
        trailing dot (`example.com.` is `example.com`), whatever the port."""
        return (urlsplit(url).hostname or "").lower().removesuffix(".")

    def acquire(self, url: str, want: int, at_least: int = 1) -> int:
        """Take up to `want` slots for `url`'s host at once (never waits); returns how many, at
        least `at_least`: 1 for a download (see the module docstring), 0 for the scheduler."""
        host = self.host(url)
        with self._lock:
            used = self._used.get(host, 0)
            free = want if self.per_host is None else self.per_host - used
            granted = max(at_least, min(want, free))
            if granted:
                self._used[host] = used + granted
            return granted

    def set_cap(self, per_host: int | None) -> None:
        """A new cap (None: none) for connections taken from now on; see `give_back`."""
        if per_host is not None and per_host < 1:
            raise ValueError("per_host must be at least 1")
        with self._lock:
            self.per_host = per_host

    def give_back(self, url: str) -> bool:
        """Release one of `url`'s host's slots if the host holds more than its cap (lowered
        meanwhile); True when one was released: its holder then ends one connection."""
        host = self.host(url)
        with self._lock:
            used = self._used.get(host, 0)
            if self.per_host is None or used <= self.per_host:
                return False
            self._used[host] = used - 1
            return True

    def release(self, url: str, n: int = 1) -> None:
        host = self.host(url)
        with self._lock:
            left = self._used.get(host, 0) - n
            if left > 0:
                self._used[host] = left
            else:
                self._used.pop(host, None)

    def in_use(self, url: str) -> int:
        with self._lock:
            return self._used.get(self.host(url), 0)
