"""Slow-connection replacement and servers that refuse connections, against a real nginx.

/uneven/ gives every 4th TCP connection (nginx's connection number) a tenth of the rate for its
whole life; /limited/ refuses more than 4 connections at once with 503. Every result is checked
by sha256; nginx's access log says which connection carried which bytes. No wall-time asserts:
speed is the benchmark's business (bench/run.py, scenario `uneven`).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from paxel import download
from paxel.retry import RetryPolicy
from support.nginx import LogLine, Nginx

MiB = 1 << 20
FAST_RETRY = RetryPolicy(base=0.1, cap=0.5)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lines_for(nginx: Nginx, name: str) -> list[LogLine]:
    time.sleep(0.2)  # nginx logs a request once it has finished with it
    return [line for line in nginx.log() if line.request.endswith("/" + name)]


@pytest.fixture
def server(nginx: Nginx) -> Nginx:
    nginx.clear_log()
    return nginx


def test_a_server_that_refuses_extra_connections_gets_the_exact_bytes(server: Nginx, tmp_path: Path) -> None:
    digest = server.add_file("limited.bin", 48 * MiB)
    path = download(server.url("limited.bin", "limited"), output=tmp_path / "limited.bin",
                    connections=16)
    assert sha256(path) == digest
    lines = lines_for(server, "limited.bin")
    assert any(line.status == 503 for line in lines), "the server never refused: the test proves nothing"
    assert sum(line.bytes_sent for line in lines if line.status == 206) <= 48 * MiB * 1.05


def test_slow_connections_are_replaced_by_new_ones(server: Nginx, tmp_path: Path) -> None:
    digest = server.add_file("uneven.bin", 64 * MiB)
    path = download(server.url("uneven.bin", "uneven"), output=tmp_path / "uneven.bin", connections=16)
    assert sha256(path) == digest
    lines = lines_for(server, "uneven.bin")
    slow = [line for line in lines if line.connection % 4 == 0]
    assert slow, "no slow connection: the test proves nothing"
    # a slow connection (10x slower) is noticed and its remainder moves to a NEW connection:
    # more TCP connections than workers, and the slow ones carry far less than a fair share
    assert len({line.connection for line in lines}) > 16
    fair = 64 * MiB / 16
    assert all(line.bytes_sent < fair for line in slow), [(line.connection, line.bytes_sent) for line in slow]
    # a replaced connection wastes only what was in flight when it was cut (its read buffer and
    # socket buffers): never whole ranges twice
    assert sum(line.bytes_sent for line in lines) <= 64 * MiB * 1.05


def test_equal_connections_are_left_alone(server: Nginx, tmp_path: Path) -> None:
    """Replacement is relative: when every connection is (equally) slow, none is replaced."""
    digest = server.add_file("equal.bin", 32 * MiB)
    path = download(server.url("equal.bin", "capped"), output=tmp_path / "equal.bin", connections=8)
    assert sha256(path) == digest
    lines = lines_for(server, "equal.bin")
    assert len({line.connection for line in lines}) == 8, lines
