"""The native host and the service against what a hostile page, a malicious extension or two
browsers at once can put in native messages. paxel-host as a subprocess fed framed bytes, real
service, nginx and the fault server."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from test_uninstall_off import launched  # same folder (pytest puts it on sys.path)

from support.paxel_env import NativeHost, PaxelEnv
from support.wire import authenticated, frame, reply


@pytest.fixture(scope="module")
def hostile_world(nginx: Any) -> Iterator[tuple[PaxelEnv, NativeHost, Path]]:
    """One paxel (service and host) for every hostile message below: each is refused before
    anything is queued, so they cannot disturb each other, and a service started per message
    cost ~0.7 s each. Downloads/escape is a symlink out of the roots, to `outside`."""
    env = PaxelEnv()
    outside = Path(tempfile.mkdtemp(prefix="pxl-outside-"))
    try:
        (env.downloads / "escape").symlink_to(outside)
        nginx.add_file("hostile.bin", size=4096)
        host = env.host("chrome")
        host.hello()
        yield env, host, outside
    finally:
        env.cleanup()
        subprocess.run(["rm", "-rf", str(outside)], check=False)


@pytest.mark.parametrize(("fields", "code"), [
    ({"url": "file:///etc/passwd"}, "BAD_URL"),
    ({"url": "ftp://127.0.0.1/x.bin"}, "BAD_URL"),
    ({"url": "javascript:alert(1)"}, "BAD_URL"),
    ({"url": "data:application/octet-stream,abc"}, "BAD_URL"),
    ({"url": "http://127.0.0.1/a\r\nX-Injected: 1"}, "BAD_URL"),
    ({"referrer": "http://127.0.0.1/\r\nX-Injected: 1"}, "BAD_FIELD"),
    ({"user_agent": "paxel\nX-Injected: 1"}, "BAD_FIELD"),
    ({"headers": {"X-A": "1\r\nX-Injected: 1"}}, "BAD_FIELD"),
    ({"headers": {"X-A:": "1"}}, "BAD_FIELD"),
    ({"filename": "a\x00b.bin"}, "BAD_FIELD"),
    ({"folder": "/etc"}, "FOLDER_NOT_ALLOWED"),
    ({"folder": "DOWNLOADS/../.."}, "FOLDER_NOT_ALLOWED"),
    ({"folder": "DOWNLOADS/escape"}, "FOLDER_NOT_ALLOWED"),
    ({"folder": "relative/path"}, "BAD_FIELD"),
    ({"cookies": [{"name": "a", "value": "b\r\nX-Injected: 1", "domain": "127.0.0.1"}]}, "BAD_FIELD"),
    ({"headers": {f"X-{i}": "v" for i in range(65)}}, "BAD_FIELD"),
])
def test_a_hostile_download_message_is_refused(hostile_world: tuple[PaxelEnv, NativeHost, Path],
                                               nginx: Any, fields: dict[str, Any], code: str) -> None:
    paxel_env, host, outside = hostile_world
    fields = {k: (v.replace("DOWNLOADS", str(paxel_env.downloads)) if isinstance(v, str) else v)
              for k, v in fields.items()}
    kinds = ((3, "download"),) if "folder" in fields else ((2, "probe"), (3, "download"))
    for request_id, kind in kinds:  # probe takes `folder` and does not use it
        host.send({"id": request_id, "type": kind, "url": nginx.url("hostile.bin"), **fields})
        reply = host.reply(request_id)
        assert not reply["ok"], (kind, reply)
        assert reply["error"]["name"] == code, (kind, reply)
    assert list(outside.iterdir()) == []
    host.send({"id": 4, "type": "list"})
    assert host.reply(4)["result"]["downloads"] == [], "a refused message queued nothing"


@pytest.mark.parametrize("name", ["../../.bashrc", "/etc/cron.d/paxel", "a/b/../c.bin", "..", ".",
                                  "\x1b[31mred\x07.bin", "dir\\..\\..\\x.bin", "x.bin\u202egpj.exe"])
def test_a_hostile_file_name_lands_inside_the_folder(paxel_env: PaxelEnv, nginx: Any, name: str) -> None:
    nginx.add_file("named.bin", size=4096)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("named.bin"), filename=name)
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    path = Path(done["path"])
    assert path.parent == paxel_env.downloads, done
    assert path.is_file() and path.stat().st_size == 4096
    assert not any(ord(c) < 32 or c in "/\\" for c in path.name), repr(path.name)
    assert path.name not in ("", ".", "..")
    assert not (paxel_env.home / ".bashrc").exists()


def test_a_browser_cannot_pass_for_the_panel(paxel_env: PaxelEnv) -> None:
    """`hello` as `panel` through the host: the service must not treat the browser as the panel
    (it would get show_panel events meant for the panel); nor can it send `auth`/`shutdown`."""
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "hello", "client": "panel", "version": 1})
    assert host.reply(1, timeout=20)["ok"]
    host.send({"id": 2, "type": "hello", "client": "cli", "version": 1, "client ": "panel"})
    assert host.reply(2)["ok"]
    for request_id, kind in ((3, "shutdown"), (4, "auth")):
        host.send({"id": request_id, "type": kind, "secret": "x"})
        assert host.reply(request_id)["error"]["name"] == "UNKNOWN_TYPE"
    with authenticated(paxel_env) as sock:
        sock.sendall(frame({"id": 2, "type": "show_panel"}))
        reply(sock, 2)  # NO_DISPLAY here (headless): the panel was asked first, if one was connected
    host.send({"id": 5, "type": "list"})
    seen = []
    while (message := host.recv()).get("id") != 5:
        seen.append(message)
    assert [m for m in seen if m.get("event") == "show_panel"] == []
    assert paxel_env.service_pid() is not None


def test_two_browsers_racing_on_one_download_leave_a_consistent_state(paxel_env: PaxelEnv,
                                                                     nginx: Any) -> None:
    """Chromium and Firefox both press pause/resume/cancel/retry on the same download at once:
    every reply is a success or BAD_STATE (never INTERNAL), the service lives, and the end state
    is one the table allows with no stray .part once it is cancelled."""
    nginx.add_file("raced.bin", size=8 << 20)
    chrome, firefox = paxel_env.host("chrome"), paxel_env.host("firefox")
    chrome.hello()
    firefox.hello()
    view = chrome.add(2, url=nginx.url("raced.bin") + "?slow=256k")
    download_id = view["download_id"]
    actions = ["pause", "resume", "cancel", "retry", "pause", "resume"]
    request_id = 10
    for _ in range(12):
        for host, offset in ((chrome, 0), (firefox, 3)):
            for action in actions[offset:] + actions[:offset]:
                request_id += 1
                host.send({"id": request_id, "type": action, "download_id": download_id})
    replies = []
    for host in (chrome, firefox):
        for _ in range(12 * len(actions)):
            message = host.recv(20)
            while "ok" not in message:
                message = host.recv(20)
            replies.append(message)
    errors = {m["error"]["name"] for m in replies if not m["ok"]}
    assert errors <= {"BAD_STATE"}, errors
    chrome.send({"id": 1000, "type": "cancel", "download_id": download_id})
    final = chrome.reply(1000)
    if final["ok"]:
        assert final["result"]["download"]["state"] == "cancelled"
    time.sleep(0.5)
    assert [p.name for p in paxel_env.downloads.iterdir() if ".part" in p.name] == []
    chrome.send({"id": 1001, "type": "remove", "download_id": download_id})
    firefox.send({"id": 1001, "type": "remove", "download_id": download_id})
    outcomes = sorted([chrome.reply(1001)["ok"], firefox.reply(1001)["ok"]])
    assert outcomes == [False, True]
    assert paxel_env.service_pid() is not None


def test_a_host_started_before_uninstall_takes_no_click(paxel_env: PaxelEnv, nginx: Any) -> None:
    nginx.add_file("after-uninstall.bin", size=4096)
    paxel_env.paxel("install", "--browser", "chromium")
    host = launched(paxel_env, "chrome")  # through the launcher, as Chromium starts it
    host.hello()
    paxel_env.paxel("service", "stop")
    paxel_env.stop_service()
    paxel_env.paxel("uninstall")
    host.send({"id": 2, "type": "download", "url": nginx.url("after-uninstall.bin")})
    reply = host.reply(2, timeout=20)
    assert not reply["ok"], "the click went to paxel after `paxel uninstall`"
    assert paxel_env.service_pid() is None


def test_a_url_password_reaches_no_log_and_no_event(paxel_env: PaxelEnv, nginx: Any) -> None:
    """`paxel add http://user:pass@host/f` from the CLI: every client (the browser's extension too)
    hears of the download, and the logs name it; the password goes to the server only."""
    nginx.add_file("userinfo.bin", size=64 << 10)
    url = nginx.url("userinfo.bin").replace("http://", "http://someone:PWSECRET@")
    host = paxel_env.host("chrome")
    host.hello()
    seen: list[dict[str, Any]] = []
    host.send({"id": 2, "type": "download", "url": url + "?sig=QSECRET"})
    reply = host.reply(2)
    assert reply["ok"], reply
    host.wait_event("completed", reply["result"]["download"]["download_id"], seen=seen)
    missing = url.replace("userinfo.bin", "not-there.bin")
    failed = host.add(4, url=missing)
    host.wait_event("failed", failed["download_id"], seen=seen)
    host.send({"id": 3, "type": "list"})
    seen.append(host.reply(3))
    assert "PWSECRET" not in json.dumps([reply, *seen])
    errors = [d["error"]["message"] for d in seen[-1]["result"]["downloads"] if d["error"]]
    assert errors and all("not-there.bin" in e for e in errors), errors
    for log_file in paxel_env.state_dir.glob("*.log*"):
        text = log_file.read_text(errors="replace")
        assert "PWSECRET" not in text and "QSECRET" not in text, log_file.name


def test_open_never_runs_what_the_browser_chose(paxel_env: PaxelEnv, nginx: Any) -> None:
    """A page makes the browser download `launch.desktop` / `run.sh` (names and bytes it chose)
    and a hostile extension then asks paxel to `open` them: the desktop's opener gets the file,
    which has no execute bit (a .desktop or script without it is shown, not run), and nothing
    else."""
    from support.xvfb import Xvfb

    record = paxel_env.root / "opened.txt"
    fake_bin = paxel_env.root / "bin"
    fake_bin.mkdir()
    opener = fake_bin / "xdg-open"
    opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> {record}\n")
    opener.chmod(0o755)
    desktop = b"[Desktop Entry]\nType=Application\nName=x\nExec=sh -c 'touch /tmp/pwned'\n"
    payloads = {"launch.desktop": desktop,
                "run.sh": b"#!/bin/sh\ntouch /tmp/pwned\n"}
    with Xvfb() as xvfb:
        paxel_env.env["DISPLAY"] = xvfb.display
        paxel_env.env["PATH"] = f"{fake_bin}{os.pathsep}{paxel_env.env['PATH']}"
        host = paxel_env.host("chrome")
        host.hello()
        opened = []
        for request_id, (name, body) in enumerate(payloads.items(), start=10):
            nginx.add_file(f"payload-{name}", content=body)
            view = host.add(request_id, url=nginx.url(f"payload-{name}"), filename=name)
            done = host.wait_event("completed", view["download_id"])["data"]["download"]
            path = Path(done["path"])
            assert path.parent == paxel_env.downloads
            assert stat.S_IMODE(path.stat().st_mode) & 0o111 == 0, oct(path.stat().st_mode)
            host.send({"id": request_id + 200, "type": "open", "download_id": view["download_id"],
                       "what": "file"})
            opened_reply = host.reply(request_id + 200)
            assert opened_reply["ok"], opened_reply
            opened.append(str(path))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (not record.exists() or
                                               len(record.read_text().splitlines()) < len(opened)):
            time.sleep(0.1)
        assert record.read_text().splitlines() == opened


def test_a_host_fed_a_4_gib_length_claim_keeps_serving(paxel_env: PaxelEnv) -> None:
    """The host discards the claimed bytes as they come (64 KiB at a time), buffering none."""
    host = paxel_env.host("chrome")
    host.hello()
    process = psutil.Process(host.process.pid)
    rss_before = process.memory_info().rss
    host.send_raw(struct.pack("=I", 0xFFFFFFFF) + b"y" * (16 << 20))
    time.sleep(0.5)
    assert host.process.poll() is None
    assert process.memory_info().rss - rss_before < 8 << 20
    other = paxel_env.host("firefox")
    other.hello()  # the service the first host talks to is untouched


def test_credentials_from_the_browser_stay_with_their_host(paxel_env: PaxelEnv, faultserver: Any) -> None:
    """A hostile page links a file that redirects to another host, and the message carries a
    cookie for a third domain, a URL password, Cookie and Authorization headers: the other host
    gets none of them, and the first host never the third domain's cookie."""
    url = faultserver.url("creds.bin", size=256 << 10, redirect="other")
    url = url.replace("http://", "http://someone:PWSECRET@")
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=url, connections=2,
                    headers={"Cookie": "hdr=HDRSECRET", "Authorization": "Bearer AUTHSECRET"},
                    cookies=[{"name": "sid", "value": "OWNSECRET", "domain": "127.0.0.1"},
                             {"name": "bank", "value": "BANKSECRET", "domain": "bank.example"}])
    host.wait_event("completed", view["download_id"])
    primary = faultserver.requests(server="primary")
    other = faultserver.requests(server="other")
    assert primary and other
    for r in primary:
        assert "BANKSECRET" not in json.dumps(r.headers)
    for r in other:
        sent = json.dumps(r.headers)
        for secret in ("PWSECRET", "HDRSECRET", "AUTHSECRET", "OWNSECRET", "BANKSECRET"):
            assert secret not in sent, (secret, r.headers)
        assert "authorization" not in r.headers
