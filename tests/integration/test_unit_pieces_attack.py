"""An attacker's tests of media segments fetched in pieces (engine.unitpieces): a strange server
answering a stolen Range, a segment that changes between its first answer and a piece, answers
that forbid a split. paxel's promise holds for each: every unit is the exact bytes of ONE answer
of its URL (never two versions spliced, never a hole), or a clear error."""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from paxel import storage
from paxel.engine import DownloadOptions, Unit, UnitJob
from paxel.engine.limits import HostSlots
from paxel.engine.unitpieces import Running
from paxel.errors import Cancelled, ServerMisbehaved
from paxel.media.job import MediaJob
from paxel.retry import RetryPolicy
from paxel.segments import Segment, SegmentTable
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.pieces import in_background, kill_9_while_pieces_run, killed_pieces

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
    {"cl_delta": 300_000},                                    # the first answer's length lies
], ids=["etag-changes", "last-modified-changes", "if-range-200", "shorter", "416", "503",
        "cl-extra", "overrun", "chunked-206", "first-length-lies"])
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


@pytest.fixture(scope="module")
def capped() -> Iterator[Nginx]:
    """nginx at 1 MB/s per connection, `/limited/` also at most 2 connections per client (503)."""
    server = Nginx(rate="1000k", conn_limit=2)
    try:
        yield server
    finally:
        server.stop()


def _segments(server: Nginx, prefix: str, count: int, size: int) -> list[bytes]:
    data = [os.urandom(size) for _ in range(count)]
    for i, body in enumerate(data):
        server.add_file(f"{prefix}{i}.ts", content=body)
    return data


def test_a_two_connection_cap_never_sees_three_while_pieces_are_taken(capped: Nginx, tmp_path: Path) -> None:
    """nginx's limit_conn 2 answers 503 to a third connection: a connection cut at a steal must
    be gone before its worker opens another (host slots of 2, 4 connections asked for)."""
    data = _segments(capped, "cap", 3, 1_000_000)   # the third is alone: the other one steals
    capped.clear_log()
    units = [Unit(capped.url(f"cap{i}.ts", "limited"), tmp_path / f"{i}.seg") for i in range(3)]
    job = UnitJob(units, DownloadOptions(units[0].url, connections=4, host_slots=HostSlots(2), retry=FAST))
    job.run()
    assert [(tmp_path / f"{i}.seg").read_bytes() for i in range(3)] == data
    log = capped.log()
    assert job.pieces >= 1 and [line for line in log if line.range], "no piece was taken"
    assert not [line for line in log if line.status == 503], "a third connection at once"


def test_steal_churn_on_a_60_segment_stream(capped: Nginx, tmp_path: Path) -> None:
    """60 segments over 4 connections: the pieces are the last wave's, not a request storm."""
    data = _segments(capped, "churn", 60, 300_000)   # (under 256 kB a segment is never split)
    capped.clear_log()
    units = [Unit(capped.url(f"churn{i}.ts", "capped"), tmp_path / f"{i}.seg") for i in range(60)]
    job = UnitJob(units, DownloadOptions(units[0].url, connections=4))
    job.run()
    assert [(tmp_path / f"{i}.seg").read_bytes() for i in range(60)] == data
    gets = [line for line in capped.log() if line.method == "GET"]
    ranged = [line for line in gets if line.range]
    print(f"60 segments: {len(gets)} GETs, {len(ranged)} of them pieces")
    assert len(gets) - len(ranged) == 60
    assert len(ranged) <= 8


def test_the_speed_limit_holds_with_pieces(capped: Nginx, tmp_path: Path) -> None:
    """One 2 MB segment at 1 MB/s per connection, the job limited to 1.5 MB/s: pieces are
    taken (one connection is below the limit) and together they stay under it."""
    data = _segments(capped, "lim", 1, 2_000_000)
    units = [Unit(capped.url("lim0.ts", "capped"), tmp_path / "0.seg")]
    job = UnitJob(units, DownloadOptions(units[0].url, connections=4, max_speed=1_500_000))
    began = time.monotonic()
    job.run()
    took = time.monotonic() - began
    assert [(tmp_path / "0.seg").read_bytes()] == data
    assert job.pieces >= 1
    assert took >= 1.2, f"2 MB at 1.5 MB/s in {took:.2f} s"


