"""`paxel URL -o FILE` as a real process, for the tests that interrupt it mid-download."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from paxel import resume

PAXEL = [sys.executable, "-m", "paxel.cli"]


@contextlib.contextmanager
def downloading(command: list[str], out: Path) -> Iterator[subprocess.Popen[str]]:
    """`command` (writing `out`) started and past its start-up: its resume state is on disk, so
    an interrupt from here on pauses a download that has begun. Killed on leaving if still running."""
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not resume.state_path(out).exists():
            assert run.poll() is None and time.monotonic() < deadline, "the download never started"
            time.sleep(0.02)
        yield run
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
