"""`paxel PLAYLIST` with options out of range (issue 14's second attack): `-n 0` was refused
only after the playlists were read and the work folder made, which stayed behind in the user's
folder; `--media-quality -5` was taken. Both are usage errors before anything is made.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paxel.errors import ErrorCode
from support.nginx import Nginx

pytestmark = pytest.mark.media


@pytest.mark.parametrize("bad", [["-n", "0"], ["-n", "33"], ["--media-quality", "-5"],
                                 ["--media-quality", "0"]],
                         ids=["n0", "n33", "quality-negative", "quality-zero"])
def test_an_option_out_of_range_is_refused_before_anything_is_made(media: Nginx, tmp_path: Path,
                                                                   bad: list[str]) -> None:
    media.clear_log()
    done = subprocess.run([sys.executable, "-m", "paxel", media.url("short/index.m3u8"), *bad, "-q"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert done.returncode == ErrorCode.USAGE, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []
