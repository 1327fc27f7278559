"""A server that trickles: never silent long enough for the read timeout, never fast enough to
finish. The promise: the connection is replaced with a new TCP connection (a trickling path tends
to stay one), and a server that trickles on every connection ends in a clear NetworkError, never
a download that runs forever. The floor is the engine's `speed_floor` option (see
paxel.lowspeed); these tests shrink its window so they take seconds, not minutes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions, Result
from paxel.errors import ErrorCode, PaxelError
from paxel.lowspeed import SpeedFloor
from paxel.retry import RetryPolicy
from support.bounded import run_bounded
from support.faultserver import FaultServer

KiB = 1 << 10
FLOOR = SpeedFloor(bytes_per_second=2000, seconds=1.0)
QUICK = RetryPolicy(attempts=3, base=0.05, cap=0.2)
DEADLINE = 40.0   # seconds: without a floor these runs never end


def run_trickled(options: DownloadOptions) -> Result | PaxelError:
    return run_bounded(options, DEADLINE, "a trickling connection stalls it")


@pytest.mark.parametrize("faults", [{}, {"nolength": 1}], ids=["ranged", "no-length"])
def test_a_trickling_connection_is_replaced_and_the_download_completes(
        faultserver: FaultServer, tmp_path: Path, faults: dict[str, int]) -> None:
    """`-n 1` on a small file whose first two answers come at 20 bytes/s: the third, on a new
    connection, brings it; the bytes are exact."""
    url = faultserver.url("trickle.bin", size=96 * KiB, trickle=20, trickle_times=2, **faults)
    out = tmp_path / "trickle.bin"
    got = run_trickled(DownloadOptions(url, output=out, connections=1, speed_floor=FLOOR,
                                       retry=QUICK, timeout=30))
    assert isinstance(got, Result), got
    assert hashlib.sha256(out.read_bytes()).hexdigest() == faultserver.sha256(url)
    gets = faultserver.requests("GET")
    assert len(gets) == 3
    assert len({r.connection for r in gets}) == 3, "a trickling connection must be replaced, not reused"


def test_a_server_that_always_trickles_ends_in_a_clear_error(faultserver: FaultServer,
                                                              tmp_path: Path) -> None:
    url = faultserver.url("always.bin", size=96 * KiB, trickle=20)
    out = tmp_path / "always.bin"
    got = run_trickled(DownloadOptions(url, output=out, connections=1, speed_floor=FLOOR,
                                       retry=QUICK, timeout=30))
    assert isinstance(got, PaxelError)
    assert got.code is ErrorCode.NETWORK
    assert "slower than 2000 bytes/s" in str(got) and "gave up after 3 tries" in str(got)
    assert not out.exists()


def test_a_speed_cap_below_the_floor_is_not_slowness(faultserver: FaultServer, tmp_path: Path) -> None:
    """The user's own --max-speed is waited out, not counted against the connection: 4000 B/s
    under a floor of 8000 B/s. The first 16 KiB are the limiter's burst (paxel.ratelimit), the
    next 16 KiB take 4 s, two of the floor's windows, each below the floor unless the waits are
    left out. The window is 2 s, not FLOOR's 1 s: a stall of a loaded machine alone (neither
    waiting on the cap nor reading) must not fill one, or a retry breaks the one GET below."""
    url = faultserver.url("capped.bin", size=32 * KiB)
    out = tmp_path / "capped.bin"
    floor = SpeedFloor(bytes_per_second=8000, seconds=2.0)
    got = run_trickled(DownloadOptions(url, output=out, connections=1, speed_floor=floor,
                                       max_speed=4000, retry=QUICK))
    assert isinstance(got, Result), got
    assert hashlib.sha256(out.read_bytes()).hexdigest() == faultserver.sha256(url)
    assert len(faultserver.requests("GET")) == 1
