"""A loopback TCP server that answers each connection with raw bytes a test writes itself.

For servers too strange for the fault server's HTTP machinery (a status line that is not HTTP,
header bytes that are not latin-1): the test's `answer` gets each accepted connection and
writes whatever it likes; a client that hangs up early is not the test's failure.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """Serve until the block ends; yields the port on 127.0.0.1."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so the loop sees `stop` between connections
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()
