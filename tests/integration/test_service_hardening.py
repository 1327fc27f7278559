"""The service against what another local user or bad luck can do to it: idle connections that
never authenticate, a thread that cannot start, slow requests. Real service processes on the TCP
transport (anyone on the machine can connect to it), real sockets, real kernel limits."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest

from paxel.protocol import PROTOCOL_VERSION
from paxel.service import gate, peer
from support.paxel_env import PaxelEnv
from support.wire import frame, recv


def _tcp_service(paxel_env: PaxelEnv) -> tuple[psutil.Process, int]:
    paxel_env.use_tcp()
    paxel_env.paxel("service", "start")
    pid = paxel_env.wait_service()
    return psutil.Process(pid), int(paxel_env.port_file.read_text())


def _authenticated(paxel_env: PaxelEnv, port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert recv(sock) is not None  # greeting
    secret = (paxel_env.paxel_runtime / "secret").read_text().strip()
    sock.sendall(frame({"id": 1, "type": "auth", "secret": secret}))
    assert recv(sock) == {"id": 1, "ok": True, "version": PROTOCOL_VERSION, "result": {}}
    return sock


def _answers_list(sock: socket.socket, request_id: int = 2) -> bool:
    sock.sendall(frame({"id": request_id, "type": "list"}))
    reply = recv(sock)
    return reply is not None and reply.get("ok") is True


def test_idle_unauthenticated_connections_pin_no_thread_and_are_bounded(paxel_env: PaxelEnv) -> None:
    service, port = _tcp_service(paxel_env)
    threads_before = service.num_threads()
    with ExitStack() as stack:
        idle = [stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
                for _ in range(300)]
        time.sleep(1.0)
        assert service.num_threads() <= threads_before + 2, "a thread per idle connection"
        held = [c for c in service.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED]
        assert len(held) <= gate.MAX_UNAUTHENTICATED + 1
        with _authenticated(paxel_env, port) as sock:  # the user still gets in, at once
            assert _answers_list(sock)
        assert idle


def test_unauthenticated_connection_is_dropped_at_the_deadline(paxel_env: PaxelEnv) -> None:
    """The deadline (paxel.deadlines; 5 s) shortened to 2 s: the gate checks it every second."""
    deadline = 2.0
    paxel_env.env["PAXEL_AUTH_DEADLINE_S"] = str(deadline)
    _, port = _tcp_service(paxel_env)
    timeout = deadline + 5
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as begun, \
            socket.create_connection(("127.0.0.1", port), timeout=timeout) as silent:
        started = time.monotonic()
        assert recv(begun) is not None and recv(silent) is not None  # greetings
        begun.sendall(b"\x40\x00\x00\x00{")  # a frame begun, never finished
        assert begun.recv(1) == b"", "the service hangs up"
        assert silent.recv(1) == b"", "also on one that sent nothing at all"
        assert deadline - 1 < time.monotonic() - started < deadline + 2


class ThreadLimit:
    """Stops a process from starting threads, with a real kernel limit: a pids cgroup (its
    pids.max) when we are root (root ignores RLIMIT_NPROC), else RLIMIT_NPROC's soft limit."""

    def __init__(self) -> None:
        self.group: Path | None = None
        self.base: Path | None = None
        self.saved: dict[int, tuple[int, int]] = {}
        if os.geteuid() != 0:
            return
        for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
            if (base / "cgroup.procs").exists() and os.access(base, os.W_OK):
                group = base / f"paxel-test-{os.getpid()}"
                try:
                    group.mkdir()
                except OSError:
                    continue
                if (group / "pids.max").exists():
                    self.group, self.base = group, base
                    return
                group.rmdir()
        pytest.skip("root without a writable pids cgroup: no way to refuse threads here")

    def stop(self, process: psutil.Process) -> None:
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(process.pid))
            (self.group / "pids.max").write_text(str(process.num_threads()))
        else:
            self.saved[process.pid] = process.rlimit(psutil.RLIMIT_NPROC)
            process.rlimit(psutil.RLIMIT_NPROC, (1, self.saved[process.pid][1]))

    def allow(self, process: psutil.Process) -> None:
        if self.group is not None:
            (self.group / "pids.max").write_text("max")
        elif process.pid in self.saved:
            process.rlimit(psutil.RLIMIT_NPROC, self.saved.pop(process.pid))

    def close(self) -> None:
        if self.group is not None and self.base is not None:
            for pid in (self.group / "cgroup.procs").read_text().split():  # back with the others
                (self.base / "cgroup.procs").write_text(pid)
            self.group.rmdir()


