"""Marks of origin: what each platform gets (pure), written through each platform's writer.

Linux for real with `getfattr` (Debian's `attr`); a filesystem without user xattrs (ramfs, in a
private mount namespace) never fails; the Windows stream writer runs here too (on ext4 it makes
a sibling file named `x:Zone.Identifier`, which is exactly what it asked the OS for); macOS's
values are checked as data (its writer needs macOS)."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel import origin

SECRET_URL = "https://user:hunter2@cdn.example/f.iso?sig=SECRETSIG&expires=9#tok=SECRETFRAG"
PAGE = "https://example.org/downloads?session=SECRETSESSION"


def test_clean_url_drops_userinfo_and_masks_query_values() -> None:
    assert origin.clean_url(SECRET_URL) == "https://cdn.example/f.iso?sig=***&expires=***#***"
    assert origin.clean_url("https://example.org/a.bin") == "https://example.org/a.bin"
    assert origin.clean_url(None) is None


@given(st.sampled_from(["linux", "darwin", "win32"]), st.text(min_size=1, max_size=20).filter(
    lambda t: t.isalnum()))
def test_no_secret_reaches_any_mark(platform: str, secret: str) -> None:
    secret = f"QQ{secret}"  # never a part of the URL's other text
    url = f"https://u:{secret}x@h.example/p?k={secret}y#{secret}z"
    for item in origin.marks(platform, url, f"https://h.example/?t={secret}w", now=0, ident="ID"):
        text = plistlib.loads(item.value) if item.name.endswith("WhereFroms") else item.value.decode()
        assert f"{secret}x" not in str(text) and f"{secret}y" not in str(text)
        assert f"{secret}z" not in str(text) and f"{secret}w" not in str(text)


def test_linux_xattrs_read_back_with_getfattr(tmp_path: Path) -> None:
    getfattr = shutil.which("getfattr")
    assert getfattr, "Debian's `attr` (tools/apt-packages.txt)"
    path = tmp_path / "f.iso"
    path.write_bytes(b"x")
    assert origin.mark(path, SECRET_URL, PAGE, platform="linux")
    shown = subprocess.run([getfattr, "-d", "--absolute-names", str(path)], capture_output=True,
                           text=True, check=True).stdout
    assert 'user.xdg.origin.url="https://cdn.example/f.iso?sig=***&expires=***#***"' in shown
    assert 'user.xdg.referrer.url="https://example.org/downloads?session=***"' in shown
    assert "SECRET" not in shown and "hunter2" not in shown


def test_no_referrer_no_referrer_mark(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"")
    assert origin.mark(path, "https://h.example/f", None, platform="linux")
    assert os.listxattr(path) == ["user.xdg.origin.url"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs a mount namespace")
def test_filesystem_without_user_xattrs_is_not_an_error(tmp_path: Path) -> None:
    """ramfs has no user xattrs (EOPNOTSUPP): mark says False, raises nothing."""
    mount = tmp_path / "ramfs"
    mount.mkdir()
    script = (f"import sys; sys.path[:0] = {sys.path!r}\n"
              "from pathlib import Path; from paxel import origin\n"
              f"p = Path({str(mount)!r}) / 'f.iso'; p.write_bytes(b'x')\n"
              f"print(origin.mark(p, {SECRET_URL!r}, {PAGE!r}, platform='linux'))\n")
    done = subprocess.run(["unshare", "-m", "sh", "-c",
                           'mount -t ramfs none "$0" && exec "$1" -c "$2"', str(mount), sys.executable,
                           script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_unwritable_writer_never_raises(tmp_path: Path) -> None:
    def refuse(path: Path, name: str, value: bytes) -> None:
        raise OSError(95, "Operation not supported")
    assert origin.mark(tmp_path / "f", "https://h/f", None, platform="linux", writer=refuse) is False
    assert origin.mark(tmp_path / "f", "https://h/f", None, platform="plan9") is False


def test_windows_zone_identifier_stream(tmp_path: Path) -> None:
    path = tmp_path / "setup.exe"
    path.write_bytes(b"MZ")
    assert origin.mark(path, SECRET_URL, PAGE, platform="win32")
    stream = (tmp_path / "setup.exe:Zone.Identifier").read_bytes()
    assert stream == (b"[ZoneTransfer]\r\nZoneId=3\r\n"
                      b"ReferrerUrl=https://example.org/downloads?session=***\r\n"
                      b"HostUrl=https://cdn.example/f.iso?sig=***&expires=***#***\r\n")
    assert origin.writer_for("win32") is origin.write_stream


def test_macos_quarantine_and_where_froms() -> None:
    written: dict[str, bytes] = {}
    assert origin.mark(Path("/x"), "https://h.example/a.dmg", PAGE, platform="darwin",
                       writer=lambda p, n, v: written.__setitem__(n, v))
    flags, when, agent, ident = written["com.apple.quarantine"].decode().split(";")
    assert flags == "0081" and agent == "paxel" and len(when) == 8 and len(ident) == 36
    froms = plistlib.loads(written["com.apple.metadata:kMDItemWhereFroms"])
    assert froms == ["https://h.example/a.dmg", "https://example.org/downloads?session=***"]
    assert written["com.apple.metadata:kMDItemWhereFroms"].startswith(b"bplist00")
    assert origin.writer_for("darwin") is origin.set_xattr_darwin
