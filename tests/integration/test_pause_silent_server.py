"""Pause, cancel and service stop act at once even while a connection waits on a silent server.

A server that accepted the TCP connection and then says nothing (no status line, or a body that
stops mid-way) held a pause for the engine's whole wind-down: the connection waited in the HTTP
library for headers nobody sends, and the service waited 5 s for the engine before answering.
IDM or aria2 pause at once; so must paxel, leaving no connection open, and resume from exactly
the bytes it has. Everything through the real service and the CLI as a user runs it; the fault
server (`silent`, `stall_at`) sees whether paxel closed its end.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

MiB = 1 << 20
AT_ONCE = 1.0   # seconds a pause, cancel or stop may take beyond a CLI start-up


def _listed(paxel_env: PaxelEnv, ident: str) -> dict[str, Any]:
    views = json.loads(paxel_env.paxel("list", "--json").stdout)
    [view] = [v for v in views if v["download_id"] == ident]
    return view


def _timed(paxel_env: PaxelEnv, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    began = time.monotonic()
    done = paxel_env.paxel(*args)
    return time.monotonic() - began, done


def _cli_start_up(paxel_env: PaxelEnv) -> float:
    """What one CLI command costs with nothing to wait for (Python, imports, one request): the
    part of a timed `paxel pause` that is not the pause (seconds at a load of 8)."""
    return min(_timed(paxel_env, "list", "--json")[0] for _ in range(2))


def _until(what: str, check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)
    return found


def _waiting_silently(faultserver: FaultServer, path: str, count: int = 1) -> None:
    """The server holds `count` GETs of `path` it will never answer, on open connections."""
    _until(f"{count} unanswered GET(s) of {path}", lambda: len(
        [r for r in faultserver.requests("GET") if r.path == path and r.status == 0]) >= count
        and faultserver.open_connections() >= count)


def _sockets_to(pid: int, port: int) -> list[str]:
    """The process's TCP sockets to `port` in any state (one in TIME-WAIT belongs to no process)."""
    out = subprocess.run(["ss", "-Htanp", f"dport = :{port}"], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if f"pid={pid}," in line]


def _closed_at_once(paxel_env: PaxelEnv, faultserver: FaultServer, url: str) -> None:
    """Within AT_ONCE: the server saw every connection close, and the service holds none."""
    pid = paxel_env.service_pid()
    assert pid is not None
    port = urlsplit(url).port
    assert port is not None
    _until("the server's connections closed", lambda: faultserver.open_connections() == 0, AT_ONCE)
    _until("the service's sockets to the server closed", lambda: not _sockets_to(pid, port), AT_ONCE)


def _quiet(paxel_env: PaxelEnv, name: str) -> None:
    """Our own hang-up is no server failure: no retry, no warning, no error about it logged."""
    log = (paxel_env.state_dir / "service.log").read_text(encoding="utf-8")
    noise = [line for line in log.splitlines() if name in line and (" WARNING " in line or " ERROR " in line)]
    assert not noise, noise


