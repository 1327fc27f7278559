"""Speaking the service's framing on a raw socket, a server that never answers, and acting as
another local user: for the attack, hardening, lifecycle and relay tests and tests/e2e."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psutil

from support.paxel_env import PaxelEnv

NOBODY = 65534


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack("=I", len(body)) + body


def recv(sock: socket.socket) -> dict[str, Any] | None:
    header = sock.recv(4, socket.MSG_WAITALL)
    if len(header) < 4:
        return None
    (length,) = struct.unpack("=I", header)
    result: dict[str, Any] = json.loads(sock.recv(length, socket.MSG_WAITALL))
    return result


def reply(sock: socket.socket, request_id: int) -> dict[str, Any]:
    """The reply to request_id, skipping events."""
    while True:
        message = recv(sock)
        assert message is not None, "the service hung up"
        if message.get("id") == request_id and "ok" in message:
            return message


@contextlib.contextmanager
def silent_server(path: str = "never.bin", backlog: int = 64) -> Iterator[str]:
    """The URL of a file on a server that completes the TCP handshake (the kernel does, up to
    `backlog` at once) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(backlog)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/{path}"


def start_service(paxel_env: PaxelEnv) -> psutil.Process:
    paxel_env.paxel("service", "start")
    return psutil.Process(paxel_env.wait_service())


def authenticated(paxel_env: PaxelEnv, timeout: float = 10.0) -> socket.socket:
    """A Unix-socket connection to the env's service that passed `auth`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(str(paxel_env.paxel_runtime / "paxel.sock"))
    secret = (paxel_env.paxel_runtime / "secret").read_text().strip()
    sock.sendall(frame({"id": 1, "type": "auth", "secret": secret}))
    assert reply(sock, 1)["ok"]
    return sock


def as_nobody(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run python code as uid/gid nobody (a second local user)."""
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                           sys.executable, "-I", "-c", code],
                          capture_output=True, text=True, timeout=30, env=env or {"PATH": "/usr/bin:/bin"},
                          check=False)


def open_up(paxel_env: PaxelEnv) -> None:
    """Make the env's home and XDG bases 0755 as on a stock Debian: paxel's own folders must be
    what keeps another user out (XDG_RUNTIME_DIR stays 0700: platformdirs insists, rightly)."""
    bases = [paxel_env.root / name for name in ("data", "state", "config")]
    for folder in (paxel_env.root, paxel_env.home, *bases):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
