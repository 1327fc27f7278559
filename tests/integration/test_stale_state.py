"""What a run finds beside the final name: the resume state of a run killed between its final
rename and the state's removal, or a file of the user's that merely has a state's name.

The promises: running the same command again finishes the job (reports the file as done and
removes the stale state) instead of downloading it again or leaving junk; a `NAME.part.paxel`
that is not paxel's resume state is never overwritten or deleted. Real CLI processes, the fault
server, the real filesystem.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paxel import resume
from paxel.engine import Download, DownloadOptions
from support.faultserver import FaultServer

MiB = 1 << 20
PAXEL = [sys.executable, "-m", "paxel.cli"]
USERS = b"my own notes, not paxel's\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAXEL, url, *args], capture_output=True, text=True, timeout=120, check=False)


def killed_after_rename(fs: FaultServer, out: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """`out` complete, with the resume state a run killed right after its final rename leaves
    (the state of its last checkpoint, naming the very file now at `out`); the URL and the
    command that downloaded it."""
    url = fs.url(out.name, size=6 * MiB, trickle=4 * MiB)
    job = Download(DownloadOptions(url, output=out, connections=2),
                   on_progress=lambda p: job.pause() if p.done >= 2 * MiB else None,
                   progress_interval=0.05)
    assert job.run().paused
    saved = tmp_path / "state.copy"
    shutil.copyfile(resume.state_path(out), saved)
    args = ["-q", "-n", "2", "-o", str(out)]
    assert cli(url, *args).returncode == 0
    assert not resume.state_path(out).exists()
    shutil.copyfile(saved, resume.state_path(out))   # as the kill left it
    return url, args


def test_the_same_command_after_a_kill_past_the_rename_cleans_up(faultserver: FaultServer,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "done.bin"
    url, args = killed_after_rename(faultserver, out, tmp_path)
    inode = out.stat().st_ino
    before = len(faultserver.requests("GET"))
    done = cli(url, *args[1:])   # not quiet: it says what it found
    assert done.returncode == 0, done.stderr
    assert "already" in (done.stdout + done.stderr)
    assert not resume.state_path(out).exists(), "the stale state is junk: it must go"
    assert out.stat().st_ino == inode and sha(out.read_bytes()) == faultserver.sha256(url)
    assert len(faultserver.requests("GET")) == before, "nothing to fetch again"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.bin", "state.copy"]


def test_in_a_folder_too_the_file_is_not_fetched_again_as_a_copy(faultserver: FaultServer,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    out = folder / "done.bin"
    url, _ = killed_after_rename(faultserver, out, tmp_path)
    done = cli(url, "-q", "-d", str(folder))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["done.bin"], "no `done (1).bin`, no junk"
    assert sha(out.read_bytes()) == faultserver.sha256(url)


def test_a_state_beside_a_different_file_of_that_name_is_not_taken_for_done(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """The user replaced the finished file with another one of the same size: the state is not
    about that file, so the file is not reported as done (and is left alone)."""
    out = tmp_path / "done.bin"
    url, args = killed_after_rename(faultserver, out, tmp_path)
    data = out.read_bytes()
    out.unlink()
    out.write_bytes(data[::-1])
    done = cli(url, *args)
    assert done.returncode != 0 and "already exists" in done.stderr
    assert out.read_bytes() == data[::-1]


@pytest.mark.parametrize("kind", ["text", "symlink", "paxel-looking"])
@pytest.mark.parametrize("size", [64 * 1024, 6 * MiB], ids=["small", "with-state"])
def test_a_users_file_named_like_a_state_is_never_touched(faultserver: FaultServer, tmp_path: Path,
                                                          kind: str, size: int) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    url = faultserver.url("file.bin", size=size)
    mine = folder / "file.bin.part.paxel"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(USERS)
    if kind == "text":
        mine.write_bytes(USERS)
    elif kind == "symlink":
        mine.symlink_to(elsewhere)
    else:
        mine.write_bytes(b'{"format": 99, "url": "' + url.encode() + b'"}')
    before = os.lstat(mine)
    done = cli(url, "-q", "-d", str(folder))
    assert done.returncode == 0, done.stderr
    got = folder / "file (1).bin"
    assert sha(got.read_bytes()) == faultserver.sha256(url)
    assert os.lstat(mine).st_ino == before.st_ino and os.lstat(mine).st_mtime_ns == before.st_mtime_ns
    assert elsewhere.read_bytes() == USERS
    assert sorted(p.name for p in folder.iterdir()) == ["file (1).bin", "file.bin.part.paxel"]


def test_with_o_a_users_file_named_like_the_state_is_refused_not_overwritten(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("big.bin", size=6 * MiB)
    out = tmp_path / "big.bin"
    mine = resume.state_path(out)
    mine.write_bytes(USERS)
    done = cli(url, "-q", "-o", str(out))
    assert done.returncode == 2 and mine.name in done.stderr
    assert mine.read_bytes() == USERS and not out.exists()
    assert not resume.part_path(out).exists()
