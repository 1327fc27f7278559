"""The engine attacked again, by someone who did not write it: strange servers (chunked and
HTTP/1.0 range replies, a per-client limit enforced by closing the TCP connection, a body that
pauses), and the speed floor against them. Each case failed before its fix where it says so.
Faults come from tests/support/faultserver.py; every run is seconds long.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxel import resume
from paxel.engine import Download, DownloadOptions, Progress, Result, Unit, UnitJob
from paxel.errors import HTTPStatusError
from support.faultserver import FaultServer

KiB, MiB = 1 << 10, 1 << 20


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run(options: DownloadOptions) -> tuple[Result, list[Progress]]:
    seen: list[Progress] = []
    result = Download(options, seen.append, progress_interval=0.05).run()
    return result, seen


@pytest.mark.parametrize("faults", [{"chunked_ranges": 1}, {"http10": 1}],
                         ids=["chunked-206", "http1.0-close-delimited-206"])
def test_range_replies_without_content_length_cost_no_retry(
        faultserver: FaultServer, tmp_path: Path, faults: dict[str, int]) -> None:
    """206 bodies sent chunked (a proxy re-framing them) or close-delimited (HTTP/1.0): every
    request brings its range; none fails and is retried. Failed first (chunked): the connection
    went back to the pool with the last chunk's terminator unread, so each next request on it
    died with `Request-sent` and waited out a retry's backoff."""
    url = faultserver.url("framed.bin", size=6 * MiB, **faults)
    out = tmp_path / "framed.bin"
    result, seen = run(DownloadOptions(url, output=out, connections=4))
    assert sha(out.read_bytes()) == faultserver.sha256(url)
    assert result.path == out
    assert all(p.retry is None for p in seen), [p.note for p in seen if p.retry]
    assert all(r.status == 206 and r.sent > 0 for r in faultserver.requests("GET")), \
        [(r.range, r.status, r.sent) for r in faultserver.requests("GET")]


