"""Hanging up a request in flight from another thread: pause, cancel, a lowered connection cap.

A thread inside the HTTP library, waiting for TLS or for a reply's status line, has no reply
the engine could abort yet (`HttpReply.abort` covers the body): a server that accepted the
connection and then says nothing held a pause for seconds. So each transport has a `Line`: the
connection classes (paxel.headerdeadline) attach the socket of the request the transport's
thread is making, and `hang_up` from any other thread shuts that socket down; the blocked read
fails at once. A hang-up is for good: a socket attached later (a request that was about to
start, a connection still being made) is shut as it is attached, and the transport sends
nothing more (its thread is being stopped).

The line holds its own duplicate of the socket's descriptor, from the moment the connection
exists until the reply's headers are in (then `HttpReply.abort` covers the body): a TLS
handshake replaces the socket object it started from (`ssl.wrap_socket` detaches it), so the
object urllib3 made first no longer reaches the connection. Shutdown acts on the connection,
whichever descriptor names it; the duplicate is ours to close, so a hang-up never touches a
descriptor number another socket reused. Shutdown, not close: the thread using the socket
closes it as it unwinds (urllib3 2.3's `HTTPResponse.shutdown`, urllib3#2868/#3527, does the
same for a body; a request still waiting for its answer has no response object, and urllib3
declined to expose its socket, urllib3#1602, hence the hook in the connection classes).

A TCP connect (a server whose host drops the SYN: a firewall, a full accept queue) happens
inside urllib3 before any socket reaches paxel; the interpreter's `socket.connect` audit event
hands the socket over just before it connects (one process-wide audit hook, which looks only
at that event and only on a thread using a line). On Linux a shutdown ends a connect in
progress at once; elsewhere the connect's own timeout bounds it, and the socket is shut the
moment it connects (`_new_conn` attaches it again). A connect that has not begun when the line
is hung up (the host name was still being resolved) is refused by the hook: it never starts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

_current = threading.local()   # the Line of the transport this thread is using, if any


class Line:
    """The connection of the request a transport's thread is making now, if any."""

    def __init__(self) -> None:
        _watch_connects()
        self._lock = threading.Lock()
        self._held: socket.socket | None = None   # our duplicate of its descriptor
        self._ino: tuple[int, int] | None = None  # which socket that is (`identity`)
        self.hung_up = False

    def attach(self, sock: Any) -> None:
        """`sock` carries this thread's request from now on (shut at once after a hang-up)."""
        raw = _raw(sock)
        if raw is None:
            return
        with self._lock:
            ino = identity(raw)
            if ino is None:
                return   # (closed)
            if self._held is not None and ino == self._ino:
                if self.hung_up:   # (it connected since: now a shutdown ends it everywhere)
                    shut(self._held)
                return   # (the TLS socket over the one held: the same socket)
            self._release()
            try:
                self._held = socket.socket(raw.family, raw.type, raw.proto,
                                           fileno=socket.dup(raw.fileno()))
            except OSError:
                return
            self._ino = ino
            if self.hung_up:
                shut(self._held)

    def detach(self) -> None:
        """The request has its answer (or failed): let go of its connection."""
        with self._lock:
            self._release()

    def hang_up(self) -> None:
        """End the request in flight now, and any this line would carry later (any thread)."""
        with self._lock:
            self.hung_up = True
            if self._held is not None:
                shut(self._held)

    def _release(self) -> None:
        held, self._held, self._ino = self._held, None, None
        if held is not None:
            held.close()


@contextlib.contextmanager
def using(line: Line) -> Iterator[Line]:
    """Sockets this thread's requests use inside the block are attached to `line`, until the
    block ends (the request has its answer, or failed)."""
    _current.line = line
    try:
        yield line
    finally:
        _current.line = None
        line.detach()


def attach(sock: Any) -> None:
    """Called by the connection classes with each socket a request of this thread uses."""
    line: Line | None = getattr(_current, "line", None)
    if line is not None and sock is not None:
        line.attach(sock)


class HungUp(ConnectionAbortedError):
    """A connect refused by the audit hook: its line was hung up before it began."""


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    """The `socket.connect` audit event, (socket, address), raised before connecting. Runs on
    every audit event in the process: nothing but a string compare for the others.

    A line hung up already (a pause while the host name was still being resolved) refuses the
    connect: an exception raised by an audit hook is raised by `socket.connect` itself. A
    shutdown before the connect does not stop it (the SYN still goes out, and to a host that
    drops it the connect waited its whole timeout)."""
    if event == "socket.connect":
        line: Line | None = getattr(_current, "line", None)
        if line is not None and line.hung_up:
            raise HungUp("the request was hung up before it connected")
        attach(args[0])


@functools.cache
def _watch_connects() -> None:
    """Once per process (an audit hook cannot be removed): connects become hang-up-able."""
    sys.addaudithook(_on_audit)


def identity(raw: socket.socket, platform: str = sys.platform) -> tuple[int, int] | None:
    """Which socket `raw` is, None once closed: its descriptor number and, where a socket is a
    file, its inode. The number alone is not enough: a host's first address refused, its socket
    closed, the connect to the next gets the same number, and a line that took it for the one
    it holds shut a dead socket while the live one waited out the timeout. (On Windows a socket
    handle is no file, and where a socket's inode reads 0 (XNU, it seems): the number alone decides,
    as before.)"""
    fd = raw.fileno()
    if fd < 0:
        return None
    if platform == "win32":
        return fd, 0
    try:
        return fd, os.fstat(fd).st_ino
    except OSError:
        return None


def _raw(sock: Any) -> socket.socket | None:
    """The TCP socket under `sock` (a socket, an SSLSocket, urllib3's TLS-in-TLS SSLTransport)."""
    raw = sock if isinstance(sock, socket.socket) else getattr(sock, "socket", None)
    return raw if isinstance(raw, socket.socket) else None


def shut(sock: Any) -> None:
    """Shut the TCP socket under `sock` (a socket, an SSLSocket, urllib3's TLS-in-TLS
    SSLTransport): the base class's shutdown, so SSL state is not touched from this thread."""
    raw = _raw(sock)
    if raw is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(raw, socket.SHUT_RDWR)