@pytest.fixture
def thread_limit() -> Iterator[ThreadLimit]:
    limit = ThreadLimit()
    yield limit
    limit.close()


def test_a_thread_that_cannot_start_does_not_kill_the_service(paxel_env: PaxelEnv,
                                                              thread_limit: ThreadLimit) -> None:
    service, port = _tcp_service(paxel_env)
    thread_limit.stop(service)  # no new thread from now on
    refused = []
    for _ in range(3):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                recv(sock)
                secret = (paxel_env.paxel_runtime / "secret").read_text().strip()
                sock.sendall(frame({"id": 1, "type": "auth", "secret": secret}) +
                             frame({"id": 2, "type": "list"}))
                recv(sock)  # the auth's reply: it was right
                refused.append(recv(sock))
        except OSError as exc:
            refused.append({"oserror": str(exc)})
    assert service.is_running() and service.status() != psutil.STATUS_ZOMBIE, refused
    assert refused == [None] * 3, "no thread to read its requests: the client is hung up on"
    thread_limit.allow(service)
    with _authenticated(paxel_env, port) as sock:
        assert _answers_list(sock)


def test_slow_requests_do_not_delay_others_in_the_service(paxel_env: PaxelEnv) -> None:
    _, port = _tcp_service(paxel_env)
    with socket.socket() as black_hole, _authenticated(paxel_env, port) as sock:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(64)
        url = f"http://127.0.0.1:{black_hole.getsockname()[1]}/never.bin"
        for request_id in range(10, 30):
            sock.sendall(frame({"id": request_id, "type": "probe", "url": url}))
        time.sleep(0.3)
        started = time.monotonic()
        assert _answers_list(sock)
        assert time.monotonic() - started < 1.0