def _aes_stream(server: Nginx, prefix: str, count: int, size: int) -> tuple[str, bytes]:
    """An AES-128 HLS stream of fake MPEG-TS segments (sync byte every 188), no IV attribute:
    each segment's IV is its media sequence number (from 7). Returns the playlist's name and
    the plain bytes the output must be."""
    key = os.urandom(16)
    server.add_file(f"{prefix}.key", content=key)
    plain, lines = [], ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2",
                        "#EXT-X-MEDIA-SEQUENCE:7", f'#EXT-X-KEY:METHOD=AES-128,URI="{prefix}.key"']
    for i in range(count):
        data = b"".join(b"\x47" + os.urandom(187) for _ in range(size // 188))
        plain.append(data)
        padder = padding.PKCS7(128).padder()
        enc = Cipher(algorithms.AES(key), modes.CBC((7 + i).to_bytes(16, "big"))).encryptor()
        server.add_file(f"{prefix}{i}.ts", content=enc.update(padder.update(data) + padder.finalize())
                        + enc.finalize())
        lines += ["#EXTINF:2.0,", f"{prefix}{i}.ts"]
    server.add_file(f"{prefix}.m3u8", content="\n".join([*lines, "#EXT-X-ENDLIST", ""]).encode())
    return f"{prefix}.m3u8", b"".join(plain)


def test_an_aes_segment_in_pieces_is_decrypted_once_whole(capped: Nginx, tmp_path: Path) -> None:
    """A stolen piece of a CBC segment decrypted alone would be garbage at its first block."""
    name, plain = _aes_stream(capped, "aes", 2, 1_000_000)
    capped.clear_log()
    out = tmp_path / "clip.ts"
    result = MediaJob(DownloadOptions(capped.url(name, "capped"), output=out, connections=4),
                      ffmpeg=False).run()
    assert [line for line in capped.log() if line.range], "no piece was taken"
    assert out.read_bytes() == plain and result.size == len(plain)


@pytest.mark.parametrize("how", ["pause", "cancel"])
def test_a_stop_mid_steal_leaves_no_half_unit_and_a_rerun_is_exact(capped: Nginx, tmp_path: Path,
                                                                   how: str) -> None:
    data = _segments(capped, f"stop{how}", 1, 3_000_000)
    units = [Unit(capped.url(f"stop{how}0.ts", "capped"), tmp_path / "0.seg")]
    job = UnitJob(units, DownloadOptions(units[0].url, connections=3))
    thread, errors = in_background(job.run)
    deadline = time.monotonic() + 10
    while job.pieces < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.pieces >= 2, "no piece was taken"
    time.sleep(0.2)   # the pieces are reading
    job.pause() if how == "pause" else job.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], Cancelled)
    assert not list(tmp_path.iterdir()), "a half unit was left behind"
    UnitJob(units, DownloadOptions(units[0].url, connections=3)).run()
    assert (tmp_path / "0.seg").read_bytes() == data[0]


def test_a_stealer_slower_than_its_owner_does_not_hold_the_unit(faultserver: FaultServer,
                                                               tmp_path: Path) -> None:
    """The piece's connection (the second) sends at 100 kB/s, the owner at 1 MB/s: the owner,
    idle once its half is in, takes the slow piece's tail in turn, so the unit does not wait
    ~9 s for the slow one."""
    url = faultserver.url("slow.ts", size=2_000_000, trickle=RATE, slow_conn=2, slow_rate=100_000)
    job = UnitJob([Unit(url, tmp_path / "s.seg")], DownloadOptions(url, connections=2, retry=FAST))
    began = time.monotonic()
    job.run()
    took = time.monotonic() - began
    assert (tmp_path / "s.seg").read_bytes() == faultserver.content(url)
    assert job.pieces >= 2, "the slow piece was not taken over"
    assert took < 7.0, f"{took:.1f} s: the unit waited for its slow piece"   # (alone: 9+ s)


@pytest.mark.parametrize("split", [True, False], ids=["split", "whole"])
def test_a_byte_range_unit_is_its_range_even_when_the_206_runs_longer(faultserver: FaultServer,
                                                                      tmp_path: Path, split: bool) -> None:
    """EXT-X-BYTERANGE: a 206 with the right Content-Range but a Content-Length (and body)
    5000 bytes past it. The unit is its range, not the start of the next segment too (or a
    clear error)."""
    first, last = 100_000, 100_000 + SIZE - 1
    url = faultserver.url("long.ts", size=SIZE + 200_000, trickle=RATE if split else None, cl_extra=5000)
    job = UnitJob([Unit(url, tmp_path / "r.seg", (first, last))],
                  DownloadOptions(url, connections=3, retry=FAST))
    try:
        job.run()
    except ServerMisbehaved:
        assert not (tmp_path / "r.seg").exists()
        return
    assert (tmp_path / "r.seg").read_bytes() == faultserver.content(url)[first:last + 1]


