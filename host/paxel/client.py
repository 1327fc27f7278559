"""A client of the paxel service: the native host, the CLI, the panel and `paxel doctor` use it.

    client = ServiceClient.connect("cli")          # starts the service detached if needed
    view = client.request("download", url=URL)["download"]
    for event in client.events(): ...              # or ServiceClient.connect(..., on_event=f)
    client.close()

One reader thread per client matches replies to waiting requests by id and hands events to
`on_event` (called on the reader thread) or to the queue behind `events()`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from paxel import paths
from paxel.errors import ErrorCode, PaxelError
from paxel.protocol import (
    MAX_MESSAGE,
    PROTOCOL_VERSION,
    encode_frame,
    error_from_reply,
    make_event,
    read_frame,
)
from paxel.service import detach, ipc

log = logging.getLogger(__name__)
EventHandler = Callable[[dict[str, Any]], None]
START_TIMEOUT = 10.0  # for a service to appear when none runs or is starting
BUSY_TIMEOUT = 60.0  # for a service that runs or is starting (holds its lock) but is slow to answer
EVENT_BACKLOG = 10_000  # events kept for a client that reads them late; older ones are dropped


def start_service() -> int:
    """Start `paxel service run` detached; returns its pid (it exits at once if one already runs)."""
    argv = [sys.executable, "-m", "paxel", "service", "run"]
    return detach.spawn(argv, paths.state_dir() / "service.out")


def _start_and_connect(address: ipc.Endpoint, timeout: float) -> socket.socket | None:
    """Start the service unless another client is doing so (then None: keep trying to connect).

    The start lock lets one client at a time start it, and that client holds the lock until the
    new service answers: a hundred clients at once start one service, not a hundred. Only the
    lock holder tests whether a service holds the service lock (starting, busy or stopping:
    wait, do not start another), and it stops testing once it started one, so the new service
    takes its lock undisturbed.
    """
    starting = ipc.ServiceLock(paths.runtime_dir() / "start.lock")
    if not starting.acquire():
        return None
    try:
        pid: int | None = None
        spawned_at = 0.0
        deadline = time.monotonic() + BUSY_TIMEOUT
        delay = 0.01
        while True:
            try:
                return ipc.connect(address)
            except OSError as exc:
                error = exc
            if pid is None and not ipc.ServiceLock().held_elsewhere():
                pid, spawned_at = start_service(), time.monotonic()
            elif pid is not None:
                _fail_if_service_died(pid)
            now = time.monotonic()
            if now > deadline or (pid is not None and now > spawned_at + timeout):
                raise PaxelError(f"the paxel service did not start within {timeout:.0f} s "
                                 f"({error.strerror or error}); see {paths.state_dir() / 'service.log'}",
                                 code=ErrorCode.SERVICE_UNAVAILABLE)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    finally:
        starting.release()


def _fail_if_service_died(pid: int) -> None:
    """A service that exited with an error (bad settings, unwritable dirs) will not come: say why.

    Exit status 0 means another service won the start-up race: keep waiting for that one.
    Windows cannot reap a detached child (no WNOHANG): there only the start timeout tells.
    """
    if not hasattr(os, "WNOHANG"):  # pragma: no cover - Windows
        return
    try:
        finished, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return
    if finished and os.waitstatus_to_exitcode(status) != 0:
        try:
            lines = (paths.state_dir() / "service.out").read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        reason = lines[-1] if lines else f"exit status {os.waitstatus_to_exitcode(status)}"
        raise PaxelError(f"the paxel service could not start: {reason}", code=ErrorCode.SERVICE_UNAVAILABLE)


class Pending:
    """A request sent to the service and not answered yet: `result()` waits for the reply, or
    `when_done(f)` has the reader thread call `f(pending)` once it came (or the connection died),
    so a relay needs no thread per request in flight."""

    def __init__(self, client: ServiceClient, own_id: int, caller_id: Any) -> None:
        self.done = threading.Event()
        self.reply: dict[str, Any] | None = None
        self._client = client
        self.own_id = own_id
        self._caller_id = caller_id
        self._callbacks: list[Callable[[Pending], None]] = []
        self._callbacks_lock = threading.Lock()

    def result(self, timeout: float | None = 60.0) -> dict[str, Any]:
        """The whole reply, carrying the caller's id again."""
        try:
            if not self.done.wait(timeout):
                raise PaxelError(f"no reply from the paxel service within {timeout} s",
                                 code=ErrorCode.SERVICE_UNAVAILABLE)
        finally:
            self._client._forget(self.own_id)
        return self.settled()

    def settled(self) -> dict[str, Any]:
        """The reply of a done request (caller's id again); PaxelError if the connection died."""
        if self.reply is None:
            raise PaxelError("the paxel service closed the connection", code=ErrorCode.SERVICE_UNAVAILABLE)
        return {**self.reply, "id": self._caller_id}

    def when_done(self, callback: Callable[[Pending], None]) -> None:
        """Call `callback(self)` once done: at once if it is, else on the client's reader thread."""
        with self._callbacks_lock:
            if not self.done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def _settle(self, reply: dict[str, Any] | None) -> None:
        with self._callbacks_lock:
            if self.done.is_set():
                return
            self.reply = reply
            self.done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # a callback's bug must not kill the reader
                log.exception("reply callback failed")


