"""Helpers for the tests of media segments fetched in pieces (tests/integration/test_unit_pieces*):
a media job in a child process killed with SIGKILL while its pieces are being read, and a job
run on a thread of its own with its exception kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

# a MediaJob without ffmpeg (segments joined into a .ts), 4 connections: URL and output in argv
MEDIA_JOB = ("import sys; from pathlib import Path; from paxel.engine import DownloadOptions; "
             "from paxel.media.job import MediaJob; "
             "MediaJob(DownloadOptions(sys.argv[1], output=Path(sys.argv[2]), connections=4), "
             "ffmpeg=False).run()")


def kill_9_while_pieces_run(url: str, out: Path, part: str, settle: float) -> None:
    """Run the media job of `url` into `out` in a child; once a file matching `part` is in its
    work folder, wait `settle` s (idle connections take pieces after 0.25 s and start reading),
    then SIGKILL it."""
    work = out.with_name(out.name + ".paxel-media")
    run = subprocess.Popen([sys.executable, "-c", MEDIA_JOB, url, str(out)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(work.glob(part)):
            time.sleep(0.02)
        time.sleep(settle)
        assert run.poll() is None, "finished before it could be killed"
        os.kill(run.pid, signal.SIGKILL)
    finally:
        if run.poll() is None:
            run.kill()
        run.wait()


def in_background(job: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    """`job` started on its own thread; the list gets what it raised, if anything."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors
