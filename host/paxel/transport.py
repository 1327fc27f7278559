"""HTTP for the engine: the only module that imports `requests`.

One Transport per worker thread (its own Session, so keep-alive connections are not shared).
Redirects are followed here, not by requests, so that cookies and credentials are sent only to
the host the user asked for. Bodies are read with `readinto` straight from the socket into the
caller's buffer. Every failure leaves as a paxel.errors exception.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import os
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from paxel import __version__
from paxel.cookies import Cookie, cookie_header
from paxel.errors import NetworkError, UsageError
from paxel.headers import CREDENTIAL_HEADERS

USER_AGENT = f"paxel/{__version__}"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def keeps_credentials(origin_url: str, url: str) -> bool:
    """Whether headers and cookies given for `origin_url` may go to `url` after a redirect: the
    same host, and no downgrade from https to http (the browser would not send them either)."""
    downgrade = urlsplit(origin_url).scheme.lower() == "https" and urlsplit(url).scheme.lower() == "http"
    return host_of(url) == host_of(origin_url) and not downgrade


def check_url(url: str) -> None:
    """UsageError unless `url` is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    try:
        _ = parts.port
    except ValueError:
        raise UsageError(f"bad port in URL: {url!r}") from None


class Reply:
    """A response whose body is read by the caller; `close()` keeps the connection if possible."""

    def __init__(self, response: requests.Response, url: str) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.url = url
        self.body_end: int | None = None  # file offset just past the body, set by the engine
        raw: Any = response.raw
        fp = getattr(raw, "_fp", None)
        # http.client reads into our buffer with one copy; urllib3's readinto copies twice
        self._readinto = fp.readinto if isinstance(fp, http.client.HTTPResponse) else raw.readinto
        self._raw = raw

    def readinto(self, buf: memoryview) -> int:
        try:
            return int(self._readinto(buf))
        except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
            raise NetworkError(f"connection lost while reading {self.url}: {describe(exc)}") from None

    def close(self, *, reusable: bool = False) -> None:
        """Give the connection back for keep-alive when the body was read to the end."""
        try:
            if reusable:
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


class Transport:
    """A keep-alive session for one worker, bound to the download's cookies and headers."""

    def __init__(self, origin_url: str, headers: Mapping[str, str], cookies: Sequence[Cookie],
                 proxy: str | None, timeout: float) -> None:
        self._origin_url = origin_url
        given = {name.lower() for name in headers}   # header names are case-insensitive
        defaults = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        self._headers = {k: v for k, v in defaults.items() if k.lower() not in given} | dict(headers)
        self._cookies = tuple(cookies)
        self._timeout = timeout
        self._proxy = proxy
        self._env_proxies: dict[str, dict[str, str]] = {}   # per scheme://host: read once
        self.session = requests.Session()
        # The environment (proxies, NO_PROXY, CA bundle) is read here once per host instead of
        # by requests on every request (a scan of os.environ each time); ~/.netrc is not used.
        self.session.trust_env = False
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        # cookies the server sets live only for the host the user asked for
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[host_of(origin_url)]))

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None) -> Reply:
        """GET `url` (bytes first..last inclusive; last None = to the end), following redirects."""
        extra = {}
        if first is not None:
            extra["Range"] = f"bytes={first}-{'' if last is None else last}"
            if if_range:
                extra["If-Range"] = if_range
        for _ in range(MAX_REDIRECTS + 1):
            headers = self._headers_for(url) | extra
            response = self._send(url, headers)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return Reply(response, url)
            response.close()
            url = urljoin(url, location)
            check_url(url)
        raise NetworkError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _headers_for(self, url: str) -> dict[str, str]:
        if not keeps_credentials(self._origin_url, url):
            return {k: v for k, v in self._headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        headers = dict(self._headers)
        jar = cookie_header(self._cookies, url, time.time())
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
            self._env_proxies[key] = requests.utils.get_environ_proxies(url)
        return self._env_proxies[key]

    def _send(self, url: str, headers: Mapping[str, str]) -> requests.Response:
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
    return str(exc) or type(exc).__name__
