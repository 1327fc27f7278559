"""An attacker's tests of media segments fetched in pieces (engine.unitpieces): a strange server
answering a stolen Range, a segment that changes between its first answer and a piece, answers
that forbid a split. paxel's promise holds for each: every unit is the exact bytes of ONE answer
of its URL (never two versions spliced, never a hole), or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from paxel.engine import DownloadOptions, Unit, UnitJob
from paxel.retry import RetryPolicy
from support.faultserver import FaultServer

SIZE = 1_000_000
RATE = 1_000_000   # bytes/s per request: a unit takes 1 s, long enough to be split
FAST = RetryPolicy(base=0.01, cap=0.02)


def _one_version(server: FaultServer, url: str, data: bytes) -> None:
    versions = [server.content(url, v) for v in (0, 1)]
    versions.append(versions[0][:SIZE - 4096])   # resize_delta: the same bytes, shorter
    assert data in versions, f"{len(data)} bytes, not one version of {url} (a splice or a hole)"


@pytest.mark.parametrize("fault", [
    {"change_after": 1, "ignore_if_range": 1},               # new ETag, the piece served anyway
    {"change_after": 1, "ignore_if_range": 1, "noetag": 1},  # only Last-Modified tells
    {"change_after": 1},                                      # If-Range honoured: a 200
    {"resize_after": 1, "resize_delta": -4096},               # the segment got shorter
    {"ranged_status": 416},
    {"ranged_status": 503},
    {"cl_extra": 5000},                                       # 206 longer than its range
    {"overrun": 5000},                                        # bytes after the 206's body
    {"chunked_ranges": 1},                                    # 206 chunked, no length
], ids=["etag-changes", "last-modified-changes", "if-range-200", "shorter", "416", "503",
        "cl-extra", "overrun", "chunked-206"])
def test_a_stolen_piece_never_mixes_two_answers(faultserver: FaultServer, tmp_path: Path,
                                                fault: dict[str, object]) -> None:
    url = faultserver.url("seg.ts", size=SIZE, trickle=RATE, **fault)
    job = UnitJob([Unit(url, tmp_path / "a.seg")],
                  DownloadOptions(url, connections=3, retry=FAST))
    job.run()
    _one_version(faultserver, url, (tmp_path / "a.seg").read_bytes())
    assert [r for r in faultserver.requests("GET") if r.range], "no piece was tried"
    assert not list(tmp_path.glob("*.part"))


def test_a_piece_redirected_to_another_host_is_still_the_exact_range(faultserver: FaultServer,
                                                                    tmp_path: Path) -> None:
    """Only the Range requests are sent to another host (a CDN's range tier)."""
    url = faultserver.url("redir.ts", size=SIZE, trickle=RATE, redirect_ranged=1)
    job = UnitJob([Unit(url, tmp_path / "r.seg")], DownloadOptions(url, connections=3, retry=FAST))
    job.run()
    assert (tmp_path / "r.seg").read_bytes() == faultserver.content(url)
    assert faultserver.requests("GET", server="other"), "no piece went to the other host"


@pytest.mark.parametrize("fault", [{"chunked": 1}, {"nolength": 1}, {"encode": "gzip", "encode_full": 1},
                                   {"size": 60_000}],
                         ids=["chunked", "no-length", "gzip", "tiny"])
def test_a_segment_that_cannot_be_split_is_fetched_whole(faultserver: FaultServer, tmp_path: Path,
                                                         fault: dict[str, object]) -> None:
    faults: dict[str, object] = {"size": SIZE, "trickle": RATE} | fault
    url = faultserver.url("whole.ts", **faults)
    job = UnitJob([Unit(url, tmp_path / "w.seg")], DownloadOptions(url, connections=3, retry=FAST))
    job.run()
    assert (tmp_path / "w.seg").read_bytes() == faultserver.content(url)
    assert job.pieces == 0
    assert not [r for r in faultserver.requests("GET") if r.range]
