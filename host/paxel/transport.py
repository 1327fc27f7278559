"""HTTP for the engine: the `Transport` and `Reply` protocols, the requests-based transport and
the rules both transports share (redirects, credentials, headers, the header deadline).

With paxel.headerdeadline and paxel.directtransport, the only modules that import an HTTP library
(when the first transport is made: importing this module for its protocols and helpers costs no
requests/urllib3). `transport_for` picks one: `DirectTransport` (urllib3 alone, no requests:
lighter to import and ~4x less CPU per request, which is what the 16 requests of a download's
start cost under one GIL) when no proxy applies, else `HttpTransport` (requests, for its proxy
handling). One transport per worker thread (its own connection pool: keep-alive connections are
not shared). Redirects are followed here, not by the library, so that cookies and credentials are
sent only to the host the user asked for; a redirect the server got wrong is the server's error.
Every failure leaves as a paxel.errors exception. The body is read by paxel.httpreply.
"""

from __future__ import annotations

import functools
import http.client
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol
from urllib.parse import SplitResult, urljoin, urlsplit

from paxel import __version__
from paxel.controls import has_controls
from paxel.cookies import Cookie, cookie_header
from paxel.errors import NetworkError, ServerMisbehaved, UsageError
from paxel.hangup import Line, using
from paxel.headers import CREDENTIAL_HEADERS, utf8_header
from paxel.httpreply import HttpReply, describe
from paxel.serverjar import ServerJar, host_of, merged, refuse_all

__all__ = ["HttpReply", "HttpTransport", "Reply", "Transport", "check_url", "describe", "host_of",
           "keeps_credentials", "redirect_target", "transport_for"]

if TYPE_CHECKING:   # requests (and urllib3) are imported with the first transport, not before:
    import requests  # the protocols and helpers here serve code that never makes a request

USER_AGENT = f"paxel/{__version__}"
# sent unless given: requests' own defaults, which paxel.directtransport sends too
DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "*/*",
                   "Connection": "keep-alive"}
# Which bytes to ask for is the engine's alone: given ones (any case) are never sent, neither
# beside its own (requests merged names case-insensitively, urllib3 sends both) nor alone.
ENGINE_HEADERS = frozenset({"range", "if-range"})
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 10
# Seconds a reply's status line and headers may take as a whole (paxel.headerdeadline): the read
# timeout counts per socket read, so a server sending a header byte now and then never meets it.
HEADER_DEADLINE = 30.0


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

    def abort(self) -> None:
        """From another thread: end the request in flight now (and any later one: the thread
        using this transport is being stopped). Its `get` raises NetworkError."""
        ...

    def close(self) -> None:
        ...


def downgrades(origin_url: str, url: str) -> bool:
    return urlsplit(origin_url).scheme.lower() == "https" and urlsplit(url).scheme.lower() == "http"


def same_port(origin_url: str, url: str) -> bool:
    """Whether `url` is on the origin's port (default ports filled in; http:80 to https:443, an
    upgrade, counts as the same, as requests counts it)."""
    def port(parts: SplitResult) -> int | None:
        return parts.port or DEFAULT_PORTS.get(parts.scheme.lower())

    before, after = urlsplit(origin_url), urlsplit(url)
    if port(before) == port(after):
        return True
    upgrade = (before.scheme.lower(), port(before), after.scheme.lower(), port(after))
    return upgrade == ("http", 80, "https", 443)


def keeps_credentials(origin_url: str, url: str) -> bool:
    """Whether headers and cookies given for `origin_url` may go to `url` after a redirect: the
    same host, and no downgrade from https to http (the browser would not send them either)."""
    return host_of(url) == host_of(origin_url) and not downgrades(origin_url, url)


