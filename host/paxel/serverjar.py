"""Cookies the server sets during a download (a login hop's session, a signed download token),
for both transports (paxel.transport, paxel.directtransport) alike.

Kept for the host the user asked for only, and sent there together with the cookies the browser
handed over: a server's newer value replaces the browser's of the same name, as the browser
would send it (requests instead dropped the server's cookies whenever a Cookie header was given,
so a login hop after a browser's hand-over lost its token). http.cookiejar does the RFC 6265
work (expiry, path, Secure), imported with the first Set-Cookie.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import http.cookiejar


class ServerJar:
    def __init__(self, origin_url: str) -> None:
        self._origin_url = origin_url
        self._jar: http.cookiejar.CookieJar | None = None   # made when a server first sets one
        self._gone: set[str] = set()   # names the origin deleted (the browser's may carry them)

    def keep(self, raw: Any, url: str) -> None:
        """The Set-Cookie fields of urllib3's response `raw` to a request for `url`."""
        import http.cookiejar
        import urllib.request

        original = getattr(raw, "_original_response", None)   # http.client's: what the jar reads
        if original is None:
            return
        if self._jar is None:
            self._jar = http.cookiejar.CookieJar(origin_cookie_policy(self._origin_url))
        self._jar.extract_cookies(original, urllib.request.Request(url))
        if host_of(url) == host_of(self._origin_url):
            for value in original.msg.get_all("Set-Cookie") or []:
                name, deleted = _deletes(value)
                (self._gone.add if deleted else self._gone.discard)(name)

    def gone(self, url: str) -> frozenset[str]:
        """Names of cookies the origin deleted, which `url` must not carry from the browser."""
        return frozenset(self._gone) if host_of(url) == host_of(self._origin_url) else frozenset()

    def header(self, url: str) -> str | None:
        """The Cookie value of the kept cookies `url` may carry, or None."""
        if self._jar is None:
            return None
        import urllib.request

        request = urllib.request.Request(url)
        self._jar.add_cookie_header(request)
        value = request.get_header("Cookie") or request.unredirected_hdrs.get("Cookie")
        return str(value) if value else None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _deletes(set_cookie: str) -> tuple[str, bool]:
    """The cookie a Set-Cookie value names, and whether it deletes it (Max-Age 0 or less, or an
    Expires in the past: RFC 6265 5.3)."""
    import http.cookiejar

    parsed = http.cookiejar.parse_ns_headers([set_cookie])  # type: ignore[attr-defined]
    attrs = parsed[0] if parsed else []
    name = attrs[0][0] if attrs else ""
    for key, value in attrs[1:]:
        if key == "max-age" and value is not None and value.lstrip("-").isdigit():
            return name, int(value) <= 0
    expires = dict(attrs[1:]).get("expires")
    return name, isinstance(expires, int | float) and expires <= time.time()   # (an epoch here)


def merged(given: str | None, served: str | None, gone: frozenset[str] = frozenset()) -> str | None:
    """`given` (the browser's Cookie value) with the server's cookies: a name the server set
    carries the server's value, once; a name it deleted goes no more. None if nothing is left."""
    names = {pair.split("=", 1)[0].strip() for pair in (served or "").split(";")} | gone
    kept = [pair.strip() for pair in (given or "").split(";")
            if pair.strip() and pair.split("=", 1)[0].strip() not in names]
    return "; ".join([*kept, *([served] if served else [])]) or None


def origin_cookie_policy(origin_url: str) -> http.cookiejar.CookiePolicy:
    """http.cookiejar's policy for cookies the server sets, kept and sent for the host the user
    asked for only. Judged by the request's own host: `allowed_domains` compares the jar's
    domain, which is `localhost.local` for `localhost` (any host without a dot), so a login hop
    on such a host never got its cookie back."""
    import http.cookiejar

    origin = host_of(origin_url)

    class OriginOnly(http.cookiejar.DefaultCookiePolicy):
        def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
            return host_of(request.get_full_url()) == origin and super().set_ok(cookie, request)

        def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
            return host_of(request.get_full_url()) == origin and super().return_ok(cookie, request)

    return OriginOnly()


def refuse_all() -> http.cookiejar.CookiePolicy:
    """For requests' own session jar: the ServerJar keeps the server's cookies instead."""
    import http.cookiejar

    class Nothing(http.cookiejar.DefaultCookiePolicy):
        def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
            return False

        def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
            return False

    return Nothing()
