"""Cookies handed over by a browser or read from a Netscape cookies.txt, and which of them a
request may carry (RFC 6265 domain, path and secure matching; pure, the clock is passed in)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str
    domain: str               # without a leading dot
    host_only: bool = True    # True: only exactly `domain`; False: `domain` and its subdomains
    path: str = "/"
    secure: bool = False
    expiry: float | None = None   # Unix time; None = session cookie

    @classmethod
    def build(cls, name: str, value: str, domain: str, host_only: bool | None = None, path: str | None = None,
              secure: bool = False, expiry: Any = None) -> Cookie:
        """The one check of a cookie handed over from outside (a browser, the wire); ValueError
        on an unusable one. `host_only` None: a domain with a leading dot covers subdomains."""
        if not name or any(c in name + value for c in ";\r\n\0") or not domain.strip("."):
            raise ValueError(f"unusable cookie {name!r}")
        try:
            when = float(expiry) if expiry is not None else None
        except (TypeError, ValueError):
            raise ValueError(f"cookie {name!r} has a bad expiry {expiry!r}") from None
        only = not domain.startswith(".") if host_only is None else bool(host_only)
        return cls(name, value, domain.lstrip(".").lower(), only, path or "/", bool(secure), when)

    @classmethod
    def from_browser(cls, obj: Mapping[str, Any]) -> Cookie:
        """From a WebExtension `cookies.Cookie` object (name, value, domain, hostOnly, path,
        secure, expirationDate); ValueError on a malformed one."""
        try:
            name, value, domain = str(obj["name"]), str(obj["value"]), str(obj["domain"])
        except KeyError as exc:
            raise ValueError(f"cookie lacks {exc.args[0]!r}") from None
        return cls.build(name, value, domain, obj.get("hostOnly"), str(obj.get("path") or "/"),
                         bool(obj.get("secure", False)), obj.get("expirationDate", obj.get("expiry")))


def parse_netscape(text: str) -> list[Cookie]:
    """Parse a Netscape/Mozilla cookies.txt (7 tab-separated fields; `#HttpOnly_` prefix kept).

    Raises ValueError naming the first malformed line.
    """
    cookies = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 7:
            raise ValueError(f"cookies.txt line {number}: expected 7 tab-separated fields")
        domain, subdomains, path, secure, expires, name, value = fields
        try:
            expiry = float(expires)
        except ValueError:
            raise ValueError(f"cookies.txt line {number}: bad expiry {expires!r}") from None
        if not domain.strip(".") or not name:
            raise ValueError(f"cookies.txt line {number}: empty domain or name")
        cookies.append(Cookie(name, value, domain.lstrip(".").lower(),
                              host_only=subdomains.upper() != "TRUE", path=path or "/",
                              secure=secure.upper() == "TRUE", expiry=expiry or None))
    return cookies


def domain_matches(host: str, cookie: Cookie) -> bool:
    host = host.lower().rstrip(".")
    if cookie.host_only or _is_address(host):   # an IP address has no subdomains (RFC 6265 5.1.3)
        return host == cookie.domain
    return host == cookie.domain or host.endswith("." + cookie.domain)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def path_matches(path: str, cookie_path: str) -> bool:
    if path == cookie_path:
        return True
    if path.startswith(cookie_path):
        return cookie_path.endswith("/") or path[len(cookie_path)] == "/"
    return False


def cookie_header(cookies: Iterable[Cookie], url: str, now: float) -> str | None:
    """The Cookie header value for `url`, longest paths first as browsers order them."""
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path or "/"
    chosen: Sequence[Cookie] = sorted(
        (c for c in cookies
         if domain_matches(host, c) and path_matches(path, c.path)
         and (not c.secure or parts.scheme == "https")
         and (c.expiry is None or c.expiry > now)),
        key=lambda c: -len(c.path))
    return "; ".join(f"{c.name}={c.value}" for c in chosen) or None
