"""Segments answered 200 with something that is not the media the playlist promised (found by
issue 14's second attack): a text refusal, random bytes, an MPEG-TS segment cut inside a packet.
ffmpeg skipped each and made a shorter MP4 with exit 0 (1450 of 1500 frames); paxel must refuse
the stream naming the segment and make no file. Real nginx serving playlists written here beside
the ffmpeg-made fixtures, a real `paxel` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.media import FRAMES, probe
from support.nginx import Nginx

pytestmark = pytest.mark.media
CLEAR = "hls/v240"


def _folder(media_root: Path) -> Path:
    made = media_root / f"notmedia-{os.getpid()}-{time.monotonic_ns()}"
    made.mkdir()
    made.chmod(0o755)
    return made


def _publish(where: Path, name: str, data: bytes) -> None:
    (where / name).write_bytes(data)
    (where / name).chmod(0o644)


def _frames(path: Path) -> int:
    streams = probe(path)["streams"]
    assert isinstance(streams, list)
    return int(next(s for s in streams if s["codec_type"] == "video")["nb_read_packets"])


@pytest.mark.parametrize("bad", ["text", "random", "cut-in-a-packet"])
def test_a_segment_that_is_not_media_is_never_muxed(media: Nginx, media_root: Path, tmp_path: Path,
                                                   bad: str) -> None:
    where = _folder(media_root)
    real = (media_root / CLEAR / "seg001.ts").read_bytes()
    body = {"text": b"Access denied\n", "random": b"\x12" + os.urandom(60_000),
            "cut-in-a-packet": real[:len(real) // 2 - 100]}[bad]
    _publish(where, "bad.ts", body)
    segs = [f"../{CLEAR}/seg{i:03}.ts" for i in range(4)]
    segs[1] = "bad.ts"
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for seg in segs:
        lines += ["#EXTINF:2.000000,", seg]
    _publish(where, "index.m3u8", ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode())
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "-m", "paxel", media.url(f"{where.name}/index.m3u8"),
                           "-o", str(out), "-q"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0, f"made a file of {_frames(out)} frames of {4 * FRAMES // 30}"
    assert "bad.ts" in done.stderr, done.stderr
    assert not out.exists()