class ServiceClient:
    def __init__(self, sock: socket.socket, on_event: EventHandler | None) -> None:
        self._sock = sock
        self._stream = sock.makefile("rb")
        self._on_event = on_event
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue(EVENT_BACKLOG)
        self._send_lock = threading.Lock()
        self._waiters: dict[int, Pending] = {}
        self._waiters_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = threading.Event()
        self._closing = False  # close() was called: the end is ours, not news
        self.hello: dict[str, Any] = {}
        self._reader = threading.Thread(target=self._read_loop, name="paxel-client-reader", daemon=True)
        self._reader.start()

    @classmethod
    def connect(cls, client: str, start: bool = True, on_event: EventHandler | None = None,
                timeout: float = START_TIMEOUT) -> ServiceClient:
        """Connect (starting the service if `start`), authenticate, say hello.

        A service that is starting or busy (it holds the service lock, or it accepted and then
        hung up before `auth` was answered, as its gate does under a flood) is not an absent
        one: keep trying for BUSY_TIMEOUT, never start a second one. Only a missing service is
        started, by one client at a time (the start lock), and given `timeout` to appear.
        """
        address = ipc.endpoint()
        busy_deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            sock = cls._connect_or_start(address, start, timeout)
            self = cls(sock, on_event)
            try:
                self.request("auth", secret=ipc.read_secret())
                self.hello = self.request("hello", client=client, version=PROTOCOL_VERSION)
                return self
            except PaxelError as exc:
                self.close()
                retry = exc.code in (ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.UNAUTHORIZED)
                if not retry or time.monotonic() > busy_deadline:
                    raise
                time.sleep(0.05)  # hung up on (busy) or a secret just replaced (restart): again
            except BaseException:
                self.close()
                raise

    @staticmethod
    def _connect_or_start(address: ipc.Endpoint, start: bool, timeout: float) -> socket.socket:
        deadline = time.monotonic() + BUSY_TIMEOUT
        delay = 0.01
        while True:
            try:
                return ipc.connect(address)
            except OSError as exc:  # refused or missing: absent; a full backlog or a late greeting: busy
                error = exc
            if start:
                sock = _start_and_connect(address, timeout)
                if sock is not None:
                    return sock
            elif isinstance(error, FileNotFoundError | ConnectionRefusedError) \
                    and not ipc.ServiceLock().held_elsewhere():
                raise PaxelError(f"the paxel service is not running ({error.strerror or error})",
                                 code=ErrorCode.SERVICE_UNAVAILABLE) from None
            if time.monotonic() > deadline:
                raise PaxelError(f"the paxel service did not answer within {BUSY_TIMEOUT:.0f} s "
                                 f"({error.strerror or error}); see {paths.state_dir() / 'service.log'}",
                                 code=ErrorCode.SERVICE_UNAVAILABLE) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def request(self, type: str, timeout: float | None = 60.0, **fields: Any) -> dict[str, Any]:
        """Send a request; its `result`, or the PaxelError the service answered with."""
        reply = self.relay({"type": type, **fields}, timeout)
        if not reply.get("ok"):
            raise error_from_reply(reply)
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    def relay(self, message: Mapping[str, Any], timeout: float | None = 60.0) -> dict[str, Any]:
        """Send `message` under a private id and return the whole reply with the caller's id back."""
        return self.send(message).result(timeout)

    def send(self, message: Mapping[str, Any]) -> Pending:
        """Send `message` under a private id now; the reply comes through the returned Pending.

        The native host sends browser requests this way, in the order they came, and waits for
        the replies elsewhere; browser ids never collide with ours.
        """
        pending = Pending(self, next(self._ids), message.get("id"))
        try:
            frame = encode_frame({**message, "id": pending.own_id})
        except UnicodeEncodeError:  # a lone surrogate the browser sent as "\ud800"
            raise PaxelError("the message holds text that is not valid Unicode",
                             code=ErrorCode.BAD_UTF8) from None
        if len(frame) - 4 > MAX_MESSAGE:  # the service would refuse it with no id to answer to
            raise PaxelError(f"message of {len(frame) - 4} bytes exceeds the limit of {MAX_MESSAGE}",
                             code=ErrorCode.MESSAGE_TOO_LARGE)
        with self._waiters_lock:
            if self.closed:
                raise PaxelError("the connection to the paxel service is closed",
                                 code=ErrorCode.SERVICE_UNAVAILABLE)
            self._waiters[pending.own_id] = pending
        try:
            with self._send_lock:
                self._sock.sendall(frame)
        except OSError as exc:
            self._forget(pending.own_id)
            raise PaxelError(f"lost the paxel service: {exc.strerror or exc}",
                             code=ErrorCode.SERVICE_UNAVAILABLE) from None
        return pending

    def _forget(self, own_id: int) -> None:
        with self._waiters_lock:
            self._waiters.pop(own_id, None)

    def events(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Pushed events until the connection closes (or `timeout` seconds pass without one)."""
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                return
            if event is None:
                return
            yield event

    def close(self) -> None:
        self._closing = True
        self._shutdown()
        if threading.current_thread() is not self._reader:
            self._reader.join(5.0)
        self._stream.close()
        self._sock.close()

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _read_loop(self) -> None:
        try:
            while True:
                message = read_frame(self._stream)
                if "event" in message:
                    self._deliver_event(message)
                    continue
                with self._waiters_lock:
                    waiter = self._waiters.pop(message.get("id"), None)  # type: ignore[arg-type]
                if waiter is not None:
                    waiter._settle(message)
        except (EOFError, OSError, ValueError, PaxelError):
            pass
        finally:
            with self._waiters_lock:
                self._closed.set()
                waiters, self._waiters = list(self._waiters.values()), {}
            for waiter in waiters:
                waiter._settle(None)
            with contextlib.suppress(queue.Full):
                self._events.put_nowait(None)
            if self._on_event is not None and not self._closing and self.hello:
                # A handler learns of the loss as an event (the native host tells the browser, whose
                # popup would otherwise say "connected" to a stopped service until its next request).
                # Not before `hello` succeeded: connect() retries a hang-up before auth quietly.
                self._deliver_event(make_event("disconnected", {}))

    def _deliver_event(self, message: dict[str, Any]) -> None:
        if self._on_event is not None:
            try:
                self._on_event(message)
            except Exception:  # a handler's bug must not kill the reader
                log.exception("event handler failed")
            return
        try:
            self._events.put_nowait(message)
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                self._events.get_nowait()
            with contextlib.suppress(queue.Full):
                self._events.put_nowait(message)
