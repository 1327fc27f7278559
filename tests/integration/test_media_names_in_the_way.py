"""Files of the user's beside a stream's output (issue 14's second attack): a file named like
paxel's unfinished MP4 (`NAME.mp4.part`) was overwritten and then renamed away, and a file named
like its work folder (`NAME.mp4.paxel-media`) made `paxel URL` die with two tracebacks. The
user's files must stay as they were; a name in the way is passed over or is a clear error.
Real nginx serving the ffmpeg-made fixtures, a real `paxel` process, ffprobe on the output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paxel.errors import ErrorCode
from support.media import check_output
from support.nginx import Nginx

pytestmark = pytest.mark.media
SHORT = "short/index.m3u8"   # 8 s, 240p


def _paxel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paxel", *args, "-q"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, cwd=cwd)


def test_a_users_file_named_like_the_unfinished_mp4_is_left_alone(media: Nginx, tmp_path: Path) -> None:
    mine = tmp_path / "index.mp4.part"
    mine.write_bytes(b"my notes")
    done = _paxel(media.url(SHORT), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes() == b"my notes"
    check_output(tmp_path / "index.mp4", 240, seconds=8)


def test_a_file_where_the_work_folder_goes_is_passed_over(media: Nginx, tmp_path: Path) -> None:
    mine = tmp_path / "index.mp4.paxel-media"
    mine.write_bytes(b"mine")
    done = _paxel(media.url(SHORT), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes() == b"mine"
    check_output(tmp_path / "index (1).mp4", 240, seconds=8)


def test_a_file_where_the_asked_names_work_folder_goes_is_a_clear_error(media: Nginx, tmp_path: Path) -> None:
    mine = tmp_path / "clip.mp4.paxel-media"
    mine.write_bytes(b"mine")
    done = _paxel(media.url(SHORT), "-o", str(tmp_path / "clip.mp4"), cwd=tmp_path)
    assert done.returncode == ErrorCode.USAGE, done.stderr
    assert "Traceback" not in done.stderr and str(mine) in done.stderr, done.stderr
    assert mine.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4.paxel-media"]
