"""paxel.hangup against what a reviewer of its seams would try: a host whose first address
refuses (the next connect reuses the descriptor number), two transports connecting at once on
two threads, and descriptors left behind after many finished requests."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import pytest

from paxel.directtransport import DirectTransport
from paxel.errors import NetworkError
from paxel.transport import HttpTransport
from support.hangups import SLACK_S, seconds_to_stop, syn_dropping_port

KINDS: list[type[HttpTransport]] = [HttpTransport, DirectTransport]


@pytest.fixture
def two_addresses(monkeypatch: pytest.MonkeyPatch) -> str:
    """`twice.test` resolves to 127.0.0.2 (nothing listens there: refused) and then 127.0.0.1,
    as a dual-stack name whose first address is unreachable (the DNS answer is the only
    stand-in: this machine's resolver has one address per name)."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "twice.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return "twice.test"


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> str:
    """`slow.test` takes 0.6 s to resolve to 127.0.0.1 (a slow resolver; the answer is the only
    stand-in, as above)."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow.test":
            time.sleep(0.6)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return "slow.test"


@pytest.mark.parametrize("kind", KINDS, ids=["requests", "urllib3"])
def test_abort_while_the_name_resolves_ends_the_request_before_it_connects(
        slow_dns: str, kind: type[HttpTransport]) -> None:
    """A pause while the host name is still being resolved: the socket comes to the line after
    the hang-up, before its connect, when a shutdown does nothing yet. The connect must not go
    ahead (it did, and the request then waited out the silent server's timeout)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:   # accepts; nobody answers
        url = f"http://{slow_dns}:{listener.getsockname()[1]}/silent.bin"
        t = kind(url, {}, (), None, 10.0)
        took = seconds_to_stop(t, url, 0.2)
        t.close()
    assert took < 0.6 + SLACK_S, took


@pytest.mark.parametrize("kind", KINDS, ids=["requests", "urllib3"])
def test_abort_while_the_name_resolves_never_starts_a_connect_to_a_host_that_drops_the_syn(
        slow_dns: str, kind: type[HttpTransport]) -> None:
    """The same pause, to a host that drops the SYN (a listener whose accept queue is full): a
    shutdown before the connect does not stop it, so the connect waited its whole timeout."""
    with syn_dropping_port() as port:
        url = f"http://{slow_dns}:{port}/syn.bin"
        t = kind(url, {}, (), None, 10.0)
        took = seconds_to_stop(t, url, 0.2)
        t.close()
    assert took < 0.6 + SLACK_S, took


@pytest.mark.parametrize("kind", KINDS, ids=["requests", "urllib3"])
def test_abort_reaches_the_connection_made_to_a_hosts_second_address(
        two_addresses: str, kind: type[HttpTransport]) -> None:
    """The refused first socket is closed and the second gets its descriptor number: the line
    must hold the second, or a pause waits out the silent server's timeout (was the 10-s timeout)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:   # accepts; nobody answers
        url = f"http://{two_addresses}:{listener.getsockname()[1]}/silent.bin"
        t = kind(url, {}, (), None, 10.0)
        took = seconds_to_stop(t, url, 0.3)
        t.close()
    assert took < 0.3 + SLACK_S, took


def _open_fds() -> int:
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_pause_of_one_transport_leaves_anothers_request_alone_and_no_descriptor_behind() -> None:
    """Two transports connect and wait at once on two threads (the audit hook is one for the
    process; each thread's sockets go to its own line): aborting A ends A's request only. After
    both, and after many answered requests, no duplicate is left open."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/silent.bin"
        before = _open_fds()
        a, b = (HttpTransport(url, {}, (), None, 10.0) for _ in range(2))
        ended: dict[str, float] = {}

        def fetch(name: str, t: HttpTransport) -> None:
            with pytest.raises(NetworkError, match="was stopped"):
                t.get(url, 0, 99)
            ended[name] = time.monotonic()

        threads = [threading.Thread(target=fetch, args=(n, t)) for n, t in (("a", a), ("b", b))]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        a.abort()
        threads[0].join(5.0)
        assert "a" in ended and "b" not in ended
        time.sleep(0.3)
        assert "b" not in ended, "aborting A hung up B's request"
        b.abort()
        threads[1].join(5.0)
        assert "b" in ended
        a.close()
        b.close()
    assert _open_fds() <= before
