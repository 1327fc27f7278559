"""The per-user service: crash recovery, one service for many hosts, IPC security, start-up races,
the queue through the CLI, folder policy. Real service processes, real nginx, real SQLite."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from paxel.protocol import PROTOCOL_VERSION
from paxel.service import ipc, lifecycle
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.wire import frame, recv

MiB = 1024 * 1024


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_service_kill9_mid_download_resumes_exactly(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    size = 24 * MiB
    digest = nginx.add_file("crash.bin", size)
    host = paxel_env.host("chrome")
    first_pid = host.hello()["service_pid"]
    view = host.add(2, url=nginx.url("crash.bin", "capped"), connections=2)
    host.wait_written(view["download_id"], 4 * MiB)  # kill once a good part is on disk
    os.kill(first_pid, signal.SIGKILL)
    host.close()

    again = paxel_env.host("firefox")  # the next host finds no service and starts one
    second_pid = again.hello()["service_pid"]
    assert second_pid != first_pid
    done = again.wait_event("completed", view["download_id"])["data"]["download"]
    assert done["path"] == str(paxel_env.downloads / "crash.bin")
    assert sha256(paxel_env.downloads / "crash.bin") == digest
    assert not list(paxel_env.downloads.glob("crash.bin.*")), "no .part or state file left"
    sent = sum(line.bytes_sent for line in nginx.log() if line.request.endswith("/crash.bin"))
    assert sent < size + 8 * MiB, f"resumed, not restarted: nginx sent {sent} bytes for {size}"


def test_two_hosts_share_one_service_queue_and_events(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    digest = nginx.add_file("shared.bin", 8 * MiB)
    chrome, firefox = paxel_env.host("chrome"), paxel_env.host("firefox")
    replies: dict[str, dict[str, Any]] = {}
    threads = [threading.Thread(target=lambda h=h, k=k: replies.__setitem__(k, h.hello()))
               for k, h in (("chrome", chrome), ("firefox", firefox))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert replies["chrome"]["service_pid"] == replies["firefox"]["service_pid"]

    view = chrome.add(2, url=nginx.url("shared.bin", "capped"), connections=2)
    added = firefox.wait_event("added", view["download_id"])
    assert added["data"]["download"]["url"] == view["url"]
    firefox.send({"id": 3, "type": "list"})
    assert [d["download_id"] for d in firefox.reply(3)["result"]["downloads"]] == [view["download_id"]]
    for host in (chrome, firefox):
        done = host.wait_event("completed", view["download_id"])["data"]["download"]
        assert sha256(Path(done["path"])) == digest


@pytest.mark.parametrize("first", [
    {"id": 1, "type": "hello", "client": "intruder", "version": 1},
    {"id": 1, "type": "list"},
    {"id": 1, "type": "auth", "secret": "0" * 64},
    {"id": 1, "type": "auth", "secret": ""},
])
def test_client_without_the_secret_is_refused(paxel_env: PaxelEnv, first: dict[str, Any]) -> None:
    paxel_env.paxel("service", "start")
    runtime = paxel_env.paxel_runtime
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert stat.S_IMODE((runtime / "paxel.sock").stat().st_mode) == 0o600
    assert stat.S_IMODE((runtime / "secret").stat().st_mode) == 0o600
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(runtime / "paxel.sock"))
        sock.sendall(frame(first) + frame({"id": 2, "type": "list"}))
        reply = recv(sock)
        assert reply is not None and reply["error"]["name"] == "UNAUTHORIZED"
        assert recv(sock) is None, "the service hangs up after a refusal, the list is never answered"
    # the right secret works on the same socket
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(runtime / "paxel.sock"))
        secret = (runtime / "secret").read_text().strip()
        sock.sendall(frame({"id": 1, "type": "auth", "secret": secret}) + frame({"id": 2, "type": "list"}))
        assert recv(sock) == {"id": 1, "ok": True, "version": PROTOCOL_VERSION, "result": {}}
        reply = recv(sock)
        assert reply is not None and reply["ok"] and reply["result"]["downloads"] == []


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_two_service_starts_at_once_one_survives(paxel_env: PaxelEnv, transport: str) -> None:
    if transport == "tcp":
        paxel_env.use_tcp()
    endpoint = paxel_env.port_file if transport == "tcp" else paxel_env.paxel_runtime / "paxel.sock"
    argv = [sys.executable, "-m", "paxel", "service", "run"]
    starts = [subprocess.Popen(argv, env=paxel_env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(3)]
    try:
        pid = paxel_env.wait_service()
        winner = next(p for p in starts if p.pid == pid)
        for loser in starts:
            if loser is not winner:
                assert loser.wait(10) == 0
                assert "already running" in (loser.stderr.read() if loser.stderr else "")
        assert winner.poll() is None
        assert endpoint.exists()
        status = paxel_env.paxel("service", "status")
        assert f"pid {pid}" in status.stdout
        assert "stopped" in paxel_env.paxel("service", "stop").stdout
        assert winner.wait(10) == 0
        assert not paxel_env.pid_file.exists() and not endpoint.exists()
    finally:
        for process in starts:
            if process.poll() is None:
                process.kill()
            process.communicate()
    assert paxel_env.paxel("service", "status", check=False).returncode == 3


def _tcp_port(paxel_env: PaxelEnv) -> int:
    return int(paxel_env.port_file.read_text())


def test_tcp_transport_end_to_end(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Windows' transport, run here: host → service over 127.0.0.1, a real download, the secret
    still required, no Unix socket anywhere."""
    paxel_env.use_tcp()
    digest = nginx.add_file("tcp.bin", 4 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("tcp.bin", "capped"), connections=2)
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    assert sha256(Path(done["path"])) == digest
    assert not (paxel_env.paxel_runtime / "paxel.sock").exists()
    assert stat.S_IMODE(paxel_env.port_file.stat().st_mode) == 0o600
    port = _tcp_port(paxel_env)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:  # another user can get here
        greeting = recv(sock)  # the service proves itself first (here: to a client without the secret)
        secret = (paxel_env.paxel_runtime / "secret").read_text().strip()
        expected = ipc.service_proof(secret, sock.getsockname()[1], port)
        assert greeting == {"event": "service", "version": PROTOCOL_VERSION, "data": {"proof": expected}}
        wrong = {"id": 1, "type": "auth", "secret": "0" * 64}
        sock.sendall(frame(wrong) + frame({"id": 2, "type": "list"}))
        reply = recv(sock)
        assert reply is not None and reply["error"]["name"] == "UNAUTHORIZED"
        assert recv(sock) is None
    with pytest.raises(OSError):  # loopback only
        socket.create_connection((_outside_address(), port), timeout=2).close()
    assert host.close() == 0


