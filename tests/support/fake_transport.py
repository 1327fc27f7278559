"""A scripted, in-process stand-in for paxel.transport, for fast unit tests of the engine's
restart, retry and integrity logic (the nginx and fault-server tests stay the end-to-end proof).

`FakeServer(content)` answers GETs the way a correct server would (206 for a Range, If-Range
honoured, ETag and Last-Modified), except where its script says otherwise: `script(n, request)`
is asked for every request (n counts from 0 over all connections) and may return a `Step` that
changes that one answer. `server.factory` goes into DownloadOptions.transport_factory.
"""

from __future__ import annotations

import gzip
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from paxel.errors import NetworkError


@dataclass(frozen=True)
class Request:
    url: str
    first: int | None
    last: int | None
    if_range: str | None
    headers: Mapping[str, str]
    fresh: bool = False                # asked on a new TCP connection
    conn: int = 0                      # which FakeTransport (one per connection worker) asked


@dataclass(frozen=True)
class Step:
    status: int | None = None          # answer this status with an empty body (e.g. 503, 404)
    retry_after: str | None = None
    drop_after: int | None = None      # the connection drops after this many body bytes
    encoding: str | None = None        # gzip the body and say so (ignoring identity)
    ignore_range: bool = False         # 200 with the whole body
    shift: int = 0                     # serve the range shifted by this many bytes (honest Content-Range)
    trickle: float | None = None       # one byte per read, each after this many seconds


@dataclass
class FakeServer:
    content: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = "Tue, 14 Nov 2023 22:13:20 GMT"
    script: Callable[[int, Request], Step | None] = lambda n, r: None
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def change(self, content: bytes, etag: str) -> None:
        """The file on the server is replaced from now on."""
        with self.lock:
            self.content, self.etag = content, etag

    def factory(self, options: object) -> FakeTransport:
        headers = dict(getattr(options, "headers", {}) or {})
        return FakeTransport(self, headers)

    def answer(self, req: Request) -> FakeReply:
        with self.lock:
            n = len(self.requests)
            self.requests.append(req)
            content, etag, modified = self.content, self.etag, self.last_modified
        step = self.script(n, req) or Step()
        headers: dict[str, str] = {}
        if etag:
            headers["ETag"] = etag
        if modified:
            headers["Last-Modified"] = modified
        if step.status is not None:
            if step.retry_after:
                headers["Retry-After"] = step.retry_after
            return FakeReply(req.url, step.status, headers, b"", None)
        size = len(content)
        stale = req.if_range is not None and req.if_range not in (etag, modified)
        if req.first is None or step.ignore_range or stale:
            status, body = 200, content
        else:
            if req.first >= size:
                headers["Content-Range"] = f"bytes */{size}"
                return FakeReply(req.url, 416, headers, b"", None)
            first = max(0, min(size - 1, req.first + step.shift))
            end = size if req.last is None else min(size, req.last + 1 + step.shift)
            status, body = 206, content[first:end]
            headers["Content-Range"] = f"bytes {first}-{end - 1}/{size}"
        if step.encoding:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = step.encoding
        headers["Content-Length"] = str(len(body))
        return FakeReply(req.url, status, headers, body, step.drop_after, step.trickle)


class FakeReply:
    def __init__(self, url: str, status: int, headers: Mapping[str, str], body: bytes,
                 drop_after: int | None, trickle: float | None = None) -> None:
        self.url, self.status, self.headers = url, status, headers
        self.body_end: int | None = None
        self._body, self._at, self._drop = body, 0, drop_after
        self._trickle = trickle
        self._aborted = threading.Event()
        self.closed = False

    def readinto(self, buf: memoryview) -> int:
        if self._aborted.is_set():
            raise NetworkError(f"connection to {self.url} aborted")
        end = len(self._body) if self._drop is None else min(len(self._body), self._drop)
        if self._at >= end and end < len(self._body):
            raise NetworkError(f"connection lost while reading {self.url}: dropped (scripted)")
        if self._trickle is not None and end > self._at:
            if self._aborted.wait(self._trickle):
                raise NetworkError(f"connection to {self.url} aborted")
            end = self._at + 1
        n = min(len(buf), end - self._at)
        buf[:n] = self._body[self._at:self._at + n]
        self._at += n
        return n

    def close(self, *, reusable: bool = False) -> None:
        self.closed = True

    def abort(self) -> None:
        self._aborted.set()


_TRANSPORTS = itertools.count(1)


class FakeTransport:
    def __init__(self, server: FakeServer, headers: Mapping[str, str]) -> None:
        self.server, self.headers = server, headers
        self.number = next(_TRANSPORTS)

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None, *, fresh: bool = False) -> FakeReply:
        return self.server.answer(Request(url, first, last, if_range, self.headers, fresh, self.number))

    def abort(self) -> None:
        """(Nothing blocks here: a scripted answer comes at once.)"""

    def close(self) -> None:
        pass
