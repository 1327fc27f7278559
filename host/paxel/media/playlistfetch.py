"""Fetching a playlist's text: through a one-unit UnitJob (the download's headers, cookies and
retries), given up as soon as it passes PLAYLIST_LIMIT. A page chooses the URL `media_probe`
reads, and a huge file behind a playlist's name must not be downloaded whole only to be refused.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

from paxel.engine import DownloadOptions, Unit, UnitDone, UnitJob
from paxel.errors import Cancelled, NetworkError, PaxelError

PLAYLIST_LIMIT = 16 << 20


def fetch_playlist(url: str, options: DownloadOptions, deadline: float | None = None) -> str:
    """The text at `url` (undecodable bytes replaced), or PaxelError past PLAYLIST_LIMIT or, when
    given, past the `deadline` (time.monotonic(): a popup waits for the service's media_probe,
    and a body trickled just above the speed floor would take hours)."""
    with tempfile.TemporaryDirectory(prefix="paxel-playlist-") as tmp:
        job = UnitJob([Unit(url, Path(tmp) / "playlist")], replace(options, connections=1))
        done = _run_capped(job, Path(tmp), PLAYLIST_LIMIT, deadline)
        if done == "late":
            raise NetworkError(f"{url}: no whole playlist within the probe's time")
        if done is None or done[0].path.stat().st_size > PLAYLIST_LIMIT:
            raise PaxelError(f"{url}: a playlist over {PLAYLIST_LIMIT >> 20} MiB")
        return done[0].path.read_bytes().decode("utf-8", errors="replace")


def _run_capped(job: UnitJob, folder: Path, cap: int,
                deadline: float | None) -> list[UnitDone] | Literal["late"] | None:
    """`job.run()`, cancelled (None) once the files in `folder` hold more than `cap` bytes, or
    ("late") once the `deadline` passed."""
    finished, over, late = threading.Event(), threading.Event(), threading.Event()

    def watch() -> None:
        while not finished.wait(0.05):
            if _bytes_in(folder) > cap:
                over.set()
                job.cancel()
                return
            if deadline is not None and time.monotonic() > deadline:
                late.set()
                job.cancel()
                return
    watcher = threading.Thread(target=watch, daemon=True, name="paxel-playlist-cap")
    watcher.start()
    try:
        return job.run()
    except Cancelled:
        if over.is_set():
            return None
        if late.is_set():
            return "late"
        raise
    finally:
        finished.set()
        watcher.join()


def _bytes_in(folder: Path) -> int:
    total = 0
    for path in folder.iterdir():
        with contextlib.suppress(OSError):  # a part file renamed as we look
            total += path.stat().st_size
    return total
