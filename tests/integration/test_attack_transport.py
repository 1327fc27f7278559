"""The engine's HTTP transports attacked as a strange server, a hostile server and an unlucky user
would: credentials after redirects, URL userinfo, header values, TLS trust, 1xx replies, cookie
floods, keep-alive leftovers. Every case runs through both transports (requests for proxies,
urllib3 alone otherwise: paxel.transport.transport_for), which must behave alike.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import importlib.util
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import paxel
from paxel.directtransport import DirectTransport
from paxel.errors import ErrorCode, NetworkError, PaxelError, ServerMisbehaved, UsageError
from paxel.transport import HttpTransport, transport_for

Answer = Callable[[str], bytes]   # a request's head (latin-1) -> the raw reply


@pytest.fixture(params=[HttpTransport, DirectTransport], ids=["requests", "urllib3"])
def kind(request: pytest.FixtureRequest) -> type[HttpTransport]:
    cls: type[HttpTransport] = request.param
    return cls


class Recorder:
    """A loopback server answering every request (keep-alive: several per connection) with what
    `answer` writes, recording each request's head; optionally TLS."""

    def __init__(self, answer: Answer, tls: ssl.SSLContext | None = None, bind: str = "127.0.0.1") -> None:
        self.answer = answer
        self.heads: list[str] = []
        self._tls = tls
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self._listener = socket.create_server((bind, 0), family=family)
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/f.bin", host: str = "127.0.0.1", scheme: str | None = None) -> str:
        return f"{scheme or ('https' if self._tls else 'http')}://{host}:{self.port}{path}"

    def header(self, name: str) -> list[str | None]:
        """`name`'s value in each recorded request (None where it was not sent)."""
        out: list[str | None] = []
        for head in self.heads:
            found = [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]
                     if line.split(":", 1)[0].strip().lower() == name.lower()]
            out.append(found[0] if found else None)
        return out

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, raw: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), contextlib.ExitStack() as stack:
            conn = stack.enter_context(raw)
            conn.settimeout(5)
            if self._tls is not None:
                conn = stack.enter_context(self._tls.wrap_socket(conn, server_side=True))
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                self.heads.append(head.decode("latin-1"))
                reply = self.answer(head.decode("latin-1"))
                if reply.startswith(b"TRICKLE "):   # one byte every 0.2 s, for 20 s at most
                    for i in range(len(reply) - 8):
                        conn.sendall(reply[8 + i:9 + i])
                        if self._stop.wait(0.2):
                            return
                conn.sendall(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


@contextlib.contextmanager
def serving(answer: Answer, tls: ssl.SSLContext | None = None, bind: str = "127.0.0.1") -> Iterator[Recorder]:
    server = Recorder(answer, tls, bind)
    try:
        yield server
    finally:
        server.close()


def ok(body: bytes = b"ok", extra: str = "") -> Answer:
    return lambda head: (f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
                         .encode() + body)


def redirect_to(location: str) -> Answer:
    return lambda head: (f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                         .encode())


def fetch(kind: type[HttpTransport], url: str, headers: dict[str, str] | None = None,
          first: int | None = None, last: int | None = None) -> tuple[int, bytes]:
    t = kind(url, headers or {}, (), None, 5.0)
    try:
        reply = t.get(url, first, last)
        buf = memoryview(bytearray(1 << 16))
        body = bytearray()
        while n := reply.readinto(buf):
            body += buf[:n]
        reply.close(reusable=True)
        return reply.status, bytes(body)
    finally:
        t.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode()


# --- credentials ---------------------------------------------------------------------------------

def test_userinfo_in_the_url_is_sent_as_basic_auth(kind: type[HttpTransport]) -> None:
    """`http://user:pass@host/f` (percent-encoded userinfo) logs in, as requests and curl do."""
    with serving(ok()) as server:
        status, body = fetch(kind, server.url(host="al%40ce:p%3Ass@127.0.0.1"))
    assert (status, body) == (200, b"ok")
    assert server.header("Authorization") == [basic("al@ce", "p:ss")]


def test_userinfo_goes_to_its_own_host_only_after_a_redirect(kind: type[HttpTransport]) -> None:
    with serving(ok()) as other, serving(redirect_to(other.url(host="localhost"))) as first:
        assert fetch(kind, first.url(host="u:secret@127.0.0.1")) == (200, b"ok")
    assert first.header("Authorization") == [basic("u", "secret")]
    assert other.header("Authorization") == [None]


def test_authorization_does_not_follow_a_redirect_to_another_port(kind: type[HttpTransport]) -> None:
    """Another port is another origin (another service, maybe another user's on a shared host):
    Authorization stays with the origin as requests' own redirect rule keeps it (cookies, which
    RFC 6265 scopes by host and not port, may go, as a browser's would)."""
    given = {"Authorization": "Bearer origin-only", "Cookie": "sid=1"}
    with serving(ok()) as other, serving(redirect_to(other.url())) as first:
        assert fetch(kind, first.url(), given) == (200, b"ok")
    assert first.header("Authorization") == ["Bearer origin-only"]
    assert other.header("Authorization") == [None]
    assert other.header("Cookie") == ["sid=1"]


# --- header values -------------------------------------------------------------------------------

def test_a_header_value_beyond_latin1_goes_as_utf8(kind: type[HttpTransport]) -> None:
    """HTTP carries bytes; a value with characters latin-1 cannot hold (a cookie or Referer the
    user pasted) goes as its UTF-8 bytes, as curl sends it, never an internal error."""
    with serving(ok()) as server:
        assert fetch(kind, server.url(), {"X-Note": "café €"}) == (200, b"ok")
    assert server.header("X-Note") == ["café €".encode().decode("latin-1")]


def test_an_ipv6_literal_with_userinfo_and_a_login_hop(kind: type[HttpTransport]) -> None:
    """`http://u:p@[::1]:port/`: the Host header keeps the brackets, the userinfo logs in, the
    cookie the hop sets comes back (http.cookiejar's own host parsing is not trusted with it)."""
    replies = iter([b"HTTP/1.1 302 Found\r\nLocation: /f.bin\r\nSet-Cookie: sid=abc; Path=/\r\n"
                    b"Content-Length: 0\r\n\r\n", ok()("")])
    try:
        server = Recorder(lambda head: next(replies), bind="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = server.port
    try:
        assert fetch(kind, server.url("/login", host="u:p@[::1]")) == (200, b"ok")
    finally:
        server.close()
    assert server.header("Host") == [f"[::1]:{port}"] * 2
    assert server.header("Authorization") == [basic("u", "p")] * 2
    assert server.header("Cookie") == [None, "sid=abc"]


@pytest.mark.parametrize("host", ["a..b.invalid", "a" * 70 + ".invalid", "ab\u200bc.invalid"])
def test_an_unusable_host_is_the_users_error_or_the_redirecting_servers(kind: type[HttpTransport],
                                                                        host: str) -> None:
    """A host IDNA cannot encode (an empty label, a label over 63 characters, a zero-width
    space): the user's error when the user gave it, the server's when its redirect did; never
    urllib3's exception escaping as an internal error."""
    with pytest.raises(UsageError, match="bad URL"):
        fetch(kind, f"http://{host}:1/f.bin")
    with serving(redirect_to(f"http://{host}:1/f.bin")) as server, \
            pytest.raises(ServerMisbehaved, match="redirects to"):
        fetch(kind, server.url())


@pytest.mark.parametrize("name", ["range", "RANGE", "if-range"])
def test_the_engine_alone_says_which_bytes(kind: type[HttpTransport], name: str) -> None:
    """A Range or If-Range given with the headers (`-H 'range: bytes=5-'`, a protocol client
    passing a media request's) in any case: never sent, neither beside the engine's own (two
    Range headers: the server picks one) nor alone on a whole-file request."""
    value = '"stale"' if name == "if-range" else "bytes=5-"
    with serving(ok()) as server:
        fetch(kind, server.url(), {name: value}, first=0, last=3)
        fetch(kind, server.url(), {name: value})
    assert server.header("Range") == ["bytes=0-3", None]
    assert server.header("If-Range") == [None, None]
    assert all(head.lower().count("range:") == (1 - i) for i, head in enumerate(server.heads))


@pytest.mark.parametrize("value", [" lead", "\tx", "trail \t"])
def test_whitespace_around_a_header_value_is_not_part_of_it(kind: type[HttpTransport], value: str) -> None:
    """HTTP's optional whitespace around a field value (a pasted `-H 'Referer:  x'`): requests
    refused a leading one (a network error, retried), urllib3 sent it; both now send the value."""
    with serving(ok()) as server:
        assert fetch(kind, server.url(), {"X-Note": value}) == (200, b"ok")
    assert server.heads[0].split("\r\n")[1:].count(f"X-Note: {value.strip()}") == 1


# --- replies -------------------------------------------------------------------------------------

def test_early_hints_before_the_partial_reply_are_skipped(kind: type[HttpTransport]) -> None:
    """103 Early Hints (and 100 Continue) come before the real answer on the same connection."""
    def answer(head: str) -> bytes:
        return (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                b"HTTP/1.1 100 Continue\r\n\r\n"
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/10\r\n"
                b"Content-Length: 4\r\n\r\nbody")
    with serving(answer) as server:
        assert fetch(kind, server.url(), first=0, last=3) == (206, b"body")


def test_leftovers_past_content_length_are_never_the_next_reply(kind: type[HttpTransport]) -> None:
    """A body longer than its Content-Length on a keep-alive connection, the surplus shaped like a
    reply: the next request must get its own answer, not the leftovers."""
    replies = iter([b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/8\r\nContent-Length: 4\r\n\r\n"
                    b"goodHTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/8\r\n"
                    b"Content-Length: 4\r\n\r\nEVIL"]
                   + [b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/8\r\n"
                      b"Content-Length: 4\r\n\r\nnext"] * 3)
    with serving(lambda head: next(replies)) as server:
        url = server.url()
        t = kind(url, {}, (), None, 5.0)
        try:
            got = []
            for first in (0, 4):
                reply = t.get(url, first, first + 3)
                buf = memoryview(bytearray(4))
                n = reply.readinto(buf)
                got.append(bytes(buf[:n]))
                reply.close(reusable=True)
        finally:
            t.close()
    assert got == [b"good", b"next"]


@pytest.mark.parametrize("flood", ["10000 cookies", "1 MB cookie"])
def test_a_cookie_flood_is_a_network_error(kind: type[HttpTransport], flood: str) -> None:
    cookies = ([f"Set-Cookie: c{i}=v" for i in range(10_000)] if flood == "10000 cookies"
               else ["Set-Cookie: big=" + "x" * 1_000_000])
    with serving(ok(extra="\r\n".join(cookies) + "\r\n")) as server, \
            pytest.raises(NetworkError, match=r"header|line"):
        fetch(kind, server.url())


def test_cookies_a_localhost_server_sets_come_back(kind: type[HttpTransport]) -> None:
    """A login hop on `localhost` (http.cookiejar calls it `localhost.local`)."""
    state = {"n": 0}

    def answer(head: str) -> bytes:
        state["n"] += 1
        if state["n"] == 1:
            return (b"HTTP/1.1 302 Found\r\nLocation: /f.bin\r\nSet-Cookie: sid=abc; Path=/\r\n"
                    b"Content-Length: 0\r\n\r\n")
        return ok()(head)
    with serving(answer) as server:
        assert fetch(kind, server.url("/login", host="localhost")) == (200, b"ok")
    assert server.header("Cookie") == [None, "sid=abc"]


@pytest.mark.parametrize("given", ["header", "cookies"])
def test_a_login_hops_cookie_goes_with_the_browsers(kind: type[HttpTransport], given: str) -> None:
    """The browser's cookies are handed over and a redirect hop on the same host sets one more
    (a signed download token) or a new value of one: the file's request carries both, the
    server's newer value in place of the browser's, as the browser itself would send them."""
    from paxel.cookies import Cookie

    def answer(head: str) -> bytes:
        if head.startswith("GET /login"):
            return (b"HTTP/1.1 302 Found\r\nLocation: /f.bin\r\nSet-Cookie: token=t1; Path=/\r\n"
                    b"Set-Cookie: sid=new; Path=/\r\nContent-Length: 0\r\n\r\n")
        return ok()(head)
    with serving(answer) as server:
        url = server.url("/login")
        headers = {"Cookie": "sid=old; theme=dark"} if given == "header" else {}
        cookies = [] if given == "header" else [Cookie("sid", "old", "127.0.0.1"),
                                                 Cookie("theme", "dark", "127.0.0.1")]
        t = kind(url, headers, cookies, None, 5.0)
        try:
            t.get(url).close()
        finally:
            t.close()
    sent = server.header("Cookie")
    assert sent[0] is not None and sorted(sent[0].split("; ")) == ["sid=old", "theme=dark"]
    assert sent[1] is not None and sorted(sent[1].split("; ")) == ["sid=new", "theme=dark", "token=t1"]


@pytest.mark.parametrize("removal", ["sid=; Max-Age=0", "sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
def test_a_cookie_the_server_deletes_is_not_sent_again(kind: type[HttpTransport], removal: str) -> None:
    """A hop that logs the browser's session out (Max-Age=0, an Expires in the past): the next
    request goes without it, as the browser's would."""
    def answer(head: str) -> bytes:
        if head.startswith("GET /login"):
            return (f"HTTP/1.1 302 Found\r\nLocation: /f.bin\r\nSet-Cookie: {removal}; Path=/\r\n"
                    "Content-Length: 0\r\n\r\n").encode()
        return ok()(head)
    with serving(answer) as server:
        url = server.url("/login")
        t = kind(url, {"Cookie": "sid=old; theme=dark"}, (), None, 5.0)
        try:
            t.get(url).close()
        finally:
            t.close()
    assert server.header("Cookie") == ["sid=old; theme=dark", "theme=dark"]


# --- TLS -----------------------------------------------------------------------------------------

def _pki(tmp: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA (its PEM at the returned path) and a server context with a certificate it signed for
    127.0.0.1 only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paxel test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - day).not_valid_after(now + day)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - day).not_valid_after(now + day)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem = tmp / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp / "server.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_pem, context


@pytest.fixture
def pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ssl.SSLContext]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return _pki(tmp_path)


def test_a_server_no_trusted_ca_signed_is_refused_clearly(kind: type[HttpTransport],
                                                          pki: tuple[Path, ssl.SSLContext]) -> None:
    with serving(ok(), tls=pki[1]) as server, pytest.raises(NetworkError, match=r"TLS error.*certificate"):
        fetch(kind, server.url())
    assert server.heads == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_the_environment_names_is_trusted(kind: type[HttpTransport], variable: str,
                                                        pki: tuple[Path, ssl.SSLContext],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, str(pki[0]))
    with serving(ok(), tls=pki[1]) as server:
        assert fetch(kind, server.url()) == (200, b"ok")
        with pytest.raises(NetworkError, match="TLS error"):   # its name is not `localhost`
            fetch(kind, server.url(host="localhost"))


def test_a_ca_directory_is_trusted(kind: type[HttpTransport], pki: tuple[Path, ssl.SSLContext],
                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """REQUESTS_CA_BUNDLE naming a folder of hashed certificates (`openssl rehash`), as requests
    takes it (ca_cert_dir)."""
    folder = tmp_path / "cas"
    folder.mkdir()
    shutil.copy(pki[0], folder / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder))
    with serving(ok(), tls=pki[1]) as server:
        assert fetch(kind, server.url()) == (200, b"ok")


def ranges_of(data: bytes) -> Answer:
    """A server of `data` that honours one `Range: bytes=a-b` (or `a-`) per request."""
    def answer(head: str) -> bytes:
        match = re.search(r"(?im)^range:\s*bytes=(\d+)-(\d*)\s*$", head)
        if match is None:
            return f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
        first = int(match.group(1))
        last = min(int(match.group(2) or len(data) - 1), len(data) - 1)
        return (f"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {first}-{last}/{len(data)}\r\n"
                f"Content-Length: {last - first + 1}\r\n\r\n").encode() + data[first:last + 1]
    return answer


def test_a_download_over_tls_is_exact(pki: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    """The whole engine over https (no test did): ranges on several connections read through
    http.client's TLS path, the bytes exact."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki[0]))
    data = os.urandom(3 * 1024 * 1024 + 17)
    with serving(ranges_of(data), tls=pki[1]) as server:
        path = paxel.download(server.url(), output=tmp_path / "out.bin", connections=4)
    assert path.read_bytes() == data
    assert sum(head.lower().count("\r\nrange:") for head in server.heads) >= 2   # in pieces


def test_ssl_cert_file_is_not_trusted_as_requests_ignores_it(kind: type[HttpTransport],
                                                             pki: tuple[Path, ssl.SSLContext],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """requests verifies against certifi's bundle and reads only REQUESTS_CA_BUNDLE /
    CURL_CA_BUNDLE; both transports agree (docs/engine.md says which variables count)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki[0]))
    with serving(ok(), tls=pki[1]) as server, pytest.raises(NetworkError, match="TLS error"):
        fetch(kind, server.url())


def test_a_downgrade_to_http_drops_credentials(kind: type[HttpTransport],
                                               pki: tuple[Path, ssl.SSLContext],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki[0]))
    given = {"Authorization": "Bearer tls-only", "Cookie": "sid=1"}
    with serving(ok()) as plain, serving(redirect_to(plain.url()), tls=pki[1]) as secure:
        assert fetch(kind, secure.url(), given) == (200, b"ok")
    assert secure.header("Authorization") == ["Bearer tls-only"]
    assert plain.header("Authorization") == [None] and plain.header("Cookie") == [None]


