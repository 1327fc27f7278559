"""The service's door: connections wait here, all on one thread, until they authenticate.

On the TCP transport anyone on the machine can connect; only this user can authenticate. So
until a connection has sent a valid `auth` it costs no thread: the serving thread multiplexes
the listening socket and every unauthenticated connection with a selector, and
- greets each one on `tcp` (the service's proof, see paxel.service.ipc) without blocking;
- reads at most one small frame (MAX_AUTH_FRAME) from each;
- hangs up on a connection that has not authenticated within AUTH_DEADLINE seconds;
- holds at most MAX_UNAUTHENTICATED: one more evicts the oldest (a real client authenticates
  within milliseconds of connecting, an idle one is what gets evicted);
- answers a first frame that is not the right `auth` with its error reply and hangs up;
- hands a connection that authenticated, with any bytes it sent after `auth`, to `admit`;
- calls `tick` about every TICK seconds (the service checks its secret and endpoint there).
Nothing here raises out of `run` for one connection's sake; a signal handler's exception does.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import selectors
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paxel import deadlines
from paxel.errors import ErrorCode, PaxelError
from paxel.protocol import decode_body, encode_frame, reply_error
from paxel.schema import Request, request_id_of, validate_request

log = logging.getLogger(__name__)
AUTH_DEADLINE = deadlines.seconds("AUTH_DEADLINE", 5.0)
MAX_UNAUTHENTICATED = 64
MAX_AUTH_FRAME = 4096  # an `auth` frame is ~110 bytes
TICK = 1.0
_HEADER = struct.Struct("=I")

Check = Callable[[Request], None]  # raises PaxelError (UNAUTHORIZED) for a wrong `auth`
Admit = Callable[[socket.socket, Request, bytes], None]
Greet = Callable[[socket.socket], dict[str, Any]]


@dataclass
class _Waiting:
    sock: socket.socket
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)


class Gate:
    def __init__(self, server: socket.socket, check: Check, admit: Admit, greet: Greet | None,
                 tick: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._server = server
        self._check = check
        self._admit = admit
        self._greet = greet
        self._tick = tick
        self._next_tick = clock() + TICK
        self._clock = clock
        self._waiting: dict[socket.socket, _Waiting] = {}  # insertion order: oldest first
        self._selector = selectors.DefaultSelector()

    def run(self) -> None:
        """Serve until an exception (SIGTERM's) leaves; `close` afterwards."""
        self._selector.register(self._server, selectors.EVENT_READ)
        while True:
            for key, _ in self._selector.select(self._next_timeout()):
                if key.fileobj is self._server:
                    self._accept()
                    continue
                waiting = self._waiting.get(key.fileobj)  # type: ignore[call-overload]
                if waiting is not None:  # not evicted by an accept earlier in this same batch
                    self._read(waiting)
            self._expire()
            if self._clock() >= self._next_tick:
                self._next_tick = self._clock() + TICK
                self._tick()  # its exceptions are the service's (a stop) and leave run()

    def close(self) -> None:
        for sock in list(self._waiting):
            self._drop(sock)
        self._selector.close()

    def _next_timeout(self) -> float:
        due = self._next_tick
        if self._waiting:
            due = min(due, next(iter(self._waiting.values())).deadline)
        return max(0.0, due - self._clock())

    def _accept(self) -> None:
        try:
            sock, _ = self._server.accept()
        except OSError as exc:  # EMFILE and friends: make room rather than spin
            log.warning("cannot accept a connection: %s", exc)
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM) and self._waiting:
                self._drop(next(iter(self._waiting)))
            else:
                time.sleep(0.05)
            return
        if len(self._waiting) >= MAX_UNAUTHENTICATED:
            self._drop(next(iter(self._waiting)))
        try:
            sock.setblocking(False)
            greeted = self._greet is None or self._send(sock, self._greet(sock))
        except OSError:  # gone already (getpeername fails on a reset connection)
            greeted = False
        if not greeted:
            sock.close()
            return
        self._waiting[sock] = _Waiting(sock, self._clock() + AUTH_DEADLINE)
        self._selector.register(sock, selectors.EVENT_READ)

    def _read(self, waiting: _Waiting) -> None:
        try:
            chunk = waiting.sock.recv(MAX_AUTH_FRAME)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(waiting.sock)
            return
        waiting.buffer += chunk
        if len(waiting.buffer) < _HEADER.size:
            return
        (length,) = _HEADER.unpack_from(waiting.buffer)
        if length > MAX_AUTH_FRAME:
            self._refuse(waiting.sock, None, PaxelError(
                f"authenticate first (a frame of {length} bytes is no `auth`)", code=ErrorCode.UNAUTHORIZED))
            return
        end = _HEADER.size + length
        if len(waiting.buffer) < end:
            return
        body, rest = bytes(waiting.buffer[_HEADER.size:end]), bytes(waiting.buffer[end:])
        message: dict[str, Any] | None = None
        try:
            message = decode_body(body)
            request = validate_request(message)
            self._check(request)
        except PaxelError as exc:
            self._refuse(waiting.sock, request_id_of(message) if message else None, exc)
            return
        self._forget(waiting.sock)
        try:
            waiting.sock.setblocking(True)
            self._admit(waiting.sock, request, rest)
        except Exception:  # never let one connection take the door down
            log.exception("could not admit an authenticated client")
            _close(waiting.sock)

    def _expire(self) -> None:
        now = self._clock()
        while self._waiting:
            oldest = next(iter(self._waiting.values()))
            if oldest.deadline > now:
                return
            self._drop(oldest.sock)

    def _refuse(self, sock: socket.socket, request_id: Any, error: PaxelError) -> None:
        log.warning("refused a client: %s", error.message)
        self._send(sock, reply_error(request_id, error))
        self._drop(sock)

    @staticmethod
    def _send(sock: socket.socket, message: dict[str, Any]) -> bool:
        """Best effort without blocking: a fresh connection's send buffer takes a small frame."""
        frame = encode_frame(message)
        try:
            return sock.send(frame) == len(frame)
        except OSError:
            return False

    def _forget(self, sock: socket.socket) -> None:
        self._waiting.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def _drop(self, sock: socket.socket) -> None:
        self._forget(sock)
        _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class PrefixedReader(io.RawIOBase):
    """A socket's byte stream with bytes already read from it (after `auth`) put back in front."""

    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self._prefix = memoryview(prefix)
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        return self._sock.recv_into(buffer)


__all__ = ["AUTH_DEADLINE", "MAX_AUTH_FRAME", "MAX_UNAUTHENTICATED", "Gate", "PrefixedReader"]
