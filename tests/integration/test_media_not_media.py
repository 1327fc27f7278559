"""Segments answered 200 with something that is not the media the playlist promised (found by
issue 14's second attack): a text refusal, random bytes, an MPEG-TS segment cut inside a packet.
ffmpeg skipped each and made a shorter MP4 with exit 0 (1450 of 1500 frames); paxel must refuse
the stream naming the segment and make no file. Real nginx serving playlists written here beside
the ffmpeg-made fixtures, a real `paxel` process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.media import FRAMES, check_output, probe
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


def _playlist(segments: list[str], end: bool, target: int = 1) -> bytes:
    """2-s segments; a live one's target of 1 s has the playlist read again every second."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0"]
    for seg in segments:
        lines += ["#EXTINF:2.000000,", seg]
    return ("\n".join([*lines, *(["#EXT-X-ENDLIST"] if end else [])]) + "\n").encode()


def _record_live(url: str, out: Path, where: Path, segs: list[str],
                 recorded: Callable[[], bool]) -> tuple[int, str]:
    """Records the live playlist until `recorded` holds (or paxel ends, 30 s at most), then
    ends the playlist and returns paxel's exit code and stderr."""
    run = subprocess.Popen([sys.executable, "-m", "paxel", url, "-o", str(out), "-q"],
                           stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and run.poll() is None and not recorded():
        time.sleep(0.05)
    _publish(where, "index.m3u8.tmp", _playlist(segs, end=True))
    (where / "index.m3u8.tmp").replace(where / "index.m3u8")
    try:
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    return run.returncode, err


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
    _publish(where, "index.m3u8", _playlist(segs, end=True, target=2))
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "-m", "paxel", media.url(f"{where.name}/index.m3u8"),
                           "-o", str(out), "-q"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0, f"made a file of {_frames(out)} frames of {4 * FRAMES // 30}"
    assert "bad.ts" in done.stderr, done.stderr
    assert not out.exists()


def test_a_live_segment_that_is_not_media_is_skipped_like_a_gone_one(media: Nginx, media_root: Path,
                                                                    tmp_path: Path) -> None:
    """A live CDN's error text for one segment ended the whole recording with no file; as a
    segment that answers 404 (gone from the window), it is skipped with a note instead."""
    where = _folder(media_root)
    _publish(where, "bad.ts", b"Access denied\n")
    segs = [f"../{CLEAR}/seg000.ts", "bad.ts", f"../{CLEAR}/seg001.ts"]
    _publish(where, "index.m3u8", _playlist(segs, end=False))
    out = tmp_path / "live.mp4"
    url = media.url(f"{where.name}/index.m3u8")
    state = tmp_path / "live.mp4.paxel-media" / "state.json"

    def both_good_recorded() -> bool:
        with contextlib.suppress(OSError, ValueError, KeyError):
            return len(json.loads(state.read_bytes())["done"]) >= 2
        return False

    code, err = _record_live(url, out, where, segs, both_good_recorded)
    assert code == 0, err
    assert "bad.ts" in err and "skipped" in err, err
    check_output(out, 240, seconds=4)


def test_a_live_recording_with_every_segment_skipped_says_nothing_was_recorded(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """Every segment an error text (an expired token): all are skipped, and the end was
    ffmpeg's "pipe:4: Invalid data found when processing input" for an empty input."""
    where = _folder(media_root)
    _publish(where, "bad.ts", b"Access denied\n")
    segs = ["bad.ts?0", "bad.ts?1"]
    _publish(where, "index.m3u8", _playlist(segs, end=False))
    out = tmp_path / "live.mp4"
    url = media.url(f"{where.name}/index.m3u8")
    code, err = _record_live(url, out, where, segs,
                             lambda: {line.request.rsplit("/", 1)[-1] for line in media.log()} >= set(segs))
    assert code != 0 and "nothing was recorded" in err and "bad.ts" in err, err
    assert not out.exists()
