"""What the service leaves on disk, read as another local user or a forensic look would: folder and
file modes, passwords and tokens in the logs, cleared credentials in SQLite's files.
Real service, real host, real nginx, real SQLite."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.nginx import PRIVATE_COOKIE, Nginx
from support.paxel_env import PaxelEnv

MiB = 1024 * 1024


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most desktops run with: files 0644 and folders 0755 unless paxel says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_and_data_folders_are_0700_and_every_file_0600(
        paxel_env: PaxelEnv, nginx: Nginx, loose_umask: None) -> None:
    nginx.add_file("modes.bin", 1 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("modes.bin"))
    host.wait_event("completed", view["download_id"])
    data = paxel_env.root / "data" / "paxel"
    folders = [paxel_env.state_dir, data, paxel_env.paxel_runtime]
    files = [*(p for folder in folders for p in folder.iterdir() if not p.is_dir())]
    names = {p.name for p in files}
    assert {"service.log", "host.log", "service.out", "service.lock", "paxel.sqlite3",
            "paxel.sqlite3-wal", "paxel.sqlite3-shm"} <= names, names
    assert {str(f): oct(mode(f)) for f in folders if mode(f) != 0o700} == {}
    assert {str(f): oct(mode(f)) for f in files if mode(f) & 0o777 not in (0o600, 0o700)} == {}


def test_a_rotated_log_is_0600_too(tmp_path: Path, loose_umask: None) -> None:
    import subprocess
    import sys

    script = ("import logging\nfrom paxel import logs\nlogs.log_to_file('host.log', '%(message)s')\n"
              "for i in range(1100): logging.getLogger('t').info('x' * 1000)\n")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    folder = tmp_path / "state" / "paxel"
    assert (folder / "host.log.1").exists()
    assert {p.name: oct(mode(p)) for p in folder.iterdir() if mode(p) != 0o600} == {}


SECRETS = ("pw-s3cret", "q-s3cret", "sig-s3cret", "Bearer tok-s3cret", "ck-s3cret", "pw2-s3cret")


def test_logs_hold_no_url_passwords_query_values_or_cookies(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Both hosts' and the service's logs, after a download that worked and one that failed, both
    with userinfo, query tokens, a cookie and an Authorization header."""
    nginx.add_file("redact.bin", 1 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    base = nginx.url("redact.bin").replace("http://", "")
    cookie = {"name": "sess", "value": "ck-s3cret", "domain": "127.0.0.1", "host_only": True, "path": "/",
              "secure": False, "http_only": True, "expiration_date": None}
    ok = host.add(2, url=f"http://alice:pw-s3cret@{base}?token=q-s3cret&x=1", cookies=[cookie],
                  headers={"Authorization": "Bearer tok-s3cret"})
    host.wait_event("completed", ok["download_id"])
    missing = nginx.url("nothing-here.bin").replace("http://", "")
    bad = host.add(3, url=f"http://bob:pw2-s3cret@{missing}?sig=sig-s3cret", cookies=[cookie],
                   headers={"Authorization": "Bearer tok-s3cret"})
    host.wait_event("failed", bad["download_id"])
    assert host.close() == 0
    logs = {p.name: p.read_text(errors="replace") for p in paxel_env.state_dir.iterdir()}
    assert "service.log" in logs and "host.log" in logs
    assert ok["download_id"] in logs["service.log"], "the download is still logged, only redacted"
    leaked = {(name, s) for name, text in logs.items() for s in SECRETS if s in text}
    assert leaked == set()


def test_cleared_credentials_leave_the_database_files(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """Once a download completes its cookie and Authorization values are dropped; they must then
    be gone from the bytes of the database, its -wal and -shm files, not only from the rows."""
    nginx.add_file("scrub.bin", 1 * MiB)
    token = "Bearer tok-scrub-4c1d"
    cookie = {"name": PRIVATE_COOKIE[0], "value": PRIVATE_COOKIE[1], "domain": "127.0.0.1",
              "host_only": True, "path": "/", "secure": False, "http_only": True, "expiration_date": None}
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("scrub.bin", "private"), cookies=[cookie],
                    headers={"Authorization": token, "Cookie": "extra=hdr-ck-77aa"})
    host.wait_event("completed", view["download_id"])
    nginx.add_file("scrub-big.bin", 32 * MiB)  # removed while it still needs its credentials
    slow = host.add(3, url=nginx.url("scrub-big.bin", "capped"), connections=1,
                    headers={"Authorization": "Bearer tok-gone-93bf", "X-Pad": "p" * 300})
    host.send({"id": 4, "type": "remove", "download_id": slow["download_id"]})
    assert host.reply(4)["ok"]
    database = paxel_env.root / "data" / "paxel" / "paxel.sqlite3"
    files = [database, *database.parent.glob(database.name + "-*")]
    secrets = (PRIVATE_COOKIE[1], "tok-scrub-4c1d", "hdr-ck-77aa", "tok-gone-93bf")
    found = {(f.name, s) for f in files for s in secrets if s.encode() in f.read_bytes()}
    assert found == set()
