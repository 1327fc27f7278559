"""A deadline over a reply's status line and headers as a whole.

The transport's read timeout counts per socket read, and the speed floor (paxel.lowspeed) only
watches body bytes: a server or middlebox that sends one header byte every few seconds would
hold a connection (and with one connection the whole download, a probe, a take) forever. Here
one thread for the whole process (not one per connection) keeps the sockets whose answer is
being read, ordered by deadline, and shuts down the one whose headers are late; the reading
thread then fails or sees a cut answer, and the transport, seeing `Late.fired`, reports it.

Imported with the first transport: it imports urllib3 (requests only for `watched_adapter`,
which paxel.transport's requests-based transport alone uses; see paxel.transport).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import http.client
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
import urllib3.connection
import urllib3.response

from paxel.hangup import attach, shut

if TYPE_CHECKING:
    import requests.adapters

_current = threading.local()   # the Late of the request this thread is making, if any


@dataclass
class Late:
    """One request's header deadline; `fired` once its socket was shut down for lateness."""

    seconds: float
    fired: bool = False


@contextlib.contextmanager
def armed(late: Late) -> Iterator[Late]:
    """Requests made by this thread inside the block get `late`'s deadline for their headers
    (one transport per thread: the connection classes below read it from here)."""
    _current.late = late
    try:
        yield late
    finally:
        _current.late = None


@dataclass(eq=False)
class _Entry:
    sock: Any
    late: Late
    done: bool = False


class _Watchdog:
    """Shuts down each armed socket still unanswered at its deadline; sleeps on a Condition
    until the nearest deadline or a new one (no polling). Disarmed entries leave the heap when
    they come to its top."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, _Entry]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, sock: Any, late: Late) -> _Entry:
        entry = _Entry(sock, late)
        with self._cond:
            heapq.heappush(self._due, (time.monotonic() + late.seconds, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paxel-header-deadline",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def disarm(self, entry: _Entry) -> None:
        with self._cond:   # under the lock: a socket is never shut after its headers are in
            entry.done = True

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._due and self._due[0][2].done:
                    heapq.heappop(self._due)
                if not self._due:
                    self._cond.wait()
                    continue
                left = self._due[0][0] - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                entry = heapq.heappop(self._due)[2]
                entry.done = entry.late.fired = True
                shut(entry.sock)


WATCHDOG = _Watchdog()


def _watched(sock: Any, read: Callable[[], urllib3.response.HTTPResponse]) -> urllib3.response.HTTPResponse:
    late: Late | None = getattr(_current, "late", None)
    if late is None or sock is None:
        return read()
    entry = WATCHDOG.arm(sock, late)
    try:
        return read()
    finally:
        WATCHDOG.disarm(entry)


class _Response(http.client.HTTPResponse):
    """http.client's response that also passes over interim 1xx replies (103 Early Hints, 102
    Processing) as it does 100 Continue: otherwise the 103 would be the answer, with the real
    206 left unread on the connection (curl and browsers skip them)."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            status: tuple[str, int, str] = super()._read_status()  # type: ignore[misc]
            if not 100 <= status[1] < 200 or status[1] == 101:   # 101 switches protocols: an answer
                return status
            http.client._read_headers(self.fp)  # type: ignore[attr-defined]


class _HTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _Response

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        attach(sock)   # from here a hang-up (paxel.hangup) ends the TLS handshake and the request
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        attach(self.sock)   # (a kept-alive connection's socket was not made for this request)
        return _watched(self.sock, super().getresponse)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _Response

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        attach(sock)   # from here a hang-up (paxel.hangup) ends the TLS handshake and the request
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        attach(self.sock)   # (a kept-alive connection's socket was not made for this request)
        return _watched(self.sock, super().getresponse)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}


def watched_adapter() -> requests.adapters.HTTPAdapter:
    """requests' adapter with connections whose header phase the watchdog guards (direct and
    through an HTTP(S) proxy; a SOCKS proxy keeps its own connection classes, unguarded)."""
    return _adapter_class()()


@functools.cache
def _adapter_class() -> type[requests.adapters.HTTPAdapter]:
    import requests.adapters

    class WatchedAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = POOLS

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:
            manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **kwargs)
            if isinstance(manager, urllib3.ProxyManager):
                manager.pool_classes_by_scheme = POOLS
            return manager

    return WatchedAdapter