def test_an_error_names_paxel_not_an_internal_failure(kind: type[HttpTransport]) -> None:
    """A port nobody listens on: a NetworkError saying so (the engine retries those)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(PaxelError, match="refused"):
        fetch(kind, f"http://127.0.0.1:{port}/f.bin")


# --- proxies -------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["--proxy", "ALL_PROXY"])
def test_a_socks_proxy_without_pysocks_says_what_is_missing(where: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """requests speaks SOCKS only with PySocks, which paxel does not install (unmaintained since
    2019): the user hears that, not "bad URL" about a URL that is fine."""
    if importlib.util.find_spec("socks") is not None:
        pytest.skip("PySocks is installed here")
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    proxy = "socks5://127.0.0.1:9"
    if where == "ALL_PROXY":
        monkeypatch.setenv("ALL_PROXY", proxy)
    t = transport_for("http://127.0.0.1:9/f.bin", {}, (), proxy if where == "--proxy" else None, 5.0)
    try:
        with pytest.raises(UsageError) as info:
            t.get("http://127.0.0.1:9/f.bin")
    finally:
        t.close()
    assert "PySocks" in str(info.value) and "socks5://127.0.0.1:9" in str(info.value)
    assert "bad URL" not in str(info.value)


@pytest.mark.parametrize(("env", "proxied"), [
    ({"HTTP_PROXY": "http://127.0.0.1:PX", "NO_PROXY": "127.0.0.1"}, "redirect"),   # direct, then proxied
    ({"http_proxy": "http://127.0.0.1:PX", "no_proxy": "localhost"}, "first"),      # proxied, never direct
    ({"http_proxy": "http://127.0.0.1:PX", "no_proxy": "*"}, "none"),
    ({"ALL_PROXY": "http://127.0.0.1:PX", "NO_PROXY": "127.0.0.0/8,localhost"}, "none"),   # CIDR
    ({"HTTP_PROXY": "http://127.0.0.1:PX", "NO_PROXY": ".localhost,127.0.0.1"}, "none"),  # leading dot
    ({"HTTPS_PROXY": "http://127.0.0.1:PX"}, "none"),                                  # https only
])
def test_the_proxy_is_chosen_per_hop_and_gets_no_origin_credentials(
        env: dict[str, str], proxied: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A redirect to a host the proxy applies to (or not): each hop goes where the environment
    says (requests' rules, HttpTransport is chosen whenever a proxy variable exists), and the
    origin's Authorization reaches neither the proxy nor the other host."""
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    with serving(ok(b"proxy")) as proxy, serving(ok()) as other, \
            serving(redirect_to(target := other.url(host="localhost"))) as first:
        for name, value in env.items():
            monkeypatch.setenv(name, value.replace("PX", str(proxy.port)))
        url = first.url()
        t = transport_for(url, {"Authorization": "Bearer s"}, (), None, 5.0)
        try:
            reply = t.get(url)
            reply.close()
        finally:
            t.close()
    assert type(t) is HttpTransport
    lines = [head.split("\r\n")[0] for head in proxy.heads]
    if proxied == "redirect":
        assert lines == [f"GET {target} HTTP/1.1"] and len(first.heads) == 1
        assert proxy.header("Authorization") == [None]
    elif proxied == "first":
        assert lines == [f"GET {url} HTTP/1.1"] and not first.heads   # (it answered 200 itself)
    else:
        assert lines == [] and len(first.heads) == len(other.heads) == 1


