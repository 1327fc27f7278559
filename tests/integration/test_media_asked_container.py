"""`paxel PLAYLIST -o clip.mkv` (or `clip.ts`) made an MP4 under that name (found by issue 14's
second attack): the file's name said one container and its bytes another. ffmpeg now writes
the container the asked name says (Matroska, MPEG-TS; MP4 for any other name), still without
re-encoding. Real nginx, the ffmpeg-made fixtures, ffprobe on the output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.media import check_output, probe
from support.nginx import Nginx

pytestmark = pytest.mark.media


@pytest.mark.parametrize(("name", "stream", "container"), [
    ("clip.mkv", "short/index.m3u8", "matroska"),
    ("clip.ts", "dashnum/manifest.mpd", "mpegts"),   # fMP4 tracks into MPEG-TS
    ("clip.mp4", "short/index.m3u8", "mp4"),
])
def test_the_asked_name_says_the_container(media: Nginx, tmp_path: Path, name: str, stream: str,
                                           container: str) -> None:
    out = tmp_path / name
    done = subprocess.run([sys.executable, "-m", "paxel", media.url(stream), "-o", str(out), "-q"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    fmt = probe(out)["format"]
    assert isinstance(fmt, dict) and container in str(fmt["format_name"]), fmt
    check_output(out, 240, seconds=8 if stream.startswith("short") else 60)
