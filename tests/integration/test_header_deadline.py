"""A server that trickles its status line and headers (one byte every 200 ms: never silent for
the read timeout, never done). The read timeout counts per socket read and the speed floor
watches only body bytes, so before the header deadline (`DownloadOptions.header_deadline`) such
a server held a connection, and with one connection the whole download, forever. The promise: a
try whose headers are not complete within the deadline ends and counts as a try without
progress; a connection that trickles is replaced; an honest server that is slow once is not
failed. These tests shrink the deadline so they take seconds.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions, Result
from paxel.errors import ErrorCode, NetworkError, PaxelError
from paxel.retry import RetryPolicy
from paxel.transport import HttpTransport
from support.bounded import run_bounded
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

KiB, MiB = 1 << 10, 1 << 20
QUICK = RetryPolicy(attempts=3, base=0.05, cap=0.2)
BOUND = 40.0   # seconds: without a header deadline these runs never end
EVERY_MS = 200  # the trickle: one header byte every 200 ms (~55 s for the fault server's headers)


def run_trickled(options: DownloadOptions) -> Result | PaxelError:
    return run_bounded(options, BOUND, "trickled headers hang it")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_transport_gives_up_on_headers_that_never_complete(faultserver: FaultServer) -> None:
    """The deadline covers the status line and headers as a whole: a 30 s read timeout is never
    reached by a byte every 200 ms, the 1.5 s deadline is."""
    url = faultserver.url("t.bin", size=64 * KiB, hdr_trickle=EVERY_MS)
    transport = HttpTransport(url, {}, [], None, 30.0, header_deadline=1.5)
    began = time.monotonic()
    with pytest.raises(NetworkError, match="headers") as caught:
        transport.get(url, 0, 1023)
    took = time.monotonic() - began
    transport.close()
    assert 1.4 < took < 6, f"gave up after {took:.1f} s"
    assert "1.5 s" in str(caught.value), caught.value


def test_one_connection_that_always_trickles_headers_ends_in_a_clear_error(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """`-n 1`, every answer trickled: each try ends at the deadline, without progress, and the
    download ends after the retry budget with a NetworkError that says why, not a hang."""
    url = faultserver.url("always.bin", size=96 * KiB, hdr_trickle=EVERY_MS)
    out = tmp_path / "always.bin"
    began = time.monotonic()
    got = run_trickled(DownloadOptions(url, output=out, connections=1, retry=QUICK,
                                       header_deadline=1.0))
    took = time.monotonic() - began
    assert isinstance(got, PaxelError), got
    assert got.code is ErrorCode.NETWORK
    assert "headers" in str(got) and "gave up after 3 tries" in str(got), str(got)
    assert len(faultserver.requests("GET")) == 3
    assert took < 15, f"{took:.1f} s for 3 tries of a 1 s deadline"
    assert not out.exists()


def test_one_connection_whose_first_answers_trickle_gets_the_file_on_a_later_try(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """The first two answers trickle their headers, the third is honest: the bytes are exact."""
    url = faultserver.url("twice.bin", size=96 * KiB, hdr_trickle=EVERY_MS, hdr_trickle_times=2)
    out = tmp_path / "twice.bin"
    got = run_trickled(DownloadOptions(url, output=out, connections=1, retry=QUICK,
                                       header_deadline=1.0))
    assert isinstance(got, Result), got
    assert sha(out.read_bytes()) == faultserver.sha256(url)
    assert len(faultserver.requests("GET")) == 3


def test_a_connection_that_trickles_headers_is_replaced_and_the_file_is_exact(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """Four connections; the second TCP connection trickles every answer's headers for its whole
    life (a bad path): it is given up at the deadline, its range goes out on a new connection,
    and the download finishes with exact bytes."""
    url = faultserver.url("multi.bin", size=8 * MiB, hdr_trickle=EVERY_MS, hdr_trickle_conn=2,
                          trickle=4 * MiB)
    out = tmp_path / "multi.bin"
    got = run_trickled(DownloadOptions(url, output=out, connections=4, retry=QUICK,
                                       header_deadline=1.0))
    assert isinstance(got, Result), got
    assert sha(out.read_bytes()) == faultserver.sha256(url)


def test_an_honest_server_slow_to_answer_once_is_not_failed(faultserver: FaultServer,
                                                             tmp_path: Path) -> None:
    """Headers that take about 2 s once (a byte every 8 ms) under a 5 s deadline: no retry, the
    first answer is used."""
    url = faultserver.url("slow.bin", size=96 * KiB, hdr_trickle=8, hdr_trickle_times=1)
    out = tmp_path / "slow.bin"
    began = time.monotonic()
    got = run_trickled(DownloadOptions(url, output=out, connections=1, retry=QUICK,
                                       header_deadline=5.0))
    took = time.monotonic() - began
    assert isinstance(got, Result), got
    assert sha(out.read_bytes()) == faultserver.sha256(url)
    assert len(faultserver.requests("GET")) == 1
    assert took > 1.0, f"the headers were not slow ({took:.1f} s): the test proves nothing"


def test_a_kept_alive_connection_outlives_the_deadline_of_its_earlier_answers(
        faultserver: FaultServer) -> None:
    """The deadline covers only the header phase: a connection whose answers came in time is
    not shut down when their deadlines pass; its next request goes out on it and succeeds."""
    url = faultserver.url("kept.bin", size=64 * KiB)
    transport = HttpTransport(url, {}, [], None, 30.0, header_deadline=0.3)
    buf = memoryview(bytearray(64 * KiB))
    try:
        for first in (0, 1024):
            reply = transport.get(url, first, first + 1023)
            assert reply.status == 206 and reply.readinto(buf) == 1024
            reply.close(reusable=True)
            time.sleep(0.6)   # past the deadline armed for this answer
    finally:
        transport.close()
    gets = faultserver.requests("GET")
    assert len(gets) == 2 and gets[0].connection == gets[1].connection


def test_a_take_whose_headers_trickle_is_declined_and_frees_the_service(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The service's take (the real host process) under a header trickle of ~55 s: the extension
    gives up at 10 s; the take must answer soon after (its header deadline is that limit),
    declined, with nothing queued, instead of holding the service's thread until the headers end.
    The limit (paxel.deadlines) is shortened to 3 s here."""
    limit = 3.0
    paxel_env.env["PAXEL_TAKE_LIMIT_S"] = str(limit)
    host = paxel_env.host("chrome")
    host.hello()
    url = faultserver.url("take.bin", size=64 * KiB, hdr_trickle=EVERY_MS)
    began = time.monotonic()
    host.send({"id": 2, "type": "take", "url": url, "source": "click", "expect": {"size": 64 * KiB}})
    reply = host.reply(2, timeout=30)
    took = time.monotonic() - began
    assert reply["ok"], reply
    assert reply["result"]["outcome"] == "declined", reply["result"]
    assert limit < took < limit + 15, f"answered after {took:.1f} s"
    host.send({"id": 3, "type": "list"})
    assert host.reply(3)["result"]["downloads"] == []
    assert host.close() == 0
