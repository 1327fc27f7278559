"""`paxel URL` (the CLI's own download, no service) marks the finished file with where it came
from, as the service does for its downloads and as browsers do: `user.xdg.origin.url` (the URL
the file was finally served from) and `user.xdg.referrer.url` when a Referer was given, read
back with `getfattr` (Debian's `attr`) from a real download off nginx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.nginx import Nginx
from support.paxel_env import PaxelEnv


def xattrs(path: Path) -> dict[str, str]:
    getfattr = shutil.which("getfattr")
    assert getfattr, "Debian's `attr` (tools/apt-packages.txt)"
    shown = subprocess.run([getfattr, "-d", "--absolute-names", str(path)], capture_output=True,
                           text=True, check=True).stdout
    pairs = (line.split("=", 1) for line in shown.splitlines() if "=" in line)
    return {name: value.strip('"') for name, value in pairs}


@pytest.mark.parametrize("referrer", ["http://page.example/downloads?token=s3cret", None])
def test_a_cli_download_carries_its_origin(paxel_env: PaxelEnv, nginx: Nginx, tmp_path: Path,
                                           referrer: str | None) -> None:
    nginx.add_file("disc.iso", 256 << 10)
    headers = ["-H", f"Referer: {referrer}"] if referrer else []
    argv = [sys.executable, "-m", "paxel", nginx.url("disc.iso", "see-other"), "-d", str(tmp_path), "-q",
            *headers]
    done = subprocess.run(argv, env=paxel_env.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    marks = xattrs(tmp_path / "disc.iso")
    # the URL after the 303, as the service marks its downloads (record.final_url)
    assert marks["user.xdg.origin.url"] == nginx.url("disc.iso")
    if referrer:  # a secret in the query never goes into a mark
        assert marks["user.xdg.referrer.url"] == "http://page.example/downloads?token=***"
    else:
        assert "user.xdg.referrer.url" not in marks


def test_a_cli_stream_download_carries_its_origin(paxel_env: PaxelEnv, media: Nginx, tmp_path: Path) -> None:
    """A playlist given to `paxel URL` becomes one MP4: it is marked too, with the playlist's URL
    (found by a stranger's run of the README's install: the stream's MP4 had no marks)."""
    url = media.url("hls/v240/index.m3u8")
    argv = [sys.executable, "-m", "paxel", url, "-o", str(tmp_path / "clip.mp4"), "-q",
            "-H", "Referer: http://page.example/watch"]
    done = subprocess.run(argv, env=paxel_env.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    marks = xattrs(tmp_path / "clip.mp4")
    assert marks["user.xdg.origin.url"] == url
    assert marks["user.xdg.referrer.url"] == "http://page.example/watch"