def test_two_pieces_that_end_together_place_their_unit_once(tmp_path: Path) -> None:
    """Both pieces of a unit have all their bytes in, neither has left yet (a loaded machine: the
    last write is committed, the thread not yet back in _leave). The first to leave must not
    place the unit while the other still owns a piece: the second then found it gone from the
    running list (seen: "internal error: list.remove(x): x not in list" from a paused job)."""
    url = "http://127.0.0.1:9/u.ts"
    job = UnitJob([Unit(url, tmp_path / "u.seg")], DownloadOptions(url, connections=2))
    part = storage.PartFile.claim(tmp_path / "u.seg.part")
    assert part is not None
    part.write_at(memoryview(b"ab" * 200_000), 0)
    view = copy.copy(job._s)
    front, tail = Segment.fresh(0, 200_000, 200_000), Segment.fresh(200_000, 400_000, 200_000)
    front.owner, tail.owner = 0, 1
    view.table = SegmentTable(400_000, [front, tail])
    r = Running(0, url, part, view, 0, 400_000, None, None)
    job._running.append(r)
    job._leave(r, front, ok=True)
    assert not (tmp_path / "u.seg").exists(), "placed while a piece was still owned"
    job._leave(r, tail, ok=True)
    assert (tmp_path / "u.seg").read_bytes() == b"ab" * 200_000
    assert job._done[0].size == 400_000 and not job._running


def test_kill_9_mid_steal_of_an_aes_stream_then_the_rerun_is_exact(tmp_path: Path) -> None:
    """Killed while encrypted segments come in pieces: nothing half-fetched is decrypted or
    trusted on the rerun (its `.enc.part` is fetched again whole), the output is the plain bytes."""
    server = Nginx(rate="300k")   # 3.3 s a segment on one connection
    try:
        name, plain = _aes_stream(server, "kill", 2, 1_000_000)
        out, work = tmp_path / "clip.ts", tmp_path / "clip.ts.paxel-media"
        url = server.url(name, "capped")
        serial = kill_9_while_pieces_run(server, url, out, "*.enc.part", units=2)
        assert list(work.glob("*.enc.part")), "no segment was on its way"
        assert killed_pieces(server, serial), "no piece was taken"
        result = MediaJob(DownloadOptions(url, output=out, connections=4), ffmpeg=False).run()
        assert out.read_bytes() == plain and result.size == len(plain)
        rerun = [line for line in server.log() if line.connection > serial]   # (not the killed job's)
        for i in range(2):   # each segment asked for again from byte 0
            assert [line for line in rerun if line.request.endswith(f"kill{i}.ts") and not line.range]
    finally:
        server.stop()


def test_a_lowered_host_cap_is_obeyed_by_a_running_media_job(capped: Nginx, tmp_path: Path) -> None:
    """The cap goes from 4 to 2 while 16 segments come in over 4 connections: between two
    segments the connections over the cap end (a segment takes 0.3 s), down to one at most."""
    data = _segments(capped, "lower", 16, 300_000)
    units = [Unit(capped.url(f"lower{i}.ts", "capped"), tmp_path / f"{i}.seg") for i in range(16)]
    slots = HostSlots(4)
    job = UnitJob(units, DownloadOptions(units[0].url, connections=4, host_slots=slots))
    thread = threading.Thread(target=job.run)
    thread.start()
    deadline = time.monotonic() + 10
    while slots.in_use(units[0].url) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    slots.set_cap(2)
    deadline = time.monotonic() + 1.0   # the segments in progress end meanwhile
    while slots.in_use(units[0].url) > 2 and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    held = slots.in_use(units[0].url)
    alive = thread.is_alive()
    thread.join(30)
    assert alive, "finished before the cap could be checked"
    assert held <= 2, f"{held} connections 1 s after the cap went down to 2"
    assert [(tmp_path / f"{i}.seg").read_bytes() for i in range(16)] == data
    assert slots.in_use(units[0].url) == 0
