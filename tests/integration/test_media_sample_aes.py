"""SAMPLE-AES with the plain `identity` key format (issue 14: "only if ffmpeg decrypts it correctly
(test it), else the same clear refusal"). A real SAMPLE-AES stream is made here
(support/sampleaes.py), and the system's ffmpeg is asked to decrypt it exactly as paxel would have
to (its HLS demuxer on a local playlist with the key): ffmpeg 5.1 leaves the stream's last video
frames encrypted and exits 0, a file whose end is garbage. So paxel refuses the stream, like DRM,
and fetches no segment. If a newer ffmpeg decrypts every frame, the first test says so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.media import FFMPEG
from support.nginx import Nginx
from support.sampleaes import START, make_sample_aes

pytestmark = pytest.mark.media
KEY, IV = bytes(range(32, 48)), bytes(15) + b"\x09"


@pytest.fixture(scope="module")
def stream(media_root: Path) -> Path:
    """8 s of the 240p fixture's video as SAMPLE-AES HLS, served under media_root."""
    return make_sample_aes(media_root / "src" / "240.mp4",
                           media_root / f"sample-aes-{os.getpid()}-{time.monotonic_ns()}", KEY, IV)


def frame_hashes(path: Path, *before: str) -> list[str]:
    """The MD5 of every decoded video frame (ffmpeg's framemd5), in order."""
    out = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", *before, "-i", str(path),
                          "-map", "0:v", "-f", "framemd5", "-"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


def test_the_stream_is_right_and_ffmpeg_leaves_its_last_frames_encrypted(stream: Path) -> None:
    clear = frame_hashes(stream.parent / "clear.h264")
    assert len(clear) == 200 and len(START.findall((stream.parent / "seg000.ts").read_bytes())) > 50
    out = stream.parent / "by-ffmpeg.mp4"
    done = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-allowed_extensions", "ALL",
                           "-i", str(stream), "-c", "copy", str(out)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr            # ffmpeg calls it a success
    decrypted = frame_hashes(out)
    assert len(decrypted) == len(clear)
    wrong = [i for i, (a, b) in enumerate(zip(decrypted, clear, strict=True)) if a != b]
    # every frame but the last ones matches: the stream is made right, and ffmpeg's decryption
    # works until the end of the stream, where it passes the last packets through encrypted
    assert wrong, ("ffmpeg now decrypts SAMPLE-AES (identity) exactly: paxel could download it instead "
                   "of refusing it (host/paxel/media/hls.py, docs/media.md)")
    assert wrong == list(range(wrong[0], len(clear))) and len(wrong) <= 4, wrong


def test_paxel_refuses_a_real_sample_aes_stream_and_fetches_no_segment(media: Nginx, stream: Path,
                                                                       tmp_path: Path) -> None:
    media.clear_log()
    name = f"{stream.parent.name}/index.m3u8"
    done = subprocess.run([sys.executable, "-m", "paxel", media.url(name), "-d", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 8, done.stderr
    assert "SAMPLE-AES" in done.stderr and "DRM" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []
    assert [line.request for line in media.log()] == [f"/files/{name}"]
