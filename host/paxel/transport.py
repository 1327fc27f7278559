"""HTTP for the engine: with paxel.headerdeadline, the only modules that import `requests` (when
the first transport is made: importing this module for its protocols and helpers costs no
requests/urllib3).

The engine codes against the `Transport` and `Reply` protocols; `HttpTransport` is the real one.
One transport per worker thread (its own Session, so keep-alive connections are not shared).
Redirects are followed here, not by requests, so that cookies and credentials are sent only to
the host the user asked for; a redirect the server got wrong is the server's error. Every
failure leaves as a paxel.errors exception.

The body (see `HttpReply.readinto`): once the headers are checked, a plain length-delimited body
is read with `recv_into(MSG_WAITALL)` straight from the socket into the caller's buffer, one
system call per buffer, below requests', urllib3's and http.client's per-read machinery; chunked,
close-delimited and TLS bodies go through http.client.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import socket
import struct
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from paxel import __version__
from paxel.controls import escape_controls, has_controls
from paxel.cookies import Cookie, cookie_header
from paxel.errors import NetworkError, ServerMisbehaved, UsageError
from paxel.headers import CREDENTIAL_HEADERS, utf8_header

if TYPE_CHECKING:   # requests (and urllib3) are imported with the first transport, not before:
    import requests  # the protocols and helpers here serve code that never makes a request

USER_AGENT = f"paxel/{__version__}"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
# A blocking MSG_WAITALL read wakes at least this often (SO_RCVTIMEO) to hand over what it has:
# progress and checkpoints keep moving on a trickling connection, and idle ticks add up to the
# transport's timeout.
READ_TICK = 1.0
# Seconds a reply's status line and headers may take as a whole (paxel.headerdeadline): the read
# timeout counts per socket read, so a server sending a header byte now and then never meets it.
HEADER_DEADLINE = 30.0
FAST_BODY = sys.platform in ("linux", "darwin") and hasattr(socket, "MSG_WAITALL")


class Reply(Protocol):
    """An answer whose body the caller reads; `close()` keeps the connection when it can."""

    status: int
    headers: Mapping[str, str]
    url: str                 # after redirects
    body_end: int | None     # file offset just past the body, set by the engine

    def readinto(self, buf: memoryview) -> int:
        """Read into `buf` from the body: fewer bytes than asked when the body ends, on a tick
        (a second without a full buffer) or when only some have arrived; 0 at the end."""
        ...

    def close(self, *, reusable: bool = False) -> None:
        """Give the connection back for keep-alive (`reusable`: the body was read to the end)."""
        ...

    def abort(self) -> None:
        """Unblock a read in another thread (pause, cancel, a slow connection replaced)."""
        ...


class Transport(Protocol):
    """What the engine asks of HTTP: GET a (range of a) URL, redirects followed."""

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None, *, fresh: bool = False) -> Reply:
        """GET `url` (bytes first..last inclusive; last None = to the end). `fresh`: on a new TCP
        connection, never a kept-alive one (a slow connection keeps its bad path)."""
        ...

    def close(self) -> None:
        ...


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def downgrades(origin_url: str, url: str) -> bool:
    return urlsplit(origin_url).scheme.lower() == "https" and urlsplit(url).scheme.lower() == "http"


def keeps_credentials(origin_url: str, url: str) -> bool:
    """Whether headers and cookies given for `origin_url` may go to `url` after a redirect: the
    same host, and no downgrade from https to http (the browser would not send them either)."""
    return host_of(url) == host_of(origin_url) and not downgrades(origin_url, url)


def check_url(url: str) -> None:
    """UsageError unless `url` is an absolute http(s) URL with a host and no control character."""
    if has_controls(url):
        raise UsageError(f"a control character in the URL: {url!r}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    try:
        _ = parts.port
    except ValueError:
        raise UsageError(f"bad port in URL: {url!r}") from None


class HttpReply:
    """A requests response read through the fastest path its body allows."""

    def __init__(self, response: requests.Response, url: str, timeout: float) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.url = url
        self.body_end: int | None = None
        self._timeout = timeout
        self._tick = min(READ_TICK, timeout)
        raw: Any = response.raw
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
            else:
                self._response.close()
        except Exception:
            pass

    def abort(self) -> None:
        """Unblock a read in another thread (pause/cancel/give-up)."""
        conn = getattr(self._raw, "_connection", None)
        sock = getattr(conn, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _timeval(seconds: float) -> bytes:
    """struct timeval for SO_RCVTIMEO (Linux and macOS)."""
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


@functools.cache
def _session_class() -> type[requests.Session]:
    import requests

    class _Session(requests.Session):
        def get_redirect_target(self, resp: requests.Response) -> str | None:
            """Redirects are HttpTransport's business: requests must not even parse Location
            (with allow_redirects=False it still builds the next request, and a malformed
            Location would raise a bare ValueError from inside `get`)."""
            return None

    return _Session


class HttpTransport:
    """A keep-alive session for one worker, bound to the download's cookies and headers."""

    def __init__(self, origin_url: str, headers: Mapping[str, str], cookies: Sequence[Cookie],
                 proxy: str | None, timeout: float, *, header_deadline: float = HEADER_DEADLINE) -> None:
        self._origin_url = origin_url
        self._header_deadline = header_deadline
        given = {name.lower() for name in headers}   # header names are case-insensitive
        defaults = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        self._headers = {k: v for k, v in defaults.items() if k.lower() not in given} | dict(headers)
        self._cookies = tuple(cookies)
        self._timeout = timeout
        self._proxy = proxy
        self._env_proxies: dict[str, dict[str, str]] = {}   # per scheme://host: read once
        import http.cookiejar

        from paxel.headerdeadline import WatchedAdapter

        self.session = _session_class()()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, WatchedAdapter())
        # The environment (proxies, NO_PROXY, CA bundle) is read here once per host instead of
        # by requests on every request (a scan of os.environ each time); ~/.netrc is not used.
        self.session.trust_env = False
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        # cookies the server sets live only for the host the user asked for
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[host_of(origin_url)]))

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None, *, fresh: bool = False) -> HttpReply:
        """GET `url` (bytes first..last inclusive; last None = to the end), following redirects."""
        extra = {}
        if first is not None:
            extra["Range"] = f"bytes={first}-{'' if last is None else last}"
            if if_range:
                extra["If-Range"] = if_range
        if fresh:  # drop every kept-alive connection: the next request opens a new one
            for adapter in self.session.adapters.values():
                adapter.close()
        for _ in range(MAX_REDIRECTS + 1):
            headers = self._headers_for(url) | extra
            response = self._send(url, headers)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return HttpReply(response, url, self._timeout)
            response.close()
            url = redirect_target(url, utf8_header(location))
        raise NetworkError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _headers_for(self, url: str) -> dict[str, str]:
        jar = cookie_header(self._cookies, url, time.time())
        if not keeps_credentials(self._origin_url, url):
            # Headers given for the origin stay with it; cookies go where their domain says, as a
            # browser's do (a stream's segments on a CDN with its own cookie; never A's to B).
            kept = {k: v for k, v in self._headers.items() if k.lower() not in CREDENTIAL_HEADERS}
            return kept | ({"Cookie": jar} if jar and not downgrades(self._origin_url, url) else {})
        headers = dict(self._headers)
        if jar:  # a Cookie given as a header (any case) is kept, followed by the matching cookies
            given = [headers.pop(k) for k in [k for k in headers if k.lower() == "cookie"]]
            headers["Cookie"] = "; ".join([*given, jar])
        return headers

    def _proxies_for(self, url: str) -> dict[str, str]:
        """--proxy, else HTTP(S)_PROXY / ALL_PROXY unless NO_PROXY exempts the host."""
        if self._proxy:
            return {"http": self._proxy, "https": self._proxy}
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._env_proxies:
            import requests.utils

            self._env_proxies[key] = requests.utils.get_environ_proxies(url)
        return self._env_proxies[key]

    def _send(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        """`_request` under the header deadline: a reply whose headers were cut for lateness
        (an error, or headers that merely stopped early) is a NetworkError saying so."""
        from paxel.headerdeadline import Late, armed

        late = Late(self._header_deadline)
        try:
            with armed(late):
                response = self._request(url, headers)
        except NetworkError:
            if late.fired:
                raise self._late(url) from None
            raise
        if late.fired:
            response.close()
            raise self._late(url)
        return response

    def _late(self, url: str) -> NetworkError:
        return NetworkError(f"{url} did not send its response headers within "
                            f"{self._header_deadline:g} s")

    def _request(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        import requests

        try:
            return self.session.get(url, headers=dict(headers), stream=True, allow_redirects=False,
                                    proxies=self._proxies_for(url),
                                    timeout=(min(self._timeout, 15.0), self._timeout))
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            raise UsageError(f"bad URL {url!r}: {exc}") from None
        except requests.exceptions.ProxyError as exc:
            raise NetworkError(f"proxy refused {url}: {describe(exc)}") from None
        except requests.exceptions.SSLError as exc:
            raise NetworkError(f"TLS error talking to {url}: {describe(exc)}") from None
        except requests.exceptions.Timeout:
            raise NetworkError(f"timed out connecting to {url}") from None
        except (requests.exceptions.RequestException, OSError, http.client.HTTPException) as exc:
            raise NetworkError(f"cannot reach {url}: {describe(exc)}") from None

    def close(self) -> None:
        self.session.close()


def redirect_target(url: str, location: str) -> str:
    """The absolute URL a redirect from `url` points to; a Location that is not a usable http(s)
    URL is the server's error (ServerMisbehaved), not the user's and not paxel's."""
    try:
        target = urljoin(url, location)
        check_url(target)
    except (ValueError, UsageError) as exc:
        reason = str(exc.args[0]) if isinstance(exc, UsageError) and exc.args else str(exc)
        raise ServerMisbehaved(f"{url} redirects to a malformed location {location!r}: {reason}") from None
    return target


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
