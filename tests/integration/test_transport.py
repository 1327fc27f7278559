"""The HTTP transport against real servers: what a strange server's headers become, and that the
fast body path gives the exact bytes (length-delimited, chunked, keep-alive reuse, new connections).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import paxel
from paxel.directtransport import DirectTransport
from paxel.errors import ErrorCode, NetworkError, PaxelError
from paxel.transport import HttpTransport, Reply
from paxel.transport import transport_for as paxel_transport_for
from support.faultserver import FaultServer
from support.hangups import SLACK_S, seconds_to_stop, syn_dropping_port
from support.nginx import Nginx

MIB = 1 << 20


@pytest.mark.parametrize("location", [
    "http://[::1/broken",          # unclosed IPv6 bracket: urlsplit raises ValueError
    "http://127.0.0.1:99999/x",    # port out of range
    "http://127.0.0.1:port/x",     # port not a number
    "ftp://127.0.0.1/x",           # not http(s)
    "javascript:alert(1)",         # not a URL paxel can fetch
])
def test_a_malformed_redirect_is_the_servers_fault_not_an_internal_error(
        faultserver: FaultServer, tmp_path: Path, location: str) -> None:
    url = faultserver.url("moved.bin", location=location)
    with pytest.raises(PaxelError) as info:
        paxel.download(url, output=tmp_path / "out.bin")
    assert info.value.code == ErrorCode.SERVER_MISBEHAVED, info.value
    assert "redirect" in str(info.value)
    assert not list(tmp_path.iterdir())


def read_all(reply: Reply, size: int, step: int = 256 * 1024) -> bytes:
    buf = memoryview(bytearray(step))
    out = bytearray()
    while len(out) < size:
        n = reply.readinto(buf[:min(step, size - len(out))])
        if n == 0:
            break
        out += buf[:n]
    return bytes(out)


KINDS: list[type[HttpTransport]] = [HttpTransport, DirectTransport]
_kind = threading.local()


@pytest.fixture(autouse=True, params=KINDS, ids=["requests", "urllib3"])
def kind(request: pytest.FixtureRequest) -> Iterator[type[HttpTransport]]:
    """Every test here runs through both transports (paxel.transport.transport_for picks one)."""
    _kind.cls = request.param
    yield request.param
    _kind.cls = None


def transport_for(url: str, timeout: float = 30.0) -> HttpTransport:
    cls: type[HttpTransport] = _kind.cls
    return cls(url, {}, (), None, timeout)


def test_ranges_read_from_the_socket_are_exact_and_the_connection_is_kept(nginx: Nginx) -> None:
    data = os.urandom(3 * MIB + 12345)
    nginx.add_file("fast.bin", content=data)
    url = nginx.url("fast.bin")
    before = len(nginx.log())
    t = transport_for(url)
    try:
        for first, last in ((0, MIB - 1), (MIB, 3 * MIB + 12344), (5, 5), (7, 70000)):
            reply = t.get(url, first, last)
            assert reply.status == 206
            got = read_all(reply, last - first + 1, step=100_000)
            assert got == data[first:last + 1]
            assert reply.readinto(memoryview(bytearray(10))) == 0  # the end stays the end
            reply.close(reusable=True)
        reply = t.get(url)   # a whole 200 after the ranges, on the same connection
        assert read_all(reply, len(data), step=MIB) == data
        reply.close(reusable=True)
    finally:
        t.close()
    time.sleep(0.05)
    lines = nginx.log()[before:]
    assert len(lines) == 5 and len({line.connection for line in lines}) == 1, lines


@pytest.mark.parametrize("where", ["same", "other"])
def test_a_cookie_set_on_a_redirect_goes_back_to_its_host_only(faultserver: FaultServer, where: str) -> None:
    """A login hop: the redirect sets a cookie the file's host wants. It is sent with every later
    request to the host the user asked for, never to another host (both transports keep it)."""
    url = faultserver.url(f"hop-{where}.bin", size=4096, redirect=where, set_cookie="sid=abc; Path=/")
    t = transport_for(url)
    for first in (0, 2048):
        reply = t.get(url, first, first + 2047)
        assert reply.status == 206
        assert read_all(reply, 2048) == faultserver.content(url)[first:first + 2048]
        reply.close(reusable=True)
    t.close()
    served = [r for r in faultserver.requests("GET") if r.status == 206]
    redirects = [r for r in faultserver.requests("GET") if r.status == 302]
    assert len(served) == 2 and len(redirects) == 2
    assert redirects[0].cookie is None   # the first request: nothing set yet
    if where == "same":
        assert [r.cookie for r in served] == ["sid=abc", "sid=abc"]
        assert redirects[1].cookie == "sid=abc"
    else:
        assert [r.cookie for r in served] == [None, None]
        assert redirects[1].cookie == "sid=abc"   # the host that set it


def test_a_proxy_keeps_requests_and_none_takes_urllib3_alone(monkeypatch: pytest.MonkeyPatch,
                                                             kind: type[HttpTransport]) -> None:
    """transport_for: requests handles proxies (given, or from *_proxy with NO_PROXY), so any
    proxy setting keeps HttpTransport; without one the lighter DirectTransport goes."""
    url = "http://127.0.0.1:9/x"
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    assert type(paxel_transport_for(url, {}, (), None, 5.0)) is DirectTransport
    assert type(paxel_transport_for(url, {}, (), "http://127.0.0.1:3128", 5.0)) is HttpTransport
    monkeypatch.setenv("no_proxy", "example.org")   # alone: no proxy to bypass
    assert type(paxel_transport_for(url, {}, (), None, 5.0)) is DirectTransport
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert type(paxel_transport_for(url, {}, (), None, 5.0)) is HttpTransport


def test_fresh_opens_a_new_tcp_connection(nginx: Nginx) -> None:
    nginx.add_file("fresh.bin", 200_000)
    url = nginx.url("fresh.bin")
    before = len(nginx.log())
    t = transport_for(url)
    try:
        for fresh in (False, False, True, False):
            reply = t.get(url, 0, 99_999, fresh=fresh)
            read_all(reply, 100_000)
            reply.close(reusable=True)
    finally:
        t.close()
    time.sleep(0.05)
    conns = [line.connection for line in nginx.log()[before:]]
    assert conns[0] == conns[1] != conns[2] == conns[3], conns


def test_chunked_and_close_delimited_bodies_are_exact(faultserver: FaultServer) -> None:
    for faults in ({"chunked": 1}, {"nolength": 1}):
        url = faultserver.url("plain.bin", size=MIB + 3, **faults)
        t = transport_for(url)
        try:
            reply = t.get(url)
            assert read_all(reply, MIB + 10) == faultserver.content(url)
            reply.close()
        finally:
            t.close()


def test_a_drop_mid_body_is_a_network_error_or_a_short_read(faultserver: FaultServer) -> None:
    url = faultserver.url("drop.bin", size=2 * MIB, drop=300_000)
    t = transport_for(url)
    try:
        reply = t.get(url, 0, 2 * MIB - 1)
        buf = memoryview(bytearray(MIB))
        got = bytearray()
        while (n := reply.readinto(buf)) > 0:
            got += buf[:n]
        assert bytes(got) == faultserver.content(url)[:len(got)] and len(got) <= 300_000
        reply.close()
    finally:
        t.close()


@contextlib.contextmanager
def stalling_server(body_bytes: int) -> Iterator[str]:
    """A server that answers with a 1 MiB Content-Length, sends `body_bytes`, then goes silent
    with the connection open (a real socket: the fault server always sends at least 1 B/s)."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Length: 1048576\r\n"
                         b"Content-Range: bytes 0-1048575/1048576\r\n\r\n" + b"x" * body_bytes)
            done.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/stall.bin"
    finally:
        done.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize("body_bytes", [0, 100_000])