@pytest.mark.timeout(60)
def test_a_server_that_closes_extra_connections_costs_no_more_than_the_connections_that_work(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """A per-client limit enforced by closing the TCP connection before any reply (no 429/503 to
    read): 8 connections asked, 2 allowed. The download must take about as long as with 2
    connections. Failed first: each refused connection kept its range through its retries'
    backoff (0.5, 1, 2, 4 s...), so nobody else could take it and the end waited: 3.5x longer."""
    def timed(name: str, connections: int, **faults: int) -> float:
        url = faultserver.url(name, size=12 * MiB, trickle=4 * MiB, **faults)
        out = tmp_path / name
        began = time.monotonic()
        Download(DownloadOptions(url, output=out, connections=connections)).run()
        took = time.monotonic() - began
        assert sha(out.read_bytes()) == faultserver.sha256(url)
        return took

    two = timed("two.bin", 2)
    limited = timed("limited.bin", 8, maxconn=2)
    assert limited < 1.3 * two + 0.4, f"{limited:.2f} s with a limit of 2 vs {two:.2f} s with 2"


@pytest.mark.parametrize("how", ["renamed", "renamed-and-replaced-by-a-symlink"])
def test_the_result_names_the_file_where_it_is_when_the_folder_moved_mid_run(
        faultserver: FaultServer, tmp_path: Path, how: str) -> None:
    """The folder is held by an fd (paxel.folder), so a folder renamed mid-run still gets the
    file; the Result (the CLI's "saved" line, the service's history and its marks of origin)
    must name where it is. Failed first: Result.path was the old path, where there was nothing
    (or, through a symlink put there, another folder's file of that name)."""
    (tmp_path / "dl").mkdir()
    (tmp_path / "elsewhere").mkdir()
    url = faultserver.url("moving.bin", size=4 * MiB, trickle=4 * MiB)

    def move(p: Progress) -> None:
        if p.state == "running" and p.done and not (tmp_path / "dl.old").exists():
            os.rename(tmp_path / "dl", tmp_path / "dl.old")
            if how != "renamed":
                (tmp_path / "dl").symlink_to(tmp_path / "elsewhere")

    result = Download(DownloadOptions(url, folder=tmp_path / "dl", connections=2), on_progress=move,
                      progress_interval=0.05).run()
    assert (tmp_path / "dl.old").exists(), "moved too late: the test proves nothing"
    assert result.path == tmp_path / "dl.old" / "moving.bin"
    assert sha(result.path.read_bytes()) == faultserver.sha256(url)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_users_speed_limit_never_makes_a_connection_look_slow(
        faultserver: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Under the user's own limit the connections share one bucket, and which one waits for it
    is chance: none may be judged slower than its peers for that. Failed first: the relative
    slow-connection test counted the bucket's waits as the server's slowness and replaced
    connection after connection (a 96 KiB file at 16000 B/s: up to 115 requests and 33 s
    instead of 5 and 6 s), each replacement throwing away the bytes in flight."""
    caplog.set_level(logging.INFO, logger="paxel.engine")
    url = faultserver.url("capped.bin", size=96 * KiB)
    out = tmp_path / "capped.bin"
    Download(DownloadOptions(url, output=out, connections=4, min_split=16 * KiB, max_speed=16000,
                             speed_floor=None)).run()
    assert sha(out.read_bytes()) == faultserver.sha256(url)
    replaced = [r.getMessage() for r in caplog.records if "far slower" in r.getMessage()]
    assert replaced == []


# A paxel CLI that is killed (SIGKILL, as by the OOM killer or a power cut) right after its final
# `link`, before the `.part` name is unlinked: the finished file then has two names.
KILLED_AFTER_LINK = """
import os, signal, sys
import paxel.folder
unlink = paxel.folder.Folder.unlink
def killing_unlink(self, path):
    if path.name.endswith(".part"):
        os.kill(os.getpid(), signal.SIGKILL)
    return unlink(self, path)
paxel.folder.Folder.unlink = killing_unlink
from paxel.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("mode", ["-o", "-d"])
def test_killed_between_the_final_link_and_the_parts_unlink(faultserver: FaultServer, tmp_path: Path,
                                                            mode: str) -> None:
    """The same command again must see the job is done (the `.part` is the finished file's other
    name, the state describes that very file), remove the `.part` name and the state, and fetch
    nothing. Failed first: `.part` present meant "not finished", so `-o` refused ("already
    exists") and a folder download fetched the whole file again as `done (1).bin`, leaving the
    `.part` and state behind for ever."""
    out = tmp_path / "done.bin"
    url = faultserver.url(out.name, size=6 * MiB, trickle=8 * MiB)
    args = [url, "-q", "-n", "2", *(["-o", str(out)] if mode == "-o" else ["-d", str(tmp_path)])]
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_LINK, *args], capture_output=True,
                            text=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert out.stat().st_nlink == 2 and resume.state_path(out).exists(), "killed elsewhere"
    gets = len(faultserver.requests("GET"))
    again = subprocess.run([sys.executable, "-m", "paxel.cli", *args[:1], *args[2:]], capture_output=True,
                           text=True, timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout + again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.bin"]
    assert out.stat().st_nlink == 1 and sha(out.read_bytes()) == faultserver.sha256(url)
    # (in a folder one probe asks that the server still has that file: its body is not kept)
    assert len(faultserver.requests("GET")) == gets + (mode == "-d"), "fetched again"


@pytest.mark.parametrize("faults", [{}, {"norange": 1}], ids=["small-file", "no-ranges"])
def test_ctrl_c_on_a_download_that_keeps_no_state_then_the_same_command(
        faultserver: FaultServer, tmp_path: Path, faults: dict[str, int]) -> None:
    """A file of at most 1 MiB (or one without Range support) keeps no resume state: its `.part`
    can never be resumed. Interrupted with Ctrl-C, `paxel URL` must not promise a resume from a
    `.part`, and the same command must save the file under its name. Failed first: "0 B kept in
    s.bin.part - run the same command again to resume", and the same command saved `s (1).bin`
    beside that `.part`, left for ever (a `.part` without its state is never taken over: it
    may be another program's)."""
    url = faultserver.url("s.bin", size=MiB, trickle=100 * KiB, trickle_times=1, **faults)
    args = [sys.executable, "-m", "paxel.cli", url, "-d", str(tmp_path)]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any(r.sent for r in faultserver.requests("GET")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    first.send_signal(signal.SIGINT)
    _, said = first.communicate(timeout=30)
    assert first.returncode == 130, said
    assert ".part" not in said or (tmp_path / "s.bin.part").exists(), said
    again = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bin"], again.stderr
    assert sha((tmp_path / "s.bin").read_bytes()) == faultserver.sha256(url)


@pytest.mark.parametrize("status", [503, 404])
def test_a_byte_range_media_segment_answered_with_an_error_status(
        faultserver: FaultServer, tmp_path: Path, status: int) -> None:
    """A segment given as a byte range (HLS EXT-X-BYTERANGE, DASH mediaRange) whose first answer
    is an error: a 503 is retried and the segment holds exactly its range; a 404 fails the job
    and leaves no segment file. Failed first: the error page's 17 bytes ("fault status 503")
    were saved as the segment and counted done, to be muxed into the video."""
    url = faultserver.url("media.mp4", size=64 * KiB, status=status)
    out = tmp_path / "seg.m4s"
    job = UnitJob([Unit(url, out, byte_range=(100, 1099))], DownloadOptions(url, connections=1))
    if status == 503:
        done = job.run()
        assert done[0].path.read_bytes() == faultserver.content(url)[100:1100]
    else:
        with pytest.raises(HTTPStatusError, match="404"):
            job.run()
        assert list(tmp_path.iterdir()) == []


def test_a_paused_download_whose_name_was_taken_meanwhile_resumes(faultserver: FaultServer,
                                                                  tmp_path: Path) -> None:
    """Paused half way in a folder; the user saves another `r.pdf` there (from the browser, say);
    the same command again. The `.part` is resumed (only the missing half is fetched) and lands
    as `r (1).pdf`, the user's file untouched. Failed first: the taken name hid the `.part`, so
    the whole file was fetched again as `r (1).pdf` and `r.pdf.part` and its state stayed for
    ever."""
    url = faultserver.url("r.pdf", size=8 * MiB, trickle=8 * MiB)
    job = Download(DownloadOptions(url, folder=tmp_path, connections=2),
                   on_progress=lambda p: job.pause() if p.done >= 4 * MiB else None, progress_interval=0.05)
    assert job.run().paused
    (tmp_path / "r.pdf").write_bytes(b"the user's own r.pdf")
    before = len(faultserver.requests("GET"))
    again = subprocess.run([sys.executable, "-m", "paxel.cli", url, "-q", "-d", str(tmp_path)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r (1).pdf", "r.pdf"]
    assert (tmp_path / "r.pdf").read_bytes() == b"the user's own r.pdf"
    assert sha((tmp_path / "r (1).pdf").read_bytes()) == faultserver.sha256(url)
    fetched = sum(r.sent for r in faultserver.requests("GET")[before:])
    assert fetched < 6 * MiB, f"{fetched} bytes fetched again for an 8 MiB file half on disk"


def test_a_folder_named_like_the_state_files_temporary_name(faultserver: FaultServer,
                                                            tmp_path: Path) -> None:
    """A folder (another program's, or planted in a shared folder) at `NAME.part.paxel.tmp`, the
    name a checkpoint writes the resume state through. Failed first: every run of that download
    into that folder failed with DISK ("cannot save resume state ...: Is a directory")."""
    blocker = tmp_path / "d.bin.part.paxel.tmp"
    blocker.mkdir()
    (blocker / "theirs.txt").write_text("not paxel's")
    url = faultserver.url("d.bin", size=3 * MiB)
    Download(DownloadOptions(url, folder=tmp_path, connections=2)).run()
    assert sha((tmp_path / "d.bin").read_bytes()) == faultserver.sha256(url)
    assert (blocker / "theirs.txt").read_text() == "not paxel's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.bin", blocker.name]