def test_the_engine_logs_in_with_userinfo_on_every_connection(tmp_path: Path) -> None:
    """End to end without a proxy (the direct transport): the probe and every range carry the
    URL's Basic credentials."""
    data = os.urandom(2 * 1024 * 1024)
    with serving(ranges_of(data)) as server:
        path = paxel.download(server.url(host="me:s%3Acret@127.0.0.1"), output=tmp_path / "out.bin",
                              connections=4)
    assert path.read_bytes() == data
    assert len(server.heads) >= 2 and set(server.header("Authorization")) == {basic("me", "s:cret")}



@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_headers_that_trickle_meet_the_deadline(kind: type[HttpTransport], tls: bool,
                                                pki: tuple[Path, ssl.SSLContext],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The header deadline through both transports and over TLS too (the deadline's own tests
    run HttpTransport on plain http only)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki[0]))
    trickle = b"TRICKLE HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 100
    with serving(lambda head: trickle, tls=pki[1] if tls else None) as server:
        t = kind(server.url(), {}, (), None, 30.0, header_deadline=1.0)
        began = time.monotonic()
        try:
            with pytest.raises(NetworkError, match="did not send its response headers within 1 s"):
                t.get(server.url())
        finally:
            t.close()
    assert time.monotonic() - began < 8


def test_a_redirect_loop_fails_at_once_as_the_servers_error(tmp_path: Path) -> None:
    """A server redirecting forever: the browser's ERR_TOO_MANY_REDIRECTS, curl's "Maximum
    redirects followed"; not a network error retried six times (66 requests, 12 s)."""
    with serving(redirect_to("/again")) as server, pytest.raises(PaxelError) as info:
        paxel.download(server.url(), output=tmp_path / "out.bin")
    assert info.value.code == ErrorCode.SERVER_MISBEHAVED, info.value
    assert "redirects" in str(info.value) and len(server.heads) == 11
    assert not list(tmp_path.iterdir())
