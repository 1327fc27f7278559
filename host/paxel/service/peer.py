"""One authenticated client as the service sees it: a name, and an outbox nobody waits on.

Replies and events for a client go into its outbox and one writer thread per client sends them,
in order. So no one waits on a client that does not read (a panel or `paxel` suspended with
Ctrl-Z, a frozen browser behind its host): not the scheduler's event thread, not another
client's `download` reply (which broadcasts `added` first), not the client's own reader. Such a
client is dropped, never waited for, when
- its socket takes nothing for SEND_TIMEOUT seconds (SO_SNDTIMEO on the writer's send), or
- its outbox holds more than MAX_BACKLOG bytes (a client that reads, but slower than events come:
  1 byte a second never trips a send timeout).
A slow request (see paxel.service.router.SLOW) takes one of the client's MAX_SLOW slots for its
thread: a client pipelining probes to a server that never answers gets SERVICE_UNAVAILABLE past
that, not a thread per probe.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from paxel import deadlines
from paxel.protocol import encode_frame
from paxel.service import ipc

log = logging.getLogger(__name__)
SEND_TIMEOUT = deadlines.seconds("SEND_TIMEOUT", 5.0)
MAX_BACKLOG = 4 * 1024 * 1024  # four of the largest frames
MAX_SLOW = 32  # slow requests (probe, take, open, show_panel) in flight per client


class Client:
    """One connected client; `send` is safe from any thread and never blocks."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.name = "?"
        self.authenticated = False
        self.slow = threading.BoundedSemaphore(MAX_SLOW)
        self._outbox: collections.deque[bytes] = collections.deque()
        self._backlog = 0
        self._closed = False
        self._writing = False
        self._ready = threading.Condition()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, ipc.send_timeout_option(SEND_TIMEOUT))

    def start(self) -> None:
        """Start the writer thread; RuntimeError when no thread can start (the caller drops us)."""
        threading.Thread(target=self._write_loop, daemon=True, name="paxel-client-writer").start()

    def send(self, message: Mapping[str, Any]) -> bool:
        """Queue a frame; False (and the client is dropped) once it is closed or too far behind."""
        frame = encode_frame(message)
        with self._ready:
            if self._closed:
                return False
            if self._backlog + len(frame) > MAX_BACKLOG:
                log.warning("dropped client %s: %d bytes it has not read", self.name, self._backlog)
                self._close_locked()
                return False
            self._outbox.append(frame)
            self._backlog += len(frame)
            self._ready.notify_all()  # the writer, and a drain() waiting on it
        return True

    def close(self) -> None:
        with self._ready:
            self._close_locked()

    def drain(self, deadline: float) -> None:
        """Wait (until the time.monotonic() `deadline`) for what is queued to be written: the
        service's last replies (`shutdown`'s) reach their clients before it hangs up."""
        with self._ready:
            while (self._outbox or self._writing) and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._ready.wait(left)

    def _close_locked(self) -> None:
        self._closed = True
        self._outbox.clear()
        self._backlog = 0
        self._ready.notify_all()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the reader's recv ends: it unregisters us

    def _write_loop(self) -> None:
        while True:
            with self._ready:
                while not self._outbox and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                frame = self._outbox.popleft()
                self._backlog -= len(frame)
                self._writing = True
            try:
                self.sock.sendall(frame)
            except OSError:  # gone, or took nothing for SEND_TIMEOUT seconds
                self.close()
                return
            finally:
                with self._ready:
                    self._writing = False
                    self._ready.notify_all()


__all__ = ["MAX_BACKLOG", "MAX_SLOW", "SEND_TIMEOUT", "Client"]