def _outside_address() -> str:
    """An address of this machine that is not loopback (the service must not listen there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent, it only picks the route
        address: str = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("no non-loopback address on this machine")
    return address


class _Impostor:
    """Another local user's listener on a port a stale endpoint file names: it greets with a
    made-up proof and records every byte a client sends it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port: int = self.server.getsockname()[1]
        self.received = b""
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                self.connections += 1
                conn.sendall(frame({"event": "service", "version": 1, "data": {"proof": "0" * 64}}))
                conn.settimeout(2)
                try:
                    while chunk := conn.recv(65536):
                        self.received += chunk
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


def test_impostor_on_a_stale_tcp_port_gets_nothing(paxel_env: PaxelEnv) -> None:
    """The service died, another user took its port: clients must not hand it the secret (nor
    cookies later); they treat it as "no service" and start a real one."""
    paxel_env.use_tcp()
    impostor = _Impostor()
    try:
        paxel_env.paxel_runtime.mkdir(mode=0o700)
        paxel_env.port_file.write_text(f"{impostor.port}\n")
        (paxel_env.paxel_runtime / "secret").write_text("ab" * 32)  # the dead service's secret
        assert paxel_env.paxel("service", "status", check=False).returncode == 3
        assert "running (pid" in paxel_env.paxel("service", "start").stdout
        assert _tcp_port(paxel_env) != impostor.port
    finally:
        impostor.close()
    assert impostor.connections >= 2 and impostor.received == b""


