"""A stream muxed through pipes while it is fetched, whose MP4 fills the disk after the last
segment is in but before the final resume state is written (a run at load 10 once did that:
the state was never written and the rerun fetched 29 of 30 segments again). Here the order is
made, not left to the scheduler: the muxer gets its first segment once the fetch has ended, and
the final state waits until ffmpeg has filled the disk. Real nginx, ffmpeg and tmpfs."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions
from paxel.errors import DiskError
from paxel.media.job import Decrypt, MediaJob
from paxel.media.plan import Piece
from support.media import check_output
from support.nginx import Nginx
from support.tmpfs import tmpfs

pytestmark = pytest.mark.media
CLEAR = "hls/v240"          # 2-s segments (seg000.ts …), 240p with audio


class _MuxOnlyAfterTheFetch(MediaJob):
    """ffmpeg's feeders wait until every segment is in; then the job waits (30 s at most) until
    ffmpeg has taken the disk's last room before it goes on to record the state."""

    def __init__(self, options: DownloadOptions) -> None:
        super().__init__(options)
        self.fetched = threading.Event()

    def _ready(self, work: Path, name: str) -> Path:
        self.fetched.wait(60)
        return super()._ready(work, name)

    def _run_units(self, pieces: Sequence[Piece], work: Path, decrypt: Decrypt) -> None:
        super()._run_units(pieces, work, decrypt)
        if any(p.name.endswith(".seg") for p in pieces):
            self.fetched.set()
            deadline = time.monotonic() + 30
            while shutil.disk_usage(work).free >= 64 * 1024 and time.monotonic() < deadline:
                time.sleep(0.02)


def test_an_mp4_that_fills_the_disk_after_the_fetch_leaves_every_segment_recorded(
        media: Nginx, tmp_path: Path) -> None:
    fetched = sum(p.stat().st_size for p in (media.data / CLEAR).glob("seg*.ts"))
    url = media.url(f"{CLEAR}/index.m3u8")
    with tmpfs(tmp_path / "disk", f"size={fetched * 126 // 100 // 4096 * 4}k,mode=0755") as disk:
        out = disk / "out.mp4"
        job = _MuxOnlyAfterTheFetch(DownloadOptions(url, output=out))
        with pytest.raises(DiskError, match="disk full"):
            job.run()
        assert job.fetched.is_set(), "the disk filled during the fetch: not the case under test"
        assert not out.exists()
        subprocess.run(["mount", "-o", f"remount,size={fetched * 4 // 1024}k", str(disk)], check=True,
                       capture_output=True)
        media.clear_log()
        MediaJob(DownloadOptions(url, output=out)).run()
        check_output(out, 240)
        assert [p.name for p in disk.iterdir()] == ["out.mp4"]
        refetched = [line.request for line in media.log() if line.request.endswith(".ts")]
        assert not refetched, f"{len(refetched)} segments fetched again"