def test_a_silent_server_times_out_on_the_socket_path(body_bytes: int) -> None:
    with stalling_server(body_bytes) as url:
        t = transport_for(url, timeout=0.5)   # (a read timeout can come late, never early)
        began = time.monotonic()
        try:
            reply = t.get(url, 0, MIB - 1)
            with pytest.raises(NetworkError, match="timed out"):
                read_all(reply, MIB, step=MIB)
            reply.close()
        finally:
            t.close()
        assert 0.45 < time.monotonic() - began < 6


def test_abort_unblocks_a_waiting_read() -> None:
    with stalling_server(10) as url:
        t = transport_for(url)
        try:
            reply = t.get(url, 0, MIB - 1)
            threading.Timer(0.3, reply.abort).start()
            began = time.monotonic()
            with contextlib.suppress(NetworkError):
                read_all(reply, MIB, step=MIB)
            assert time.monotonic() - began < 5
            reply.close()
        finally:
            t.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_abort_ends_a_request_to_a_server_that_accepted_and_says_nothing_at_once(scheme: str) -> None:
    """A pause from another thread while the request waits for a TLS handshake or a status line
    that never come (paxel.hangup): the request fails at once, not at the transport's timeout,
    and the transport sends nothing more."""
    with socket.create_server(("127.0.0.1", 0)) as listener:   # the kernel accepts; nobody answers
        url = f"{scheme}://127.0.0.1:{listener.getsockname()[1]}/silent.bin"
        t = transport_for(url, timeout=10.0)
        took = seconds_to_stop(t, url, 0.3)
        with pytest.raises(NetworkError, match="was stopped"):   # for good
            t.get(url, 0, 99)
        t.close()
    assert took < 0.3 + SLACK_S, took


def test_abort_ends_a_request_waiting_on_a_kept_alive_connection(faultserver: FaultServer) -> None:
    """The second request on a kept-alive connection is never answered: aborting it shuts that
    connection (the server sees it close), not a new one."""
    url = faultserver.url("kept.bin", size=4096, silent=1, silent_from=1)
    t = transport_for(url, timeout=10.0)
    reply = t.get(url, 0, 4095)
    assert read_all(reply, 4096) == faultserver.content(url)
    reply.close(reusable=True)
    took = seconds_to_stop(t, url, 0.3, last=4095)
    assert took < 0.3 + SLACK_S, took
    t.close()
    deadline = time.monotonic() + 1.0
    while faultserver.open_connections():
        assert time.monotonic() < deadline, "the silent connection stayed open"
        time.sleep(0.02)
    assert len({r.connection for r in faultserver.requests("GET")}) == 1


def test_abort_ends_a_connect_the_server_never_completes_at_once() -> None:
    """A host that drops the SYN (here: a listener whose accept queue is full): the connect is
    hung up at once too, not at the connect timeout (15 s)."""
    with syn_dropping_port() as port:
        url = f"http://127.0.0.1:{port}/syn.bin"
        t = transport_for(url, timeout=10.0)
        took = seconds_to_stop(t, url, 0.3)
        t.close()
    assert took < 0.3 + SLACK_S, took