def test_stale_tcp_endpoint_is_replaced(paxel_env: PaxelEnv) -> None:
    """A service killed -9 leaves its endpoint file behind, like a stale socket: the next client
    finds nobody on that port and starts a new service; a garbled file means "not running"."""
    paxel_env.use_tcp()
    paxel_env.paxel("service", "start")
    first = paxel_env.wait_service()
    os.kill(first, signal.SIGKILL)
    while paxel_env.service_pid() == first:
        time.sleep(0.02)
    assert paxel_env.port_file.exists(), "kill -9 leaves the endpoint file"
    assert paxel_env.paxel("service", "status", check=False).returncode == 3
    host = paxel_env.host("firefox")
    second = host.hello()["service_pid"]
    assert second != first
    host.close()
    paxel_env.paxel("service", "stop")
    paxel_env.port_file.write_text("garbage\n")
    status = paxel_env.paxel("service", "status", check=False)
    assert status.returncode == 3 and "not running" in status.stdout
    assert "running (pid" in paxel_env.paxel("service", "start").stdout


def test_two_hosts_racing_to_start_the_service_get_one(paxel_env: PaxelEnv) -> None:
    hosts = [paxel_env.host("chrome"), paxel_env.host("firefox"), paxel_env.host("chrome")]
    for host in hosts:
        host.send({"id": 1, "type": "hello", "client": "t", "version": 1})
    pids = {host.reply(1, timeout=20)["result"]["service_pid"] for host in hosts}
    assert len(pids) == 1


