"""A playlist whose discontinuity joins MPEG-TS segments to fMP4 ones (an ad or a new encoder
in the other container; RFC 8216 allows an EXT-X-MAP after EXT-X-DISCONTINUITY). ffmpeg's
concat demuxer took the first run's stream parameters for both and failed on the second run's
audio ("Error parsing ADTS frame header"), so the stream could not be downloaded at all (found
by issue 14's second attack). Real nginx, the ffmpeg-made fixtures, ffprobe on the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.media import check_output
from support.nginx import Nginx

pytestmark = pytest.mark.media


def test_ts_then_fmp4_after_a_discontinuity_make_one_file(media: Nginx, media_root: Path,
                                                          tmp_path: Path) -> None:
    where = media_root / f"mixed-{os.getpid()}-{time.monotonic_ns()}"
    where.mkdir()
    where.chmod(0o755)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
    lines += [f"#EXTINF:2.000000,\n../hls/v240/seg{i:03}.ts" for i in range(3)]
    lines += ["#EXT-X-DISCONTINUITY", '#EXT-X-MAP:URI="../fmp4/init.mp4"']
    lines += [f"#EXTINF:2.000000,\n../fmp4/seg{i:03}.m4s" for i in range(10, 13)]
    (where / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n")
    (where / "index.m3u8").chmod(0o644)
    out = tmp_path / "mixed.mp4"
    url = media.url(f"{where.name}/index.m3u8")
    done = subprocess.run([sys.executable, "-m", "paxel", url, "-o", str(out), "-q"], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    check_output(out, 240, seconds=12)
