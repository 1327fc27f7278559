"""A full disk and an unwritable folder: a clear DiskError (exit 6), nothing lost, resumable.

The tests mount their own small tmpfs (we are root) and always unmount it; they skip, saying why,
only when mounting is refused here.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import paxel
from paxel import resume
from paxel.errors import DiskError, ErrorCode
from support.nginx import Nginx
from support.tmpfs import tmpfs

MIB = 1 << 20
PAXEL_CLI = str(Path(sys.executable).parent / "paxel")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "size=16m,mode=0755") as where:
        yield where


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PAXEL_CLI, *args, "--quiet"], capture_output=True, text=True,
                          timeout=60, check=False)


def fill(path: Path, size: int | None = None) -> None:
    """Write zeros to `path` until `size` bytes, or until the disk is full when size is None."""
    block = bytes(MIB // 4)
    with path.open("wb", buffering=0) as f:
        written = 0
        try:
            while size is None or written < size:
                n = len(block) if size is None else min(len(block), size - written)
                written += f.write(block[:n]) or 0
        except OSError:
            if size is not None:
                raise


def test_disk_full_then_space_freed_resumes(nginx: Nginx, small_disk: Path) -> None:
    name = "toobig.bin"
    expected = nginx.add_file(name, 12 * MIB)
    filler = small_disk / "filler"
    fill(filler, 10 * MIB)  # 16 MiB disk, ~6 MiB free: the 12 MiB download cannot fit
    argv = (nginx.url(name), "-n", "4", "-d", str(small_disk))

    done = cli(*argv)
    assert done.returncode == ErrorCode.DISK, (done.returncode, done.stderr)
    assert "full" in done.stderr.lower() or "space" in done.stderr.lower(), done.stderr
    final = small_disk / name
    assert not final.exists()
    if resume.part_path(final).exists():
        assert resume.state_path(final).exists(), ".part kept without its resume state"
        kept = resume.decode(resume.state_path(final).read_bytes()).done
    else:
        kept = 0

    filler.unlink()
    logged = len(nginx.log())
    done = cli(*argv)  # the same command again, once there is room
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(final.read_bytes()).hexdigest() == expected
    assert sorted(p.name for p in small_disk.iterdir()) == [name], "leftovers beside the file"
    if kept:
        time.sleep(0.1)  # nginx logs a request just after its last byte
        sent = sum(line.bytes_sent for line in nginx.log()[logged:] if line.request.endswith(f"/{name}"))
        assert sent <= 12 * MIB - kept + 4 * 2 * MIB, "bytes kept on disk were fetched again"


def test_disk_fills_up_mid_download(nginx: Nginx, small_disk: Path) -> None:
    """Space runs out while the transfer runs (another program fills the disk)."""
    name = "midway.bin"
    expected = nginx.add_file(name, 10 * MIB)
    out = small_disk / name
    proc = subprocess.Popen([PAXEL_CLI, nginx.url(name, "capped"), "-n", "1", "-o", str(out), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not resume.part_path(out).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        hog = small_disk / "hog"
        fill(hog)  # every free byte, then the engine's next write (data or state) hits ENOSPC
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode == 0:
        # Preallocation reserved every byte up front: nothing was left to fail. That is fine.
        assert hashlib.sha256(out.read_bytes()).hexdigest() == expected
        return
    assert proc.returncode == ErrorCode.DISK, (proc.returncode, err)
    assert "full" in err.lower() or "space" in err.lower(), err
    assert resume.part_path(out).exists() and resume.state_path(out).exists(), "state lost on ENOSPC"
    time.sleep(0.1)  # nginx logs a request just after its last byte
    sent = sum(line.bytes_sent for line in nginx.log() if line.request.endswith(f"/{name}"))
    assert sent < 10 * MIB, "the connections kept downloading after the disk error"
    hog.unlink()
    done = cli(nginx.url(name, "capped"), "-n", "4", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected


def test_unwritable_folder_is_a_clear_disk_error(nginx: Nginx, tmp_path: Path) -> None:
    # Root ignores permission bits, so "unwritable" is a read-only mount.
    where = tmp_path / "ro"
    with tmpfs(where, "ro,size=1m"):
        url = nginx.url("ro.bin")
        nginx.add_file("ro.bin", 64 * 1024)
        done = cli(url, "-d", str(where))
        assert done.returncode == ErrorCode.DISK, (done.returncode, done.stderr)
        assert str(where) in done.stderr, f"the error should name the folder: {done.stderr!r}"
        with pytest.raises(DiskError) as info:
            paxel.download(url, folder=where)
        assert info.value.code == ErrorCode.DISK
        assert list(where.iterdir()) == []
