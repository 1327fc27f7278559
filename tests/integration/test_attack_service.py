"""The service against its own user's clients gone wrong: clients that stop reading, pipeline
slow requests, trickle, claim 4 GiB frames, or flood the socket. Real service processes, real
sockets."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress

import pytest

from support.paxel_env import PaxelEnv
from support.wire import authenticated, frame, recv, reply, silent_server, start_service


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A server that accepts connections and never answers: the URL of a file on it."""
    with silent_server(backlog=4096) as url:
        yield url


def test_clients_that_stopped_reading_delay_no_other_clientsreply(paxel_env: PaxelEnv,
                                                                  black_hole: str) -> None:
    """A panel or `paxel` suspended with Ctrl-Z, a frozen browser behind its host: clients that
    authenticated and then stopped reading. Their socket buffers fill; the next event to them
    must not hold up another client's `download` reply (the extension's hand-over waits on it)."""
    start_service(paxel_env)
    with ExitStack() as stack:
        for _ in range(4):
            stuck = stack.enter_context(authenticated(paxel_env))
            stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            hello = frame({"id": 2, "type": "hello", "client": "cli", "version": 1})
            stuck.sendall(hello * 400)  # ~1.5 MB of replies it never reads: its buffers fill
        time.sleep(1.0)
        user = stack.enter_context(authenticated(paxel_env, timeout=30))
        started = time.monotonic()
        user.sendall(frame({"id": 5, "type": "download", "url": black_hole}))
        answer = reply(user, 5)
        took = time.monotonic() - started
        assert answer["ok"], answer
        assert took < 2.5, f"the download reply took {took:.1f} s behind clients that do not read"


def test_pipelined_probes_do_not_spawn_a_thread_each(paxel_env: PaxelEnv, black_hole: str) -> None:
    """A buggy or hostile extension pipelines probes to a server that never answers: the service
    must not grow a thread per probe in flight, and `list` still answers at once."""
    service = start_service(paxel_env)
    threads_before = service.num_threads()
    with authenticated(paxel_env, timeout=30) as sock:
        sock.sendall(b"".join(frame({"id": 100 + i, "type": "probe", "url": black_hole})
                              for i in range(300)))
        time.sleep(1.5)
        threads = service.num_threads()
        started = time.monotonic()
        sock.sendall(frame({"id": 7, "type": "list"}))
        assert reply(sock, 7)["ok"]
        assert time.monotonic() - started < 2.0
        assert threads < threads_before + 40, f"{threads} threads for 300 probes in flight"
    assert service.is_running()


def test_a_4_gib_length_claim_costs_only_its_sender(paxel_env: PaxelEnv) -> None:
    """An authenticated client (a bug, a fuzzer) claims a 4 GiB frame and then trickles: the
    service must not buffer it, and every other client goes on."""
    service = start_service(paxel_env)
    rss_before = service.memory_info().rss
    with authenticated(paxel_env) as liar, authenticated(paxel_env) as user:
        liar.sendall(struct.pack("=I", 0xFFFFFFFF) + b"x" * (8 << 20))  # 8 MiB of the claimed 4 GiB
        # (its MESSAGE_TOO_LARGE comes once the 4 GiB were read and dropped: the stream stays in step)
        started = time.monotonic()
        user.sendall(frame({"id": 3, "type": "list"}))
        assert reply(user, 3)["ok"] and time.monotonic() - started < 2.0
        assert service.memory_info().rss - rss_before < 8 << 20


def test_a_flood_of_connections_does_not_keep_the_user_out(paxel_env: PaxelEnv) -> None:
    """3000 connections that never authenticate (this user's own runaway script: only this user
    can reach the Unix socket) while a real client connects: it gets in within seconds."""
    service = start_service(paxel_env)
    path = str(paxel_env.paxel_runtime / "paxel.sock")
    with ExitStack() as stack:
        for _ in range(3000):
            sock = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            sock.setblocking(False)
            with suppress(OSError):  # BlockingIOError, EAGAIN on a full backlog: either way
                sock.connect(path)
        started = time.monotonic()
        done = paxel_env.paxel("list", timeout=60)
        took = time.monotonic() - started
        assert done.returncode == 0
        assert took < 15, f"paxel list took {took:.1f} s behind the flood"
        assert service.num_threads() < 30


def test_a_trickling_client_and_thousands_of_pipelined_requests(paxel_env: PaxelEnv) -> None:
    """One client sends its frame a byte at a time after `auth`; another pipelines 3000 requests
    before reading any reply: every reply comes, in order, and the trickler is answered too."""
    start_service(paxel_env)
    with authenticated(paxel_env, timeout=30) as slow, authenticated(paxel_env, timeout=30) as busy:
        trickle = frame({"id": 9, "type": "list"})
        for byte in trickle[:-1]:
            slow.send(bytes([byte]))
            time.sleep(0.005)
        started = time.monotonic()
        busy.sendall(b"".join(frame({"id": 1000 + i, "type": "list"}) for i in range(3000)))
        ids = [recv(busy) for _ in range(3000)]
        took = time.monotonic() - started
        assert [m["id"] for m in ids if m] == list(range(1000, 4000))
        assert took < 20, f"3000 pipelined lists took {took:.1f} s"
        slow.send(trickle[-1:])
        assert reply(slow, 9)["ok"]
