"""A tmpfs of our own for the disk tests (full disk, read-only mount, no inodes left): we are root
here. Where mounting is refused the test skips, saying why; the mount is always undone."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mount_tmpfs(where: Path, options: str) -> None:
    """Mount a tmpfs with `options` (mount -o) on `where`, made if missing; skip the test if refused."""
    where.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")


def umount(where: Path) -> None:
    """Unmount `where`; lazily when something still holds it open (a killed child's file)."""
    if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """`where` with a fresh tmpfs mounted on it for the duration."""
    mount_tmpfs(where, options)
    try:
        yield where
    finally:
        umount(where)