def test_queue_through_the_cli(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    paxel_env.write_settings(max_concurrent=1)
    for name in ("q1.bin", "q2.bin"):
        nginx.add_file(name, 16 * MiB)
    # slow enough that neither can end between two CLI calls on a loaded machine (q2 must still
    # be running when it is removed; q1 still running when it is paused), and q1 at 2 MiB/s
    # still completes within the deadline below
    first = json.loads(paxel_env.paxel("add", nginx.url("q1.bin") + "?slow=2m", "-n", "1",
                                       "--json").stdout)
    second = json.loads(paxel_env.paxel("add", nginx.url("q2.bin") + "?slow=256k", "-n", "2",
                                        "--json").stdout)
    assert second["state"] == "queued", "max_concurrent=1: the second one waits"
    assert second["connections"] == 2

    def states() -> dict[str, str]:
        views = json.loads(paxel_env.paxel("list", "--json").stdout)
        return {v["download_id"]: v["state"] for v in views}

    assert states() == {first["download_id"]: "running", second["download_id"]: "queued"}
    assert "paused" in paxel_env.paxel("pause", first["download_id"]).stdout
    deadline = time.monotonic() + 5
    while states()[second["download_id"]] != "running":
        assert time.monotonic() < deadline, "pausing frees the slot"
        time.sleep(0.05)
    assert "cancelled" in paxel_env.paxel("cancel", second["download_id"]).stdout
    bad = paxel_env.paxel("resume", second["download_id"], check=False)
    assert bad.returncode != 0 and "cancelled" in bad.stderr
    assert "queued" in paxel_env.paxel("retry", second["download_id"]).stdout
    paxel_env.paxel("resume", first["download_id"])
    assert "removed" in paxel_env.paxel("remove", second["download_id"]).stdout
    assert not list(paxel_env.downloads.glob("q2.bin*")), "removing a running download removes its .part"
    missing = paxel_env.paxel("pause", "d-missing", check=False)
    assert missing.returncode != 0 and "no download d-missing" in missing.stderr
    deadline = time.monotonic() + 20
    while states()[first["download_id"]] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert (paxel_env.downloads / "q1.bin").stat().st_size == 16 * MiB
    assert "1 in history" in paxel_env.paxel("service", "status").stdout


def test_folder_policy(paxel_env: PaxelEnv, nginx: Nginx, tmp_path: Path) -> None:
    nginx.add_file("f.bin", 1024)
    outside = tmp_path / "outside"
    outside.mkdir()
    (paxel_env.downloads / "link").symlink_to(outside)
    host = paxel_env.host("chrome")
    host.hello()
    refused = [str(outside), str(paxel_env.downloads / "link"), str(paxel_env.downloads / "link" / "sub"),
               str(paxel_env.downloads / ".." / "escape"), "/"]
    for number, folder in enumerate(refused, start=10):
        host.send({"id": number, "type": "download", "url": nginx.url("f.bin"), "folder": folder})
        assert host.reply(number)["error"]["name"] == "FOLDER_NOT_ALLOWED", folder
    assert not (paxel_env.home / "escape").exists() and not list(outside.iterdir())
    view = host.add(2, url=nginx.url("f.bin"), folder=str(paxel_env.downloads / "sub" / "dir"))
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    assert Path(done["path"]) == paxel_env.downloads / "sub" / "dir" / "f.bin"


def test_unfinished_downloads_resume_after_a_clean_stop(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    digest = nginx.add_file("stop.bin", 12 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("stop.bin", "capped"), connections=1)
    host.wait_event("progress", view["download_id"])
    host.close()
    paxel_env.paxel("service", "stop")
    assert paxel_env.service_pid() is None
    again = paxel_env.host("chrome")
    again.hello()
    done = again.wait_event("completed", view["download_id"])["data"]["download"]
    assert sha256(Path(done["path"])) == digest


def test_deleted_file_shows_as_missing(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("gone.bin", 4096)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("gone.bin"))
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    Path(done["path"]).unlink()
    assert host.wait_event("missing", view["download_id"])["data"]["download"]["state"] == "missing"


def test_same_url_twice_at_once_gives_two_exact_files(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Started together, with nothing held back: the engine's claim on the `.part` (O_EXCL + lock)
    alone keeps them from picking (or resuming) the same one. They finish in any order, so the
    events are read as they come (wait_event skips events about other downloads)."""
    digest = nginx.add_file("twice.bin", 6 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    ids = {host.add(n, url=nginx.url("twice.bin", "capped"), connections=2)["download_id"] for n in (2, 3, 4)}
    paths: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while len(paths) < len(ids):
        message = host.recv(max(0.1, deadline - time.monotonic()))
        download = message.get("data", {}).get("download", {})
        assert message.get("event") != "failed", download
        if message.get("event") == "completed" and download["download_id"] in ids:
            paths[download["download_id"]] = download["path"]
    assert set(paths.values()) == {str(paxel_env.downloads / n)
                                   for n in ("twice.bin", "twice (1).bin", "twice (2).bin")}
    assert all(sha256(Path(p)) == digest for p in paths.values())


def test_pause_resume_at_once_then_cancel_after_pause(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    digest = nginx.add_file("flip.bin", 12 * MiB)
    nginx.add_file("drop.bin", 12 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    flip = host.add(2, url=nginx.url("flip.bin", "capped"), connections=2)
    drop = host.add(3, url=nginx.url("drop.bin", "capped"), connections=2)
    host.wait_event("progress", drop["download_id"])
    for number, (kind, view) in enumerate([("pause", flip), ("resume", flip), ("pause", drop),
                                           ("cancel", drop)], start=10):
        host.send({"id": number, "type": kind, "download_id": view["download_id"]})  # no waiting between
    replies: dict[int, dict[str, Any]] = {}
    completed: dict[str, Any] = {}
    deadline = time.monotonic() + 20
    while len(replies) < 4 or not completed:  # the completion may come before the last replies
        message = host.recv(max(0.1, deadline - time.monotonic()))
        if "ok" in message:
            replies[message["id"]] = message
        elif message.get("event") == "completed":
            completed = message["data"]["download"]
    assert all(reply["ok"] for reply in replies.values()), replies
    assert completed["download_id"] == flip["download_id"]
    assert sha256(Path(completed["path"])) == digest
    host.send({"id": 20, "type": "list"})
    states = {d["download_id"]: d["state"] for d in host.reply(20)["result"]["downloads"]}
    assert states == {flip["download_id"]: "completed", drop["download_id"]: "cancelled"}
    assert [replies[n]["result"]["download"]["stop_reason"] for n in (10, 11, 12, 13)] == [
        "pause", None, "pause", "cancel"]
    assert completed["stop_reason"] is None
    time.sleep(0.3)
    assert not list(paxel_env.downloads.glob("drop*")), "a cancelled download leaves nothing behind"


def test_file_changed_on_the_server_restarts_and_still_announces_completion(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The engine starts over (dropping its `.part` and choosing the name again) when the file
    changes mid-download; `completed` still comes, for the new bytes."""
    url = faultserver.url("changing.bin", size=4 * MiB, change_after=2)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=url, connections=4)
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    assert done["path"] == str(paxel_env.downloads / "changing.bin")
    assert sha256(Path(done["path"])) == faultserver.sha256(url, version=1)


def test_the_service_sends_and_enforces_its_lifecycle_table(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("table.bin", 12 * MiB)
    host = paxel_env.host("firefox")
    hello = host.hello()
    assert hello["lifecycle"] == lifecycle.describe() and "lifecycle" in hello["capabilities"]
    view = host.add(2, url=nginx.url("table.bin", "capped"), connections=1)
    host.wait_event("progress", view["download_id"])
    host.send({"id": 3, "type": "open", "download_id": view["download_id"], "what": "folder"})
    refused = host.reply(3)["error"]
    assert (refused["name"], refused["message"]) == (
        "BAD_STATE", f"download {view['download_id']} is running; this needs it completed")
    host.send({"id": 4, "type": "retry", "download_id": view["download_id"]})
    assert "this needs it failed or cancelled" in host.reply(4)["error"]["message"]
    host.send({"id": 5, "type": "cancel", "download_id": view["download_id"]})
    cancelled = host.reply(5)["result"]["download"]
    assert (cancelled["state"], cancelled["stop_reason"]) == ("cancelled", "cancel")
    host.send({"id": 6, "type": "retry", "download_id": view["download_id"]})
    again = host.reply(6)["result"]["download"]
    assert (again["state"], again["stop_reason"]) == ("queued", None)


def test_a_paused_download_says_the_bytes_it_has_from_the_moment_it_is_paused(
        paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """The reply to `pause` and its `paused` event carry the bytes the download stopped at, not
    the count last stored (once a second): nothing more is announced for a paused download, so a
    popup or panel showed that old count (0 B in the first second) until the next change."""
    nginx.add_file("paused-done.bin", 64 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("paused-done.bin", "capped"), connections=2)  # 16 MiB/s
    host.wait_written(view["download_id"], 1)  # a first progress event may still say 0 B (load)

    reply = host.ask(3, type="pause", download_id=view["download_id"])

    assert reply["ok"], reply
    event = host.wait_event("paused", view["download_id"])["data"]["download"]
    time.sleep(1.5)  # past the next store of the count, had the download gone on
    host.send({"id": 4, "type": "list"})
    [listed] = host.reply(4)["result"]["downloads"]
    told = reply["result"]["download"]
    assert listed["state"] == "paused" and 0 < listed["done"] < 64 * MiB, listed
    assert (told["done"], event["done"]) == (listed["done"], listed["done"])
