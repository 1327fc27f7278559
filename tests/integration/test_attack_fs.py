"""An unlucky user's file system against the engine: a disk that turns read-only or runs out of
inodes mid-run, a download folder swapped for a symlink, look-alike (Unicode-normalised) names.
Exact bytes or a clear DISK error, nothing outside the chosen folder, no user file replaced.
The tests mount their own tmpfs (we are root) and skip, saying why, where mounting is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from paxel import resume
from paxel.engine import Download, DownloadOptions, Progress
from paxel.errors import DiskError, ErrorCode
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.tmpfs import tmpfs

MiB = 1 << 20
PAXEL = [sys.executable, "-m", "paxel.cli"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAXEL, url, "-q", *args], capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "size=32m,mode=0755") as where:
        yield where


def remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True, capture_output=True)


def test_the_disk_turns_read_only_between_runs_then_back(faultserver: FaultServer, disk: Path) -> None:
    """(Linux refuses to remount a file system read-only while a file on it is open for writing,
    so the turn comes while paused.) A clear DISK error that leaves `.part` and state as they
    were; writable again, the same command resumes to the exact bytes."""
    url = faultserver.url("ro.bin", size=8 * MiB, trickle=8 * MiB)
    out = disk / "ro.bin"
    job = Download(DownloadOptions(url, output=out, connections=2),
                   on_progress=lambda p: job.pause() if p.done >= 2 * MiB else None, progress_interval=0.05)
    assert job.run().paused
    kept = {p.name: p.read_bytes() for p in disk.iterdir()}
    remount(disk, "ro")
    done = cli(url, "-o", str(out))
    assert done.returncode == ErrorCode.DISK, (done.returncode, done.stderr)
    assert "read-only" in done.stderr, done.stderr
    remount(disk, "rw")
    assert {p.name: p.read_bytes() for p in disk.iterdir()} == kept
    faultserver.reset()
    done = cli(url, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sha(out.read_bytes()) == faultserver.sha256(url)
    assert sorted(p.name for p in disk.iterdir()) == ["ro.bin"]
    assert sum(r.sent for r in faultserver.requests("GET")) < 8 * MiB - MiB, "resumed nothing"


def test_no_inode_left_for_the_resume_state(faultserver: FaultServer, tmp_path: Path) -> None:
    """The `.part` gets the last inode; its state file finds none: a clear DISK error, and the
    same command finishes once inodes are free."""
    where = tmp_path / "inodes"
    with tmpfs(where, "size=32m,nr_inodes=4,mode=0755"):   # the root folder, 2 fillers, the .part
        (where / "filler").touch()
        (where / "filler2").touch()
        url = faultserver.url("inode.bin", size=4 * MiB)
        out = where / "inode.bin"
        done = cli(url, "-o", str(out))
        assert done.returncode == ErrorCode.DISK, (done.returncode, done.stderr)
        assert "full" in done.stderr or "space" in done.stderr, done.stderr
        assert not out.exists()
        (where / "filler").unlink()   # the state and its temp file need one inode each
        (where / "filler2").unlink()
        done = cli(url, "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert sha(out.read_bytes()) == faultserver.sha256(url)


def test_the_folder_swapped_for_a_symlink_between_runs(faultserver: FaultServer, tmp_path: Path) -> None:
    """Paused in dl/; dl is moved away and replaced by a symlink to another folder; the same
    command again: the moved `.part` and state are left alone, the download lands where dl/ now
    points, with the exact bytes."""
    (tmp_path / "dl").mkdir()
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "dl" / "moved.bin"
    url = faultserver.url(out.name, size=8 * MiB, trickle=8 * MiB)
    job = Download(DownloadOptions(url, output=out, connections=2),
                   on_progress=lambda p: job.pause() if p.done >= 2 * MiB else None, progress_interval=0.05)
    assert job.run().paused
    os.rename(tmp_path / "dl", tmp_path / "dl.old")
    kept = {p.name: p.read_bytes() for p in (tmp_path / "dl.old").iterdir()}
    (tmp_path / "dl").symlink_to(tmp_path / "elsewhere")
    done = cli(url, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sha((tmp_path / "elsewhere" / "moved.bin").read_bytes()) == faultserver.sha256(url)
    assert {p.name: p.read_bytes() for p in (tmp_path / "dl.old").iterdir()} == kept


def test_the_folder_swapped_for_a_symlink_mid_run(faultserver: FaultServer, tmp_path: Path) -> None:
    """The download holds its folder (paxel.folder): the state and the final file stay in the
    folder it started in (now `dl.old`), never written through the link into another one."""
    (tmp_path / "dl").mkdir()
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "dl" / "mid.bin"
    url = faultserver.url(out.name, size=6 * MiB, trickle=4 * MiB)

    def swap(p: Progress) -> None:
        if p.state == "running" and not (tmp_path / "dl.old").exists():
            os.rename(tmp_path / "dl", tmp_path / "dl.old")
            (tmp_path / "dl").symlink_to(tmp_path / "elsewhere")

    with contextlib.suppress(DiskError):
        Download(DownloadOptions(url, output=out, connections=2), on_progress=swap,
                 progress_interval=0.05).run()
    assert list((tmp_path / "elsewhere").iterdir()) == [], "wrote outside the folder it was given"


def test_a_look_alike_name_never_replaces_the_users_file(faultserver: FaultServer, tmp_path: Path) -> None:
    """The user has `café.bin` spelt with a combining accent (NFD, as macOS writes it); the server
    names its file `café.bin` (NFC). On Linux these are two names: the user's file keeps its bytes."""
    nfd = unicodedata.normalize("NFD", "café.bin")
    (tmp_path / nfd).write_bytes(b"mine")
    url = faultserver.url("x", size=3 * MiB, cd="attachment; filename*=UTF-8''caf%CC%81.bin")
    done = cli(url, "-d", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / nfd).read_bytes() == b"mine"
    saved = [p for p in tmp_path.iterdir() if p.name != nfd]
    assert len(saved) == 1 and sha(saved[0].read_bytes()) == faultserver.sha256(url), saved


@pytest.mark.timeout(90)
@pytest.mark.parametrize("tamper", ["symlink", "zeroed-same-size", "fifo"])
def test_killed_with_sigkill_then_tampered(nginx: Nginx, tmp_path: Path, tamper: str) -> None:
    """`kill -9` mid-run (no pause, no last checkpoint), then the `.part` is tampered with: the
    next run never writes through it and never trusts zeros where data was."""
    (tmp_path / "dl").mkdir()
    out = tmp_path / "dl" / f"killed-{tamper}.bin"
    digest = nginx.add_file(out.name, 24 * MiB)
    command = [*PAXEL, nginx.url(out.name, "capped"), "-q", "-n", "2", "-o", str(out)]
    run = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not resume.state_path(out).exists():
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.7)
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait()
    part = resume.part_path(out)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious" * 1000)
    if tamper == "symlink":
        part.unlink()
        part.symlink_to(victim)
    elif tamper == "zeroed-same-size":
        size = part.stat().st_size
        os.truncate(part, 0)
        os.truncate(part, size)
    else:
        part.unlink()
        os.mkfifo(part)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert victim.read_bytes() == b"precious" * 1000
    if tamper == "fifo":
        assert done.returncode == ErrorCode.DISK and not out.exists(), (done.returncode, done.stderr)
        return
    assert done.returncode == 0, done.stderr
    assert not out.is_symlink() and sha(out.read_bytes()) == digest
