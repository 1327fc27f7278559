"""Who tells the user a download completed or failed: exactly one notification per outcome.

Every connected browser gets every event, and the service could notify the desktop too; left to
themselves, two browsers and the desktop would all pop up (issue 12). The service decides: the
browser that started the download when it is still connected, else the desktop. The event then
carries `notify: true` to that one client only (false to the others); the desktop notifies only
when no client was chosen. The starter is remembered per service run (a restarted service does
not know it: the desktop announces).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Protocol, TypeVar

BROWSER_PREFIXES = ("chrome-extension://", "firefox:")  # client names the native host gives


class Named(Protocol):
    name: str


C = TypeVar("C", bound=Named)


def can_notify(client: Named) -> bool:
    """A browser extension can show a notification; the CLI and the panel cannot."""
    return client.name.startswith(BROWSER_PREFIXES)


def announcer(starter: C | None, connected: Collection[C]) -> C | None:
    """The client that shows the notification, or None: the desktop does. Pure."""
    if starter is not None and starter in connected and can_notify(starter):
        return starter
    return None


class Starters:
    """Which client started each download (thread-safe: handlers and the scheduler call it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_download: dict[str, Named] = {}

    def note(self, download_id: str, client: Named) -> None:
        with self._lock:
            self._by_download[download_id] = client

    def get(self, download_id: str) -> Named | None:
        with self._lock:
            return self._by_download.get(download_id)

    def forget(self, download_id: str) -> None:
        with self._lock:
            self._by_download.pop(download_id, None)


__all__ = ["BROWSER_PREFIXES", "Starters", "announcer", "can_notify"]
