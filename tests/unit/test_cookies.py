"""Cookie matching (domain, host-only, path, secure, expiry) and cookies.txt parsing."""

from __future__ import annotations

import pytest

from paxel.cookies import Cookie, cookie_header, parse_netscape
from paxel.serverjar import merged
from paxel.transport import keeps_credentials, same_port

NOW = 1_000_000.0


def test_browser_cookie_objects() -> None:
    c = Cookie.from_browser({"name": "s", "value": "v", "domain": ".example.com", "hostOnly": False,
                             "path": "/dl", "secure": True, "expirationDate": NOW + 10})
    assert c == Cookie("s", "v", "example.com", False, "/dl", True, NOW + 10)
    with pytest.raises(ValueError, match="lacks"):
        Cookie.from_browser({"name": "s", "value": "v"})
    with pytest.raises(ValueError, match="unusable"):
        Cookie.from_browser({"name": "s", "value": "a;b", "domain": "x"})
    for expiry in ([], "soon"):
        with pytest.raises(ValueError, match="expiry"):
            Cookie.from_browser({"name": "s", "value": "v", "domain": "x", "expirationDate": expiry})


@pytest.mark.parametrize(("url", "sent"), [
    ("https://example.com/dl/file", "deep=1; host=1; sub=1"),
    ("https://www.example.com/dl/file", "sub=1"),
    ("http://example.com/dl/file", "host=1; sub=1"),        # no secure cookie over http
    ("https://example.com/dlx", "host=1; sub=1"),            # /dl does not match /dlx
    ("https://evil-example.com/dl/file", None),
    ("https://example.com.evil.org/dl/file", None),
])
def test_matching(url: str, sent: str | None) -> None:
    jar = [Cookie("host", "1", "example.com"),
           Cookie("sub", "1", "example.com", host_only=False),
           Cookie("deep", "1", "example.com", path="/dl", secure=True),
           Cookie("old", "1", "example.com", expiry=NOW - 1)]
    assert cookie_header(jar, url, NOW) == sent


def test_netscape_file() -> None:
    text = ("# Netscape HTTP Cookie File\n\n"
            ".example.com\tTRUE\t/\tFALSE\t0\tsess\tabc\n"
            "#HttpOnly_example.org\tFALSE\t/p\tTRUE\t2000000000\tid\t42\n")
    assert parse_netscape(text) == [Cookie("sess", "abc", "example.com", False, "/", False, None),
                                    Cookie("id", "42", "example.org", True, "/p", True, 2e9)]
    with pytest.raises(ValueError, match="line 1"):
        parse_netscape("example.com TRUE / FALSE 0 a b")
    with pytest.raises(ValueError, match="expiry"):
        parse_netscape("example.com\tTRUE\t/\tFALSE\tsoon\ta\tb")


@pytest.mark.parametrize(("origin", "target", "kept"), [
    ("http://a.example/f", "http://a.example/g", True),
    ("http://a.example/f", "https://A.example:8443/g", True),    # upgrade, same host
    ("https://a.example/f", "http://a.example/g", False),        # downgrade: would leak in clear
    ("http://a.example/f", "http://b.example/f", False),         # another host
    ("http://a.example/f", "http://sub.a.example/f", False),     # a subdomain is another host too
])
def test_credentials_follow_a_redirect_only_to_the_same_host_without_downgrade(
        origin: str, target: str, kept: bool) -> None:
    assert keeps_credentials(origin, target) is kept


@pytest.mark.parametrize(("origin", "target", "same"), [
    ("http://a.example/x", "http://a.example:80/y", True),      # the default port spelled out
    ("http://a.example/x", "https://a.example/y", True),        # an upgrade on default ports
    ("http://a.example:8080/x", "https://a.example/y", False),
    ("https://a.example/x", "https://a.example:8443/y", False),
    ("http://a.example:8000/x", "http://a.example:9000/y", False),
])
def test_authorization_stays_on_the_origins_port(origin: str, target: str, same: bool) -> None:
    assert same_port(origin, target) is same


@pytest.mark.parametrize(("domain", "url", "sent"), [
    ("0.0.1", "http://127.0.0.1/f", False),        # an IP address has no parent domains
    ("127.0.0.1", "http://127.0.0.1/f", True),
    ("::1", "http://[::1]:8080/f", True),
    ("example.com", "http://dl.example.com/f", True),
    ("example.com", "http://evil-example.com/f", False),
    ("example.com", "http://example.com./f", True),  # the root's dot: the same host
])
def test_a_domain_cookie_matches_subdomains_of_names_only(domain: str, url: str, sent: bool) -> None:
    """RFC 6265 5.1.3: a domain cookie covers subdomains of a host *name*; for an IP address the
    strings must be identical (a cookies.txt line `.0.0.1` must not reach 127.0.0.1)."""
    cookie = Cookie("s", "v", domain, host_only=False)
    assert (cookie_header([cookie], url, NOW) == "s=v") is sent


def test_the_servers_cookie_replaces_the_browsers_of_its_name_once() -> None:
    assert merged("sid=old; theme=dark", "sid=new; token=t") == "theme=dark; sid=new; token=t"
    assert merged(None, "sid=new") == "sid=new"
    assert merged("a=1;;b=2 ", "c=3") == "a=1; b=2; c=3"
    assert merged("sid=old; theme=dark", None, frozenset({"sid"})) == "theme=dark"
    assert merged("sid=old", None, frozenset({"sid"})) is None