def wire_value(value: str) -> str:
    """A header value as http.client sends it (one latin-1 character per byte): one with
    characters latin-1 cannot hold (a pasted cookie, a Referer) goes as its UTF-8 bytes, as curl
    sends it; http.client would otherwise fail inside requests with an internal error. Spaces
    and tabs around it are HTTP's optional whitespace, not the value (requests refused a leading
    one, urllib3 sent it)."""
    value = value.strip(" \t")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
    return value


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
        self._headers = {k: v for k, v in DEFAULT_HEADERS.items() if k.lower() not in given} | {
            k: wire_value(v) for k, v in headers.items() if k.lower() not in ENGINE_HEADERS}
        self._cookies = tuple(cookies)
        self._timeout = timeout
        self._proxy = proxy
        self._env_proxies: dict[str, dict[str, str]] = {}   # per scheme://host: read once
        self._served = ServerJar(origin_url)
        self._line = Line()   # the request in flight, for abort() (paxel.hangup)
        self._open()

    def _open(self) -> None:
        """The connection pool (here requests' Session)."""
        from paxel.headerdeadline import watched_adapter

        self.session = _session_class()()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, watched_adapter())
        # The environment (proxies, NO_PROXY, CA bundle) is read here once per host instead of
        # by requests on every request (a scan of os.environ each time); ~/.netrc is not used.
        self.session.trust_env = False
        self.session.verify = ca_bundle() or True
        # cookies the server sets live only for the host the user asked for
        self.session.cookies.set_policy(refuse_all())   # the server's cookies: self._served

    def _drop_connections(self) -> None:
        for adapter in self.session.adapters.values():
            adapter.close()

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None, *, fresh: bool = False) -> HttpReply:
        """GET `url` (bytes first..last inclusive; last None = to the end), following redirects."""
        extra = {}
        if first is not None:
            extra["Range"] = f"bytes={first}-{'' if last is None else last}"
            if if_range:
                extra["If-Range"] = if_range
        if fresh:  # drop every kept-alive connection: the next request opens a new one
            self._drop_connections()
        came_from = None
        for _ in range(MAX_REDIRECTS + 1):
            headers = self._headers_for(url) | extra
            try:
                reply = self._send(url, headers)
            except UsageError as exc:   # a URL the server's redirect made is the server's error
                if came_from is None or not str(exc).startswith("bad URL"):   # (not a SOCKS proxy's)
                    raise
                raise ServerMisbehaved(f"{came_from} redirects to an unusable location: {exc}") from None
            location = reply.headers.get("Location")
            if reply.status not in REDIRECTS or not location:
                return reply
            reply.close()
            came_from = url
            url = redirect_target(url, utf8_header(location))
        # a loop (or a chain this long) is the server's error, not the network's to retry: the
        # browser's ERR_TOO_MANY_REDIRECTS
        raise ServerMisbehaved(f"more than {MAX_REDIRECTS} redirects, the last to {url}")

    def _headers_for(self, url: str) -> dict[str, str]:
        headers = self._given_headers_for(url)
        served, gone = self._served.header(url), self._served.gone(url)
        if served or gone:   # the server's own cookies (a login hop's), beside the browser's
            given = [headers.pop(k) for k in [k for k in headers if k.lower() == "cookie"]]
            value = merged("; ".join(given) or None, served, gone)
            if value:
                headers["Cookie"] = value
        return headers

    def _given_headers_for(self, url: str) -> dict[str, str]:
        jar = cookie_header(self._cookies, url, time.time())
        if not keeps_credentials(self._origin_url, url):
            # Headers given for the origin stay with it; cookies go where their domain says, as a
            # browser's do (a stream's segments on a CDN with its own cookie; never A's to B).
            kept = {k: v for k, v in self._headers.items() if k.lower() not in CREDENTIAL_HEADERS}
            return kept | ({"Cookie": jar} if jar and not downgrades(self._origin_url, url) else {})
        headers = dict(self._headers)
        if not same_port(self._origin_url, url):
            # Another port is another origin (maybe another user's service on a shared host):
            # Authorization stays with the origin, as requests' own redirect rule keeps it.
            # Cookies go: RFC 6265 scopes them by host, not port, as a browser sends them.
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
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

    def _send(self, url: str, headers: Mapping[str, str]) -> HttpReply:
        """`_request` under the header deadline: a reply whose headers were cut for lateness
        (an error, or headers that merely stopped early) is a NetworkError saying so."""
        from paxel.headerdeadline import Late, armed

        if self._line.hung_up:
            raise self._hung_up(url)
        late = Late(self._header_deadline)
        try:
            with armed(late), using(self._line):
                reply = self._request(url, headers)
        except NetworkError:
            if self._line.hung_up:
                raise self._hung_up(url) from None
            if late.fired:
                raise self._late(url) from None
            raise
        if self._line.hung_up:   # the answer came as the hang-up did: nobody reads it now
            reply.close()
            raise self._hung_up(url)
        if late.fired:
            reply.close()
            raise self._late(url)
        return reply

    @staticmethod
    def _hung_up(url: str) -> NetworkError:
        return NetworkError(f"the request to {url} was stopped")

    def abort(self) -> None:
        self._line.hang_up()

    def _late(self, url: str) -> NetworkError:
        return NetworkError(f"{url} did not send its response headers within "
                            f"{self._header_deadline:g} s")

    def _request(self, url: str, headers: Mapping[str, str]) -> HttpReply:
        import requests
        import urllib3

        proxies = self._proxies_for(url)
        try:
            response = self.session.get(url, headers=dict(headers), stream=True, allow_redirects=False,
                                        proxies=proxies, timeout=(min(self._timeout, 15.0), self._timeout))
        except requests.exceptions.InvalidSchema as exc:
            if "SOCKS" in str(exc):   # requests speaks SOCKS only with PySocks (not a paxel dependency)
                raise UsageError(f"the proxy {' / '.join(sorted(set(proxies.values())))} is a SOCKS proxy, "
                                 "which needs the PySocks package in paxel's Python environment "
                                 "(pip install PySocks), or give an http:// proxy") from None
            raise UsageError(f"bad URL {url!r}: {exc}") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                urllib3.exceptions.LocationValueError) as exc:   # (urllib3's: a host IDNA refuses)
            raise UsageError(f"bad URL {url!r}: {exc}") from None
        except requests.exceptions.ProxyError as exc:
            raise NetworkError(f"proxy refused {url}: {describe(exc)}") from None
        except requests.exceptions.SSLError as exc:
            raise NetworkError(f"TLS error talking to {url}: {describe(exc)}") from None
        except requests.exceptions.Timeout:
            raise NetworkError(f"timed out connecting to {url}") from None
        except (requests.exceptions.RequestException, OSError, http.client.HTTPException) as exc:
            raise NetworkError(f"cannot reach {url}: {describe(exc)}") from None
        if "Set-Cookie" in response.headers:
            self._served.keep(response.raw, url)
        return HttpReply(response.raw, response.headers, url, self._timeout)

    def close(self) -> None:
        self.session.close()


def ca_bundle() -> str | None:
    """The CA bundle the environment names (as requests reads it), or None for the default."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def proxied(proxy: str | None) -> bool:
    """Whether a proxy may apply: given, or named by any `*_proxy` variable (requests then
    decides per URL with NO_PROXY; the direct transport never does)."""
    if proxy:
        return True
    return any(name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value
               for name, value in os.environ.items())


def transport_for(origin_url: str, headers: Mapping[str, str], cookies: Sequence[Cookie],
                  proxy: str | None, timeout: float, *,
                  header_deadline: float = HEADER_DEADLINE) -> HttpTransport:
    """The lightest transport that keeps every behaviour: without a proxy, urllib3 directly."""
    if proxied(proxy):
        return HttpTransport(origin_url, headers, cookies, proxy, timeout, header_deadline=header_deadline)
    from paxel.directtransport import DirectTransport

    return DirectTransport(origin_url, headers, cookies, None, timeout, header_deadline=header_deadline)


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
