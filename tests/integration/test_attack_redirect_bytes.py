"""A strange server's redirect: a Location header with raw UTF-8 bytes (`/café.bin` not
percent-encoded), as many servers send. http.client hands header values over decoded as
latin-1, so paxel followed `/cafÃ©.bin` (`GET /caf%C3%83%C2%A9.bin`), a file the server does not
have, and saved what it got as `cafÃ©.bin`. Browsers and curl read those bytes as UTF-8."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.faultserver import FaultServer
from support.rawserver import raw_server

PAXEL = [sys.executable, "-m", "paxel.cli"]


@pytest.fixture
def utf8_redirector() -> Iterator[tuple[str, list[bytes]]]:
    """`/start` redirects to `/café.bin` in raw UTF-8; that path is 200 `hello`, anything else 404."""
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        line = conn.recv(65536).split(b"\r\n")[0]
        seen.append(line)
        if line.startswith(b"GET /start "):
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /caf\xc3\xa9.bin\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")  # fmt: skip
        elif line.startswith(b"GET /caf%C3%A9.bin "):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    with raw_server(answer) as port:
        yield f"http://127.0.0.1:{port}/start", seen


@pytest.mark.timeout(60)
def test_a_location_in_raw_utf8_is_followed_as_a_browser_does(
        utf8_redirector: tuple[str, list[bytes]], tmp_path: Path) -> None:
    url, seen = utf8_redirector
    run = subprocess.run([*PAXEL, url, "-q"], capture_output=True, text=True, timeout=50, cwd=tmp_path,
                         check=False)  # fmt: skip
    assert run.returncode == 0, (run.stderr, seen)
    assert b"GET /caf%C3%A9.bin HTTP/1.1" in seen, seen
    assert [p.name for p in tmp_path.iterdir()] == ["café.bin"]
    assert (tmp_path / "café.bin").read_bytes() == b"hello"


@pytest.mark.timeout(60)
def test_a_disposition_name_in_raw_utf8_is_read_as_a_browser_does(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """`filename="café ✓.bin"` in raw UTF-8 bytes: saved as `cafÃ© â\\x9c\\x93.bin` before."""
    url = faultserver.url("cd.bin", size=4096, cd='attachment; filename="café ✓.bin"')
    run = subprocess.run([*PAXEL, url, "-q"], capture_output=True, text=True, timeout=50, cwd=tmp_path,
                         check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["café ✓.bin"]
