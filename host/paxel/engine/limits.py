"""Connections per host, shared by every download of a process (a small registry object).

The service makes one `HostSlots` and passes it to every download in DownloadOptions.host_slots;
each download takes slots for its connections when it starts them and gives them back as they
end. `acquire` grants at least `at_least`: a segmented download asks with 0 and, given none (a
redirect brought it to a host other downloads use up to the cap), waits for one
(Download._wait_for_host); a media job still gets its first connection past the cap.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit


class HostSlots:
    """At most `per_host` connections to one host (by name: `host`), across downloads."""

    def __init__(self, per_host: int) -> None:
        if per_host < 1:
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
            granted = max(at_least, min(want, self.per_host - used))
            if granted:
                self._used[host] = used + granted
            return granted

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