def _completed(paxel_env: PaxelEnv, ident: str) -> Path:
    view = _until("completed", lambda: (v := _listed(paxel_env, ident))["state"] in (
        "completed", "failed") and v, 60)
    assert view["state"] == "completed", view
    return Path(view["path"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add(paxel_env: PaxelEnv, url: str, connections: int) -> str:
    added = json.loads(paxel_env.paxel("add", url, "-n", str(connections), "--json").stdout)
    ident: str = added["download_id"]
    return ident


def test_pause_while_the_server_never_sends_headers_is_at_once_and_resume_completes(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Still "connecting": its first GET got no answer at all. `paxel pause` returns and the list
    says paused at once; no connection stays open; once the server answers, resume completes."""
    url = faultserver.url("hush.bin", size=4 * MiB, silent=1, silent_times=1)
    ident = _add(paxel_env, url, 4)
    _waiting_silently(faultserver, "/hush.bin")
    start_up = _cli_start_up(paxel_env)

    took, paused = _timed(paxel_env, "pause", ident)

    assert "paused" in paused.stdout
    assert _listed(paxel_env, ident)["state"] == "paused"
    assert took - start_up < AT_ONCE, f"pause took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    _closed_at_once(paxel_env, faultserver, url)
    _quiet(paxel_env, "hush.bin")
    paxel_env.paxel("resume", ident)
    assert _sha256(_completed(paxel_env, ident)) == faultserver.sha256(url)


def test_pause_while_the_body_stalls_keeps_exactly_the_bytes_written(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The body stops after 700000 bytes and the server goes quiet: the pause is at once, leaves no
    connection, and the resume asks from exactly byte 700000 (every byte written, none assumed)."""
    stall_at = 700_000
    url = faultserver.url("stall.bin", size=4 * MiB, stall_at=stall_at, stall_ms=120_000)
    ident = _add(paxel_env, url, 1)
    _until("the bytes before the stall written", lambda: _listed(paxel_env, ident)["done"] >= stall_at)
    start_up = _cli_start_up(paxel_env)

    took, _ = _timed(paxel_env, "pause", ident)

    view = _listed(paxel_env, ident)
    assert (view["state"], view["done"]) == ("paused", stall_at)
    assert took - start_up < AT_ONCE, f"pause took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    _closed_at_once(paxel_env, faultserver, url)
    before = len(faultserver.requests("GET"))
    paxel_env.paxel("resume", ident)
    assert _sha256(_completed(paxel_env, ident)) == faultserver.sha256(url)
    assert faultserver.requests("GET")[before].range == f"bytes={stall_at}-{stall_at + MiB - 1}"


def test_pause_while_every_connection_waits_for_headers_mid_download(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The first answer came; the other connections' requests are never answered. A pause ends
    them all at once and says the bytes it has."""
    url = faultserver.url("quiet.bin", size=8 * MiB, silent=1, silent_from=1)
    ident = _add(paxel_env, url, 4)
    _waiting_silently(faultserver, "/quiet.bin", 4)   # three workers, then the first one's next
    start_up = _cli_start_up(paxel_env)

    took, _ = _timed(paxel_env, "pause", ident)

    view = _listed(paxel_env, ident)
    assert (view["state"], view["done"]) == ("paused", MiB)
    assert took - start_up < AT_ONCE, f"pause took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    _closed_at_once(paxel_env, faultserver, url)
    _quiet(paxel_env, "quiet.bin")


@pytest.mark.parametrize("command", ["cancel", "remove"])
def test_cancel_while_the_server_never_sends_headers_is_at_once_and_leaves_nothing(
        paxel_env: PaxelEnv, faultserver: FaultServer, command: str) -> None:
    url = faultserver.url("gone.bin", size=4 * MiB, silent=1)
    ident = _add(paxel_env, url, 4)
    _waiting_silently(faultserver, "/gone.bin")
    start_up = _cli_start_up(paxel_env)

    took, _ = _timed(paxel_env, command, ident)

    views = json.loads(paxel_env.paxel("list", "--json").stdout)
    assert [v["state"] for v in views if v["download_id"] == ident] == (
        ["cancelled"] if command == "cancel" else [])
    assert took - start_up < AT_ONCE, f"{command} took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    _closed_at_once(paxel_env, faultserver, url)
    _quiet(paxel_env, "gone.bin")
    assert not list(paxel_env.downloads.glob("gone*")), "a cancelled download leaves nothing behind"


def test_service_stop_while_the_server_never_sends_headers_is_at_once_and_the_download_goes_on(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    url = faultserver.url("halt.bin", size=4 * MiB, silent=1, silent_times=1)
    ident = _add(paxel_env, url, 4)
    _waiting_silently(faultserver, "/halt.bin")
    pid = paxel_env.service_pid()
    start_up = _cli_start_up(paxel_env)

    took, _ = _timed(paxel_env, "service", "stop")

    _until("the service gone", lambda: paxel_env.service_pid() != pid, 10)
    assert took - start_up < AT_ONCE, f"stop took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    assert faultserver.open_connections() == 0
    paxel_env.paxel("service", "start")
    assert _sha256(_completed(paxel_env, ident)) == faultserver.sha256(url)


def test_a_lowered_host_cap_ends_connections_that_wait_for_headers(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """Four connections wait for answers that never come; `max_connections_per_host` lowered to
    2 ends two of them within a couple of checks, not after the 30-s header deadline."""
    url = faultserver.url("capped.bin", size=8 * MiB, silent=1, silent_from=1)
    ident = _add(paxel_env, url, 4)
    _waiting_silently(faultserver, "/capped.bin", 4)

    paxel_env.paxel("settings", "set", "max_connections_per_host", "2")

    _until("two connections left", lambda: faultserver.open_connections() <= 2, 2.0)
    assert _listed(paxel_env, ident)["state"] == "running"
    _quiet(paxel_env, "capped.bin")


@pytest.mark.parametrize("delimited", ["chunked", "nolength"])
def test_pause_while_a_stream_of_unknown_length_stalls_is_at_once_and_resume_completes(
        paxel_env: PaxelEnv, faultserver: FaultServer, delimited: str) -> None:
    """A body without ranges (one stream, written from byte 0; chunked, or ended by the close)
    stops mid-way and the server goes quiet: the pause is at once all the same (a close-delimited
    body cut by the pause is not taken for its end), and the resume fetches it again whole."""
    url = faultserver.url("flow.bin", size=4 * MiB, stall_at=700_000, stall_ms=120_000, **{delimited: 1})
    ident = _add(paxel_env, url, 4)
    _until("the body stalled", lambda: any(
        r.path == "/flow.bin" and r.sent >= 700_000 for r in faultserver.requests("GET")))
    start_up = _cli_start_up(paxel_env)

    took, _ = _timed(paxel_env, "pause", ident)

    assert _listed(paxel_env, ident)["state"] == "paused"
    assert took - start_up < AT_ONCE, f"pause took {took:.2f} s (a CLI alone {start_up:.2f} s)"
    _closed_at_once(paxel_env, faultserver, url)
    _quiet(paxel_env, "flow.bin")
    paxel_env.paxel("resume", ident)
    assert _sha256(_completed(paxel_env, ident)) == faultserver.sha256(url)