STAMPEDE = """
import json, sys, threading
from paxel.client import ServiceClient

count = int(sys.argv[1])
barrier = threading.Barrier(count)
results = []

def one():
    barrier.wait()
    try:
        client = ServiceClient.connect("stampede", start=True)
        results.append(client.hello["service_pid"])
        client.close()
    except Exception as exc:
        results.append(repr(exc))

threads = [threading.Thread(target=one) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results))
"""


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_hundred_clients_auto_starting_at_once_get_one_service(paxel_env: PaxelEnv, transport: str) -> None:
    """4 processes x 25 threads connect at the same moment with no service running: exactly one
    service starts and every one of them is connected to it (a still-starting or busy service
    is not an absent one)."""
    import subprocess
    import sys

    if transport == "tcp":
        paxel_env.use_tcp()
    clients = [subprocess.Popen([sys.executable, "-c", STAMPEDE, "25"], env=paxel_env.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    results = []
    for process in clients:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        results += json.loads(out)
    paxel_env.note_service()
    assert len(results) == 100
    assert {str(r) for r in results if not isinstance(r, int)} == set()
    assert len(set(results)) == 1
    service_log = (paxel_env.state_dir / "service.log").read_text()
    assert service_log.count(" listening on ") == 1
    spawned_in_vain = (paxel_env.state_dir / "service.out").read_text().count("already running")
    assert spawned_in_vain == 0, "one client starts the service, the others wait for it"


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_a_deleted_secret_heals_within_seconds(paxel_env: PaxelEnv, transport: str) -> None:
    if transport == "tcp":
        paxel_env.use_tcp()
    host = paxel_env.host("chrome")
    host.hello()
    secret = paxel_env.paxel_runtime / "secret"
    old = secret.read_text()
    secret.unlink()
    started = time.monotonic()
    status = paxel_env.paxel("service", "status", check=False, timeout=60)
    assert status.returncode == 0, status.stderr
    assert time.monotonic() - started < 5.0
    assert secret.read_text() != old, "a new secret: the old one may be in someone's hands"
    host.send({"id": 2, "type": "list"})
    assert host.reply(2)["ok"], "a client connected before keeps working"


def test_a_deleted_socket_heals_within_seconds(paxel_env: PaxelEnv) -> None:
    """The service cannot listen again where its socket was: it exits, and the next client
    starts a fresh one."""
    first = paxel_env.paxel("service", "start")
    (paxel_env.paxel_runtime / "paxel.sock").unlink()
    started = time.monotonic()
    again = paxel_env.paxel("service", "start", check=False, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout != first.stdout, "another pid"
    assert time.monotonic() - started < 8.0


def test_a_display_that_never_answers_delays_no_request(paxel_env: PaxelEnv) -> None:
    """DISPLAY names an X server that accepts and never answers (a stopped Xvfb, an X forward
    gone dead): XOpenDisplay blocks for ever. A new download (which opens the panel where a
    display exists) and an explicit show_panel must still leave the client's other requests
    answered at once."""
    with socket.socket() as x_server:
        for number in range(150, 400):
            try:
                x_server.bind(("127.0.0.1", 6000 + number))
                break
            except OSError:
                continue
        x_server.listen(16)
        paxel_env.env["DISPLAY"] = f"127.0.0.1:{number}"
        host = paxel_env.host("chrome")
        host.hello()
        host.send({"id": 2, "type": "download", "url": "http://127.0.0.1:9/never.bin"})
        host.send({"id": 3, "type": "show_panel"})
        started = time.monotonic()
        host.send({"id": 4, "type": "list"})
        assert host.reply(4, timeout=20)["ok"]
        assert host.reply(2, timeout=20)["ok"]
        assert time.monotonic() - started < 3.0


def test_eviction_while_the_evicted_one_speaks_keeps_the_service(paxel_env: PaxelEnv) -> None:
    """The gate is full; a new connection arrives and then the oldest waiting one sends a byte,
    both while the service is stopped (SIGSTOP), so its next wake-up reports both, the accept
    first: the accept evicts the oldest, whose read must then be skipped, not crash the gate."""
    from collections import deque

    service, port = _tcp_service(paxel_env)
    with ExitStack() as stack:
        waiting = deque(stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
                        for _ in range(gate.MAX_UNAUTHENTICATED))
        time.sleep(0.3)
        for _ in range(3):
            service.suspend()
            try:
                newcomer = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
                time.sleep(0.05)
                oldest = waiting.popleft()
                oldest.send(b"\x10")
                time.sleep(0.05)
            finally:
                service.resume()
            waiting.append(newcomer)
            time.sleep(0.2)
        assert service.is_running() and service.status() != psutil.STATUS_ZOMBIE
        with _authenticated(paxel_env, port) as sock:
            assert _answers_list(sock)


def test_a_client_that_stops_reading_delays_no_one(paxel_env: PaxelEnv) -> None:
    """Another client of this user (a panel stopped with SIGSTOP, a wedged host) never reads:
    once its socket is full, events for it are dropped with it instead of each broadcast
    waiting up to 5 s on it, and the requests of everyone else go on at their pace."""
    paxel_env.paxel("service", "start")  # Unix socket: the service's send buffer fills fastest
    path = str(paxel_env.paxel_runtime / "paxel.sock")
    secret = (paxel_env.paxel_runtime / "secret").read_text().strip()
    stuck, sock = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
    for client in (stuck, sock):
        client.settimeout(10)
        client.connect(path)
        client.sendall(frame({"id": 1, "type": "auth", "secret": secret}))  # stuck never reads again
    assert recv(sock) == {"id": 1, "ok": True, "version": PROTOCOL_VERSION, "result": {}}
    with stuck, sock:
        slowest = 0.0
        for request_id in range(10, 410):  # each `added` event is ~0.6 KB for the stuck client too
            started = time.monotonic()
            sock.sendall(frame({"id": request_id, "type": "download", "url": f"http://127.0.0.1:9/{request_id}",
                                 "folder": str(paxel_env.downloads)}))
            while (reply := recv(sock)) is not None and reply.get("id") != request_id:
                pass  # events
            assert reply is not None and reply["ok"], reply
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 2.0, f"a request waited {slowest:.1f} s on a client that does not read"
        # its socket took nothing for SEND_TIMEOUT: dropped (seen as the service's end of it
        # closing; reading `stuck` before would let the service send again)
        service = psutil.Process(paxel_env.wait_service())
        deadline = time.monotonic() + peer.SEND_TIMEOUT + 5
        while len(service.net_connections("unix")) > 2:  # its listener, and `sock`
            assert time.monotonic() < deadline, "the client that does not read was never dropped"
            time.sleep(0.05)
        while chunk := stuck.recv(65536):  # what it was sent before it was dropped, then the end
            assert len(chunk) > 0
