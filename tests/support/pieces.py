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
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from support.nginx import LogLine, Nginx

# a MediaJob without ffmpeg (segments joined into a .ts), 4 connections: URL and output in argv
MEDIA_JOB = ("import sys; from pathlib import Path; from paxel.engine import DownloadOptions; "
             "from paxel.media.job import MediaJob; "
             "MediaJob(DownloadOptions(sys.argv[1], output=Path(sys.argv[2]), connections=4), "
             "ffmpeg=False).run()")


def kill_9_while_pieces_run(server: Nginx, url: str, out: Path, part: str, units: int) -> int:
    """Run the media job of `url` into `out` in a child; once a file matching `part` is in its
    work folder and `server` sends more answers than there are `units` (so a piece, a Range
    request, is on its way: idle connections take pieces once a unit's speed is known, 0.25 s
    in or later under load), SIGKILL it. Return a connection serial above every connection of
    the killed job (see killed_pieces)."""
    work = out.with_name(out.name + ".paxel-media")
    run = subprocess.Popen([sys.executable, "-c", MEDIA_JOB, url, str(out)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run.poll() is None \
                and not (list(work.glob(part)) and server.sending() > units):
            time.sleep(0.02)
        assert run.poll() is None, "finished before it could be killed"
        assert server.sending() > units, "no piece was taken within 30 s"
        os.kill(run.pid, signal.SIGKILL)
    finally:
        if run.poll() is None:
            run.kill()
        run.wait()
    return _serial(server)


def _serial(server: Nginx) -> int:
    """The connection serial of a request made now: nginx numbers connections as it accepts
    them, so every connection opened before has a lower one."""
    try:
        urllib.request.urlopen(server.url("paxel-serial-mark"), timeout=10).close()
    except urllib.error.HTTPError as exc:   # (a 404: it only has to be logged)
        exc.close()
    deadline = time.monotonic() + 10   # (logged just after its answer is sent: wait for it)
    while True:
        marks = [line.connection for line in server.log() if line.request.endswith("/paxel-serial-mark")]
        if marks:
            return marks[-1]
        assert time.monotonic() < deadline, "the mark request was never logged"
        time.sleep(0.02)


def killed_pieces(server: Nginx, serial: int, timeout: float = 30) -> list[LogLine]:
    """The pieces (Range requests) the job killed by kill_9_while_pieces_run asked for. nginx
    logs a request as it ends, and one whose client was killed ends when nginx next writes to
    it, after a `limit_rate` pause: at load 10 no line of the killed job was in the log 1.5 s
    after the kill, all of them 3 s later. So wait for one, never a fixed pause."""
    deadline = time.monotonic() + timeout
    while True:
        pieces = [line for line in server.log() if line.range and line.connection < serial]
        if pieces or time.monotonic() > deadline:
            return pieces
        time.sleep(0.05)


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
