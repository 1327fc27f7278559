"""A stream whose fetch fails (a segment gone: 404) on a disk that then refuses the resume
state too: the user must hear about the gone segment, the cause, not about the state file. The
state write after a failure raised DiskError, which the `suppress(OSError)` meant for it did not
catch, so the disk error replaced the 404. Real nginx and playlist; the state write is made to
fail once the fetch has failed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions
from paxel.errors import DiskError, PaxelError
from paxel.media.job import MediaJob
from support.nginx import Nginx

pytestmark = pytest.mark.media
CLEAR = "hls/v240"


class _StateRefusedAfterAFailure(MediaJob):
    def _save_state(self, work: Path) -> None:
        if self._failed is not None:
            raise DiskError("no space left for the resume state")
        super()._save_state(work)


def test_a_failed_fetch_reports_its_cause_when_the_state_cannot_be_written(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    where = media_root / f"statefail-{os.getpid()}-{time.monotonic_ns()}"
    where.mkdir()
    where.chmod(0o755)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for seg in [f"../{CLEAR}/seg000.ts", "gone.ts", f"../{CLEAR}/seg001.ts"]:
        lines += ["#EXTINF:2.000000,", seg]
    (where / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n")
    (where / "index.m3u8").chmod(0o644)
    job = _StateRefusedAfterAFailure(DownloadOptions(media.url(f"{where.name}/index.m3u8"),
                                                     output=tmp_path / "out.mp4"))
    with pytest.raises(PaxelError) as failed:
        job.run()
    assert not isinstance(failed.value, DiskError), failed.value
    assert "gone.ts" in str(failed.value) or "404" in str(failed.value), failed.value
    assert not (tmp_path / "out.mp4").exists()
