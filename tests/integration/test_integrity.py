"""The engine keeps its promise (the exact bytes, or a clear error) when the disk or the server
misbehaves: the five defects of issue 9, each caused the way a user or an attacker would.

The `.part` tampering cases run between two real CLI runs: `paxel URL -o FILE` is interrupted
with Ctrl-C (a pause, exit 130), the `.part` is tampered with, and the same command runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import paxel
from paxel import resume
from paxel.commands.download import INTERRUPTED
from paxel.engine import Download, DownloadOptions, Progress, Result
from paxel.errors import DiskError, ErrorCode, PaxelError
from support.cli import downloading
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.tmpfs import tmpfs

MiB = 1 << 20
PAXEL = [sys.executable, "-m", "paxel.cli"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def interrupted_run(nginx: Nginx, name: str, out: Path, size: int = 32 * MiB) -> tuple[str, list[str]]:
    """`paxel URL -o out -n 2` on the capped location, Ctrl-C once some MiB are on disk; returns
    the file's digest and the command (to run again)."""
    digest = nginx.add_file(name, size)
    command = [*PAXEL, nginx.url(name, "capped"), "-n", "2", "-o", str(out), "-q"]
    with downloading(command, out) as run:
        time.sleep(0.6)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=10)
    assert run.returncode == INTERRUPTED, stderr
    assert resume.part_path(out).exists() and resume.state_path(out).exists()
    return digest, command


def paused_at(url: str, out: Path, done: int) -> Result:
    """Download into `out` through the API, pausing once `done` bytes are on disk."""
    job = Download(DownloadOptions(url, output=out, connections=2),
                   on_progress=lambda p: job.pause() if p.done >= done else None, progress_interval=0.05)
    return job.run()


