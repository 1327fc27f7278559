"""The engine's transport without requests: urllib3's connection pool directly, when no proxy
applies (paxel.transport.transport_for picks it).

Why: a download's start sends 16 requests from 16 threads under one GIL, and the last of them
to leave decides when the last byte arrives. Through requests each cost ~1 ms of CPU (a Session,
its adapters and cookie jar per worker, then request preparation, hooks and a Response per
request); straight through urllib3 ~0.2 ms. Importing requests (with charset_normalizer and
idna) is also ~13 ms of the CLI's start-up that urllib3 alone does not need.

What requests did that this keeps, so both transports behave alike (tests/integration/
test_transport.py runs the same cases through both): the default headers
(paxel.transport.DEFAULT_HEADERS); TLS verification against certifi's bundle unless REQUESTS_CA_BUNDLE
or CURL_CA_BUNDLE names another (a folder: a CA directory); cookies the server sets, kept for the
host the user asked for only and sent beside the browser's (paxel.serverjar, both transports);
response headers as one value per name; urllib3's URL parsing (IDNA hosts, percent-encoding)
and connection handling, which requests delegates to it anyway; Basic credentials from the URL's
userinfo (tests/integration/test_attack_transport.py); the same failures as the same
paxel.errors. Proxies are requests' (HttpTransport).
"""

from __future__ import annotations

import base64
import http.client
import os
from collections.abc import Iterator, Mapping
from urllib.parse import unquote, urlsplit

import urllib3

from paxel.errors import NetworkError, UsageError
from paxel.headerdeadline import POOLS
from paxel.httpreply import HttpReply, describe
from paxel.transport import HttpTransport, ca_bundle


class DirectTransport(HttpTransport):
    """HttpTransport's rules (headers, credentials, redirects, header deadline) on urllib3."""

    _pool: urllib3.PoolManager
    _trusting: bool

    def _open(self) -> None:
        # as requests' adapter: up to 10 hosts (redirects), up to 10 connections each
        self._pool = urllib3.PoolManager(num_pools=10, maxsize=10)
        self._pool.pool_classes_by_scheme = POOLS
        self._trusting = False  # the CA bundle is looked up with the first https URL

    def _drop_connections(self) -> None:
        self._pool.clear()

    def _trust(self) -> None:
        """Verify TLS as requests does: certifi's bundle unless the environment names one."""
        if self._trusting:
            return
        where = ca_bundle()
        if where is None:
            import certifi

            where = certifi.where()
        if not os.path.exists(where):
            raise NetworkError(f"could not find the TLS CA certificate bundle {where}")
        key = "ca_cert_dir" if os.path.isdir(where) else "ca_certs"
        self._pool.connection_pool_kw.update({"cert_reqs": "CERT_REQUIRED", key: where})
        self._trusting = True

    def _request(self, url: str, headers: Mapping[str, str]) -> HttpReply:
        sent = dict(headers)
        login = basic_auth(url)
        if login is not None:   # as requests: the URL's userinfo wins over a given Authorization
            sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            sent["Authorization"] = login
        try:
            if url[:6].lower() == "https:":
                self._trust()
            raw = self._pool.urlopen("GET", url, headers=sent, redirect=False, retries=False,
                                     preload_content=False, decode_content=False,
                                     timeout=urllib3.Timeout(connect=min(self._timeout, 15.0),
                                                             read=self._timeout))
        except urllib3.exceptions.LocationValueError as exc:
            raise UsageError(f"bad URL {url!r}: {exc}") from None
        except urllib3.exceptions.SSLError as exc:
            raise NetworkError(f"TLS error talking to {url}: {describe(exc)}") from None
        except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass)
            raise NetworkError(f"cannot reach {url}: {describe(exc)}") from None
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            raise NetworkError(f"timed out connecting to {url}") from None
        except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException, ValueError) as exc:
            # (ValueError: a header value http.client refuses, as requests' InvalidHeader)
            raise NetworkError(f"cannot reach {url}: {describe(exc)}") from None
        if "Set-Cookie" in raw.headers:
            self._served.keep(raw, url)
        return HttpReply(raw, Headers(raw.headers), url, self._timeout)

    def close(self) -> None:
        self._pool.clear()


def basic_auth(url: str) -> str | None:
    """Basic credentials from the URL's userinfo (`http://user:pass@host/`, percent-decoded), as
    requests sends them; urllib3 alone would drop them. None without userinfo. (A redirect's
    target carries userinfo only if the Location says so or is relative: another host named by
    the server never gets the user's.)"""
    parts = urlsplit(url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not (user or password):
        return None
    pair = f"{user}:{password}"
    try:
        raw = pair.encode("latin-1")   # requests' encoding
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")     # (requests fails there; curl sends UTF-8)
    return "Basic " + base64.b64encode(raw).decode("ascii")


class Headers(Mapping[str, str]):
    """urllib3's response headers as requests shows them: names case-insensitive, one value per
    name (a repeated field's values joined by ", ")."""

    def __init__(self, raw: urllib3.HTTPHeaderDict) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        return self._raw[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"
