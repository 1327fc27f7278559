"""Real media in pieces: segments big enough to be split (an 8-s 360p stream at 3 Mbit/s, ~800 kB
a segment, cut by ffmpeg into fMP4 with EXT-X-MAP, one file with EXT-X-BYTERANGE, DASH
SegmentList with mediaRange and SegmentBase, a live playlist), served by nginx at 1 MB/s per
connection to more connections than segments: idle connections take pieces, and ffprobe finds every frame."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from paxel.engine import DownloadOptions
from paxel.media.job import MediaJob
from support.media import FFMPEG, check_output
from support.nginx import Nginx
from support.pieces import in_background

pytestmark = pytest.mark.media
SECONDS = 8
HEIGHT = 360


def _ff(*args: str, cwd: Path) -> None:
    cwd.mkdir(parents=True, exist_ok=True)
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def big_media() -> Iterator[Nginx]:
    if shutil.which(FFMPEG) is None:
        pytest.skip("no ffmpeg")
    root = Path(tempfile.mkdtemp(prefix="paxel-bigmedia-"))
    src = root / "src.mp4"
    _ff("-f", "lavfi", "-i", f"testsrc2=size=640x{HEIGHT}:rate=25:duration={SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
        "-pix_fmt", "yuv420p", "-b:v", "3M", "-maxrate", "3M", "-bufsize", "3M",
        "-c:a", "aac", "-b:a", "64k", "-shortest", str(src), cwd=root)
    copy = ["-i", str(src), "-c", "copy"]
    hls = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]
    _ff(*copy, *hls, "-hls_segment_type", "fmp4", "-hls_segment_filename", "seg%03d.m4s", "index.m3u8",
        cwd=root / "fmp4")
    _ff(*copy, *hls, "-hls_flags", "single_file", "index.m3u8", cwd=root / "range")
    _ff(*copy, *hls, "-hls_segment_filename", "seg%03d.ts", "index.m3u8", cwd=root / "ts")
    (root / "live").mkdir()
    _ff(*copy, "-map", "0:v", "-map", "0:a", "-f", "dash", "-seg_duration", "2",
        "-use_template", "0", "-use_timeline", "0", "-single_file", "1",
        "-adaptation_sets", "id=0,streams=v id=1,streams=a", "manifest.mpd", cwd=root / "dashlist")
    listed = (root / "dashlist" / "manifest.mpd").read_text()
    based = re.sub(r"<SegmentList.*?</SegmentList>", '<SegmentBase indexRange="0-0"/>', listed, flags=re.S)
    (root / "dashbase").mkdir()
    (root / "dashbase" / "manifest.mpd").write_text(based.replace("<BaseURL>", "<BaseURL>../dashlist/"))
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    root.chmod(0o755)
    server = Nginx(rate="1000k", root=root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name", ["fmp4/index.m3u8", "range/index.m3u8", "dashlist/manifest.mpd"])
def test_a_stream_fetched_in_pieces_has_every_frame(big_media: Nginx, tmp_path: Path, name: str) -> None:
    big_media.clear_log()
    out = tmp_path / "clip.mp4"
    MediaJob(DownloadOptions(big_media.url(name, "capped"), output=out, connections=8)).run()
    pieces = [line for line in big_media.log() if line.range and line.status == 206]
    plain = [line for line in big_media.log() if line.method == "GET" and not line.range]
    print(f"{name}: {len(plain)} GETs without Range, {len(pieces)} 206s")
    check_output(out, HEIGHT, seconds=SECONDS)
    if name == "fmp4/index.m3u8":
        assert pieces, "no piece was taken"
    elif name == "range/index.m3u8":   # its 4 segments are 206s already: more is pieces
        assert len(pieces) > 4, "no piece was taken"


def test_dash_segmentbase_in_pieces_plays(big_media: Nginx, tmp_path: Path) -> None:
    """SegmentBase: each representation is one unit, the whole ~3 MB file: split like any other."""
    big_media.clear_log()
    out = tmp_path / "clip.mp4"
    MediaJob(DownloadOptions(big_media.url("dashbase/manifest.mpd", "capped"), output=out,
                             connections=8)).run()
    check_output(out, HEIGHT, seconds=SECONDS)
    assert [line for line in big_media.log() if line.range and line.status == 206], "no piece was taken"


def _live(root: Path, count: int, end: bool) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for i in range(count):
        lines += ["#EXTINF:2.000000,", f"../ts/seg{i:03}.ts"]
    tmp = root / "live" / "index.m3u8.tmp"
    tmp.write_text("\n".join([*lines, *(["#EXT-X-ENDLIST"] if end else [])]) + "\n")
    tmp.chmod(0o644)
    tmp.replace(root / "live" / "index.m3u8")


def test_a_live_recording_in_pieces_has_every_frame(big_media: Nginx, tmp_path: Path) -> None:
    """A live playlist (2 segments, then 4 and its end): the segments of each re-read are
    fetched in pieces too; the recording plays whole."""
    root = big_media.data
    _live(root, 2, end=False)
    big_media.clear_log()
    out = tmp_path / "live.mp4"
    job = MediaJob(DownloadOptions(big_media.url("live/index.m3u8", "capped"), output=out, connections=8))
    thread, errors = in_background(job.run)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and job.progress.segments_done < 2 and thread.is_alive():
        time.sleep(0.05)
    _live(root, 4, end=True)
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert [line for line in big_media.log() if line.range], "no piece was taken"
    check_output(out, HEIGHT, seconds=SECONDS)
