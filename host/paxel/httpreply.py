"""A reply whose body the engine reads: the fast path below the HTTP library.

Once the headers are checked, a plain length-delimited body is read with `recv_into(MSG_WAITALL)`
straight from the socket into the caller's buffer, one system call per buffer, below requests',
urllib3's and http.client's per-read machinery; chunked, close-delimited and TLS bodies go
through http.client. Both transports (paxel.transport, paxel.directtransport) hand these out.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import sys
from collections.abc import Mapping
from typing import Any

from paxel.controls import escape_controls
from paxel.errors import NetworkError
from paxel.hangup import shut

# A blocking MSG_WAITALL read wakes at least this often (SO_RCVTIMEO) to hand over what it has:
# progress and checkpoints keep moving on a trickling connection, and idle ticks add up to the
# transport's timeout.
READ_TICK = 1.0
FAST_BODY = sys.platform in ("linux", "darwin") and hasattr(socket, "MSG_WAITALL")


class HttpReply:
    """An answer (urllib3's response, whether requests or paxel.directtransport sent the
    request) read through the fastest path its body allows."""

    def __init__(self, raw: Any, headers: Mapping[str, str], url: str, timeout: float) -> None:
        self.status: int = raw.status
        self.headers = headers
        self.url = url
        self.body_end: int | None = None
        self._timeout = timeout
        self._tick = min(READ_TICK, timeout)
        self._raw = raw
        fp = getattr(raw, "_fp", None)
        self._fp: http.client.HTTPResponse | None = fp if isinstance(fp, http.client.HTTPResponse) else None
        # http.client reads into our buffer with one copy; urllib3's readinto copies twice
        self._readinto = self._fp.readinto if self._fp is not None else raw.readinto
        self._sock: socket.socket | None = None   # set once the fast path is on
        self._left = 0                            # body bytes still to come on the fast path
        self._fast_ok = FAST_BODY and self._fp is not None and self._plain_body(self._fp)

    @staticmethod
    def _plain_body(fp: http.client.HTTPResponse) -> bool:
        """Length-delimited, not chunked: the bytes on the socket are exactly the body."""
        return not fp.chunked and fp.length is not None and fp.length > 0

    def readinto(self, buf: memoryview) -> int:
        try:
            if self._sock is not None:
                return self._recv(buf)
            if self._fast_ok:
                return self._first_fast(buf)
            if self._fp is not None:
                return self._read_some(buf)
            return int(self._readinto(buf))
        except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
            raise NetworkError(f"connection lost while reading {self.url}: {describe(exc)}") from None

    def _read_some(self, buf: memoryview) -> int:
        """What arrived, with at most one socket read (TLS, chunked, close-delimited bodies).

        http.client's readinto would block until the whole buffer is full: on a trickling
        connection that is hours, and the engine's speed floor (paxel.lowspeed) is judged
        between reads."""
        fp = self._fp
        assert fp is not None
        data = fp.read1(len(buf))
        n = len(data)
        buf[:n] = data
        if fp.length == 0 and not fp.chunked:  # the body is complete: as readinto would
            fp._close_conn()  # type: ignore[attr-defined]
        return n

    def _first_fast(self, buf: memoryview) -> int:
        """Hand over what http.client's buffer already holds, then switch to the socket.

        `read1` returns only buffered bytes when there are any, else does one socket read, so a
        short answer proves the buffer is empty and the rest can come from the socket itself."""
        fp = self._fp
        assert fp is not None and fp.fp is not None
        want = min(len(buf), fp.length or 0)
        data = fp.fp.read1(want)
        n = len(data)
        buf[:n] = data
        fp.length = (fp.length or 0) - n
        if n == 0:
            fp._close_conn()  # type: ignore[attr-defined]
            return 0
        if n < want or fp.length == 0:
            sock = getattr(getattr(self._raw, "_connection", None), "sock", None)
            if type(sock) is socket.socket:  # not TLS: recv flags would be refused there
                self._left = fp.length
                sock.settimeout(None)  # blocking: MSG_WAITALL waits, SO_RCVTIMEO ticks
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(self._tick))
                self._sock = sock
                if self._left == 0:
                    self._body_done()
            else:
                self._fast_ok = False
        return n

    def _recv(self, buf: memoryview) -> int:
        """One `recv_into` for the whole buffer; ticks without a byte add up to the timeout."""
        sock = self._sock
        assert sock is not None
        want = min(len(buf), self._left)
        if want == 0:
            return 0
        idle = 0.0
        while True:
            try:
                n = sock.recv_into(buf, want, socket.MSG_WAITALL)
                break
            except BlockingIOError:  # a tick (SO_RCVTIMEO) passed without a byte
                idle += self._tick
                if idle >= self._timeout:
                    raise TimeoutError from None
        self._left -= n
        if self._left == 0:
            self._body_done()
        return n

    def _body_done(self) -> None:
        """The whole body is in: put the socket back as urllib3 left it, finish http.client's
        response (so the connection can carry the next request)."""
        sock, fp = self._sock, self._fp
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(0))
                sock.settimeout(self._timeout)
        if fp is not None and fp.fp is not None:
            fp.length = 0
            fp._close_conn()  # type: ignore[attr-defined]

    def close(self, *, reusable: bool = False) -> None:
        """Give the connection back for keep-alive when the body was read to the end."""
        # http.client must have finished the response too: a chunked body read exactly to the
        # range's end still has its last-chunk terminator on the socket, and a connection given
        # back then fails its next request ("Request-sent") and costs a retry's backoff
        fp = self._fp
        finished = self._left == 0 if self._sock is not None else fp is None or fp.isclosed()
        try:
            if reusable and finished:
                self._raw.release_conn()
            else:   # (as requests' Response.close: the connection is closed, then given back)
                self._raw.close()
                self._raw.release_conn()
        except Exception:
            pass

    def abort(self) -> None:
        """Unblock a read in another thread (pause/cancel/give-up): shut its socket down."""
        conn = getattr(self._raw, "_connection", None)
        sock = getattr(conn, "sock", None)
        if sock is None and self._fp is not None:
            # a body delimited by the connection's close: http.client let go of the connection
            # (conn.sock is None) and reads from the socket's file, which holds the socket
            sock = getattr(getattr(self._fp.fp, "raw", None), "_sock", None)
        shut(sock)


def _timeval(seconds: float) -> bytes:
    """struct timeval for SO_RCVTIMEO (Linux and macOS)."""
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


def describe(exc: BaseException) -> str:
    """The innermost useful reason (e.g. 'Connection refused') instead of a wrapper's repr."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    for _ in range(8):  # wrapped causes nest a few levels deep; never loop on a cycle
        inner = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(
            exc.args[0], BaseException) else None)
        reason = getattr(exc, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
        if inner is None or inner is exc:
            break
        exc = inner
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return escape_controls(str(exc)) or type(exc).__name__   # BadStatusLine: the server's line