def rerun(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


# -- 1. a swapped `.part` --------------------------------------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.parametrize("swap", ["symlink", "hardlink", "other-file"])
def test_resume_never_writes_through_a_swapped_part(nginx: Nginx, tmp_path: Path, swap: str) -> None:
    """Paused; `.part` replaced by a link to a file outside the folder (or by another file of the
    same size); resumed: the outside file is untouched and the download starts clean."""
    (tmp_path / "dl").mkdir()
    out = tmp_path / "dl" / f"swap-{swap}.bin"
    digest, command = interrupted_run(nginx, out.name, out)
    part = resume.part_path(out)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious" * (part.stat().st_size // 8) + b"!" * (part.stat().st_size % 8))
    before = sha256(victim)
    part.unlink()
    if swap == "symlink":
        part.symlink_to(victim)
    elif swap == "hardlink":
        os.link(victim, part)
    else:
        part.write_bytes(victim.read_bytes())
    done = rerun(command)
    assert done.returncode == 0, done.stderr
    assert sha256(victim) == before, "the download wrote into a file outside its folder"
    assert not out.is_symlink() and out.stat().st_nlink == 1
    assert sha256(out) == digest


def test_an_old_format_state_is_trusted_only_with_a_regular_part_of_the_full_size(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """A state of format 1 (no device/inode) resumes a regular, single-link `.part` of the
    expected size; one of another size starts clean."""
    size = 16 * MiB
    url = faultserver.url("old.bin", size=size, trickle=8 * MiB)
    for shorten in (False, True):
        out = tmp_path / f"old-{shorten}.bin"
        assert paused_at(url, out, 2 * MiB).paused
        raw = json.loads(resume.state_path(out).read_bytes())
        raw["version"] = 1
        raw.pop("part", None)
        resume.state_path(out).write_text(json.dumps(raw))
        if shorten:
            os.truncate(resume.part_path(out), size - 1)
        faultserver.reset()
        path = paxel.download(url, output=out)
        assert sha256(path) == faultserver.sha256(url)
        sent = sum(r.sent for r in faultserver.requests("GET"))
        if shorten:
            assert sent >= size, "a part of the wrong size was trusted"
        else:
            assert sent < size - MiB, "a sound old-format state was not resumed"


# -- 2. a `.part` shortened while paused ------------------------------------------------------------


@pytest.mark.timeout(90)
def test_a_part_shortened_while_paused_is_fetched_again_where_it_is_short(
        nginx: Nginx, tmp_path: Path) -> None:
    out = tmp_path / "shortened.bin"
    digest, command = interrupted_run(nginx, out.name, out)
    state = resume.decode(resume.state_path(out).read_bytes())
    first_start, _, first_done = state.ranges[0]
    assert first_start == 0 and first_done > MiB
    cut = first_done // 2
    os.truncate(resume.part_path(out), cut)
    nginx.clear_log()
    done = rerun(command)
    assert done.returncode == 0, done.stderr
    assert sha256(out) == digest, "bytes the shortened .part lost were trusted as zeros"
    time.sleep(0.2)
    sent = sum(line.bytes_sent for line in nginx.log())
    assert sent <= 32 * MiB - cut + 4 * MiB, "the bytes still in the .part were fetched again"


# -- 3. the final rename never replaces a user's file -----------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["output", "folder"])
def test_a_file_created_at_the_final_name_meanwhile_is_never_replaced(
        nginx: Nginx, tmp_path: Path, mode: str) -> None:
    digest = nginx.add_file(f"taken-{mode}.bin", 12 * MiB)
    out = tmp_path / f"taken-{mode}.bin"
    made = threading.Event()

    def user_saves_a_file(p: Progress) -> None:
        if p.done >= MiB and not made.is_set():
            out.write_bytes(b"the user's own file")
            made.set()

    where = {"output": out} if mode == "output" else {"folder": tmp_path}
    job = Download(DownloadOptions(nginx.url(out.name, "capped"), connections=2, **where),  # type: ignore[arg-type]
                   on_progress=user_saves_a_file, progress_interval=0.05)
    result = job.run()
    assert made.is_set()
    assert out.read_bytes() == b"the user's own file"
    assert result.path == tmp_path / f"taken-{mode} (1).bin"
    assert sha256(result.path) == digest
    assert job.progress.path == result.path and "taken" in (job.progress.note or "")


@pytest.mark.timeout(60)
def test_cli_says_where_the_file_went_when_the_name_was_taken(nginx: Nginx, tmp_path: Path) -> None:
    digest = nginx.add_file("cli-taken.bin", 16 * MiB)
    out = tmp_path / "cli-taken.bin"
    command = [*PAXEL, nginx.url(out.name, "capped"), "-n", "2", "-o", str(out)]
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not resume.part_path(out).exists():
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        out.write_bytes(b"mine")
        _, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr
    assert out.read_bytes() == b"mine"
    moved = tmp_path / "cli-taken (1).bin"
    assert sha256(moved) == digest
    assert str(moved) in stderr and "taken" in stderr, stderr


# -- 4. compressed replies to ranges ------------------------------------------------------------------


@pytest.mark.parametrize("encode_full", [0, 1])
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_range_reply_is_never_written_at_offsets(
        faultserver: FaultServer, tmp_path: Path, encoding: str, encode_full: int) -> None:
    """The server compresses ranges despite `Accept-Encoding: identity`: the bytes come out exact
    (one decoded stream), never compressed bytes at offsets."""
    url = faultserver.url("zipped.bin", size=4 * MiB, encode=encoding, encode_full=encode_full)
    out = tmp_path / "zipped.bin"
    path = paxel.download(url, output=out, connections=4)
    assert sha256(path) == faultserver.sha256(url)
    assert len(faultserver.requests("GET")) <= 4


def test_a_range_reply_in_an_encoding_paxel_cannot_decode_is_server_misbehaved(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("brotli.bin", size=4 * MiB, encode="br", encode_full=1)
    out = tmp_path / "brotli.bin"
    with pytest.raises(PaxelError) as caught:
        paxel.download(url, output=out, connections=4)
    assert caught.value.code == ErrorCode.SERVER_MISBEHAVED, caught.value
    assert "br" in caught.value.message
    assert not out.exists()


# -- 5. a dangling `.part` symlink, progress without a length, a failed download's `.part` ----------


def test_a_dangling_part_symlink_means_another_name(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("dangling.bin", size=100_000)
    link = tmp_path / "dangling.bin.part"
    link.symlink_to(tmp_path / "nowhere" / "target")
    path = paxel.download(url, folder=tmp_path)
    assert path == tmp_path / "dangling (1).bin"
    assert sha256(path) == faultserver.sha256(url)
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_dangling_part_symlink_beside_an_exact_output_is_replaced_not_followed(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("dangling-o.bin", size=100_000)
    out = tmp_path / "dangling-o.bin"
    resume.part_path(out).symlink_to(tmp_path / "elsewhere.bin")
    path = paxel.download(url, output=out)
    assert path == out and sha256(out) == faultserver.sha256(url)
    assert not (tmp_path / "elsewhere.bin").exists()


def test_a_download_without_length_shows_progress_and_path_while_running(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("nolength.bin", size=MiB, nolength=1, trickle=2 * MiB)
    seen: list[Progress] = []
    job = Download(DownloadOptions(url, folder=tmp_path), on_progress=seen.append,
                   progress_interval=0.05)
    result = job.run()
    running = [p for p in seen if p.state == "running"]
    assert any(p.path == result.path and p.total is None and 0 < p.done < MiB for p in running), seen
    assert sha256(result.path) == faultserver.sha256(url)


def test_a_failed_download_names_its_part(nginx: Nginx, tmp_path: Path) -> None:
    """A download that fails on a full disk leaves its `.part`; the error says where it is, so
    whoever removes the download (the service's `remove`) can delete it."""
    disk = tmp_path / "disk"
    with tmpfs(disk, "size=4m,mode=0755"):
        nginx.add_file("wontfit.bin", 8 * MiB)
        with pytest.raises(DiskError) as caught:
            paxel.download(nginx.url("wontfit.bin"), folder=disk, connections=2)
        assert caught.value.part_path == disk / "wontfit.bin.part"
        assert caught.value.part_path.exists()
