"""What the hang-up tests share (paxel.hangup): a port whose SYNs are dropped, and how long a
request took to end after an abort from another thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from paxel.errors import NetworkError
from paxel.transport import HttpTransport

# Allowed over the abort's moment: a loaded 2-core machine, yet far below the 10-s timeouts these
# tests give their transports, which is what a request the hang-up misses waits.
SLACK_S = 3.0


@contextlib.contextmanager
def syn_dropping_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener's accept queue is full, so a new connect's SYN is
    dropped and the connect waits (a host that drops the SYN)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:   # the queue holds one; the SYNs of the others are dropped
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()


def seconds_to_stop(transport: HttpTransport, url: str, abort_after: float, last: int = 99) -> float:
    """Ask for bytes 0..last of url and abort the transport from another thread `abort_after`
    seconds later; the seconds until the request failed as stopped."""
    threading.Timer(abort_after, transport.abort).start()
    began = time.monotonic()
    with pytest.raises(NetworkError, match="was stopped"):
        transport.get(url, 0, last)
    return time.monotonic() - began
