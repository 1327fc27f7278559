"""The test plays the browser: it starts `paxel-host` with Chrome's or Firefox's argv and speaks
native messaging to it, against a real service and a real nginx."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from paxel.protocol import PROTOCOL_VERSION
from support.nginx import PRIVATE_COOKIE, Nginx
from support.paxel_env import VENV_BIN, NativeHost, PaxelEnv

MiB = 1024 * 1024
HOST_EXE = str(VENV_BIN / "paxel-host")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("browser", ["chrome", "firefox"])
def test_download_with_progress_to_completion(paxel_env: PaxelEnv, nginx: Nginx, browser: str) -> None:
    digest = nginx.add_file(f"browser-{browser}.bin", 20 * MiB)
    host = paxel_env.host(browser)
    info = host.hello()
    assert info["roots"] == [str(paxel_env.downloads)] and info["default_connections"] == 8
    view = host.add(2, url=nginx.url(f"browser-{browser}.bin", "capped"), connections=2, source="click")
    assert view["state"] in ("queued", "running") and view["connections"] == 2

    seen: list[dict[str, Any]] = []
    done = host.wait_event("completed", view["download_id"], seen=seen)["data"]["download"]
    progress = [d for m in seen if m.get("event") == "progress" for d in m["data"]["downloads"]
                if d["download_id"] == view["download_id"]]
    assert len(progress) >= 2, "a 1.2 s download reports progress a few times"
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    assert any(p["segments"] and 0 < p["done"] < 20 * MiB for p in progress)
    # Until the server's first answer the size is unknown (null): a poll can come first on a
    # loaded machine. Once known it stays 20 MiB.
    totals = [p["total"] for p in progress]
    known = totals[next((i for i, t in enumerate(totals) if t is not None), len(totals)):]
    assert known and all(t == 20 * MiB for t in known), totals
    assert all(p["done"] == 0 for p in progress if p["total"] is None), progress
    assert done["state"] == "completed" and done["total"] == 20 * MiB
    assert Path(done["path"]) == paxel_env.downloads / f"browser-{browser}.bin"
    assert sha256(Path(done["path"])) == digest
    assert host.close() == 0


def test_cookies_reach_the_server_and_are_dropped_after(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    digest = nginx.add_file("private.bin", 1 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    cookie = {"name": PRIVATE_COOKIE[0], "value": PRIVATE_COOKIE[1], "domain": "127.0.0.1",
              "host_only": True, "path": "/", "secure": False, "http_only": True, "expiration_date": None}
    view = host.add(2, url=nginx.url("private.bin", "private"), cookies=[cookie],
               referrer="http://127.0.0.1/page", user_agent="TestBrowser/1")
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    assert sha256(Path(done["path"])) == digest
    # cookies are gone from the database once the download no longer needs them, and never logged
    database = paxel_env.root / "data" / "paxel" / "paxel.sqlite3"
    for path in (database, database.with_name(database.name + "-wal")):
        assert path.stat().st_mode & 0o777 == 0o600, f"{path} holds cookies: this user only"
    assert stored(paxel_env, view["download_id"], "cookies") == []
    assert_not_logged(paxel_env, PRIVATE_COOKIE[1])


def stored(paxel_env: PaxelEnv, download_id: str, column: str) -> Any:
    """A JSON column of a download as the service's SQLite file holds it now."""
    import sqlite3

    db = sqlite3.connect(paxel_env.root / "data" / "paxel" / "paxel.sqlite3")
    try:
        (value,) = db.execute(f"SELECT {column} FROM downloads WHERE id = ?", (download_id,)).fetchone()
    finally:
        db.close()
    return json.loads(value)


def assert_not_logged(paxel_env: PaxelEnv, *secrets: str) -> None:
    for log in paxel_env.state_dir.glob("*"):
        text = log.read_text(errors="replace")
        assert not [s for s in secrets if s in text], log


def test_credential_headers_are_kept_only_while_needed(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """`headers` may carry Cookie/Authorization: they reach the server, and are dropped from the
    database on completion and on cancel, like `cookies`."""
    digest = nginx.add_file("hdr.bin", 1 * MiB)
    nginx.add_file("hdr-big.bin", 32 * MiB)
    token = "Bearer tok-9f8e7d"
    credentials = {"cookie": f"{PRIVATE_COOKIE[0]}={PRIVATE_COOKIE[1]}", "Authorization": token,
                   "PROXY-Authorization": "Basic cHJveHk6cHc="}
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("hdr.bin", "private"), headers={**credentials, "X-Keep": "1"})
    done = host.wait_event("completed", view["download_id"])["data"]["download"]
    assert sha256(Path(done["path"])) == digest  # /private/ answers 403 without the Cookie header
    assert stored(paxel_env, view["download_id"], "headers") == {"X-Keep": "1"}

    slow = host.add(3, url=nginx.url("hdr-big.bin", "capped"), connections=1, headers=credentials)
    assert stored(paxel_env, slow["download_id"], "headers") == credentials, "kept while needed"
    host.send({"id": 4, "type": "cancel", "download_id": slow["download_id"]})
    assert host.reply(4)["ok"]
    assert stored(paxel_env, slow["download_id"], "headers") == {}
    assert_not_logged(paxel_env, PRIVATE_COOKIE[1], token, "cHJveHk6cHc=")


def test_browser_cannot_claim_a_local_client_name(paxel_env: PaxelEnv) -> None:
    """The service sends show_panel events to clients named `panel`: a browser saying it is one
    must stay the extension, so with no panel and no display show_panel is NO_DISPLAY, not a
    show_panel event pushed to the browser."""
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "hello", "client": "panel", "version": 1})
    assert host.reply(1, timeout=20)["ok"]
    host.send({"id": 2, "type": "show_panel"})
    assert host.reply(2)["error"]["name"] == "NO_DISPLAY"
    with pytest.raises(TimeoutError):
        event = host.recv(timeout=0.5)
        pytest.fail(f"unexpected message {event}")


def framed(body: bytes, length: int | None = None) -> bytes:
    return struct.pack("=I", len(body) if length is None else length) + body


def message(**fields: Any) -> bytes:
    return framed(json.dumps(fields).encode())


MALFORMED = [
    ("bad utf-8", framed(b'{"id": 1, "type": "\xff"}'), "BAD_UTF8", None),
    ("bad json", framed(b'{"id": 1, "type": '), "BAD_JSON", None),
    ("not an object", framed(b"[1, 2, 3]"), "NOT_AN_OBJECT", None),
    ("unknown type", message(id=4, type="format_disk"), "UNKNOWN_TYPE", 4),
    ("local-only type", message(id=5, type="shutdown"), "UNKNOWN_TYPE", 5),
    ("auth from a browser", message(id=6, type="auth", secret="x"), "UNKNOWN_TYPE", 6),
    ("missing id", message(type="list"), "BAD_FIELD", None),
    ("missing type", message(id=8), "BAD_FIELD", 8),
    ("missing url", message(id=9, type="download"), "BAD_FIELD", 9),
    ("url wrong type", message(id=10, type="download", url=["x"]), "BAD_FIELD", 10),
    ("url not http", message(id=11, type="download", url="javascript:alert(1)"), "BAD_URL", 11),
    ("connections out of range", message(id=12, type="download", url="http://a/b", connections=99),
     "BAD_FIELD", 12),
    ("download_id wrong type", message(id=13, type="pause", download_id=7), "BAD_FIELD", 13),
    ("unknown download", message(id=14, type="pause", download_id="d-nope"), "NOT_FOUND", 14),
    ("open an unknown download", message(id=16, type="open", download_id="d-nope", what="file"),
     "NOT_FOUND", 16),
    ("folder outside roots", message(id=15, type="download", url="http://a/b", folder="/etc"),
     "FOLDER_NOT_ALLOWED", 15),
    ("length claim beyond 1 MiB", framed(b"x" * (2 * 1024 * 1024)), "MESSAGE_TOO_LARGE", None),
    ("empty frame", framed(b""), "BAD_JSON", None),
]


def test_malformed_input_table_then_still_serving(paxel_env: PaxelEnv) -> None:
    host = paxel_env.host("chrome")
    for name, data, code, request_id in MALFORMED:
        host.send_raw(data)
        reply = host.recv()
        assert reply["ok"] is False, name
        assert reply["error"]["name"] == code, (name, reply)
        assert reply["id"] == request_id, name
        assert isinstance(reply["error"]["message"], str) and reply["error"]["message"], name
    assert host.hello(99)["version"] == PROTOCOL_VERSION
    assert host.close() == 0


def test_junk_frames_get_framed_errors_and_the_host_still_answers(paxel_env: PaxelEnv) -> None:
    """Well-framed random bytes (what a buggy extension could send): every one gets a framed error."""
    rng = random.Random(1234)
    host = paxel_env.host("firefox")
    junk = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200))) for _ in range(40)]
    junk += [json.dumps(rng.choice([[], 1, "x", None, {"id": {}}, {"id": 1, "type": None}])).encode()]
    for body in junk:
        host.send_raw(framed(body))
    for _ in junk:
        reply = host.recv()
        assert reply["ok"] is False and reply["error"]["code"] >= 20
    assert host.hello(7)["version"] == PROTOCOL_VERSION
    assert host.close() == 0


def test_truncated_frame_at_eof_is_answered_then_exits(paxel_env: PaxelEnv) -> None:
    host = paxel_env.host("chrome")
    host.send_raw(struct.pack("=I", 100) + b'{"id": 1')
    assert host.process.stdin is not None
    host.process.stdin.close()
    reply = host.recv()
    assert reply["error"]["name"] == "BAD_FRAME"
    assert host.process.wait(5) == 0
    assert paxel_env.service_pid() is None, "nothing valid arrived, so no service was started"


@pytest.mark.parametrize("argv", [
    ["chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh/"],
    ["/nowhere/io.paxel.host.json", "evil@example.com"],
    [],
])
def test_unknown_extension_is_refused_and_reaches_nothing(paxel_env: PaxelEnv, argv: list[str]) -> None:
    host = NativeHost([HOST_EXE, *argv], paxel_env.env)
    paxel_env.hosts.append(host)
    host.send({"id": 1, "type": "hello", "client": "x", "version": 1})
    assert host.reply(1)["error"]["name"] == "CALLER_NOT_ALLOWED"
    assert host.close() == 0
    assert paxel_env.service_pid() is None


def test_extra_extension_id_from_the_environment(paxel_env: PaxelEnv) -> None:
    paxel_env.env["PAXEL_EXTENSION_IDS"] = "devbuild@paxel.io"
    host = NativeHost([HOST_EXE, str(paxel_env.root / "m.json"), "devbuild@paxel.io"], paxel_env.env)
    paxel_env.hosts.append(host)
    assert host.hello()["version"] == PROTOCOL_VERSION
    assert host.close() == 0


def test_exits_promptly_on_eof_with_a_live_service(paxel_env: PaxelEnv) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    started = time.monotonic()
    assert host.close() == 0
    assert time.monotonic() - started < 1.0
    assert paxel_env.service_pid() is not None, "the service outlives the host"


def test_host_killed_mid_download_the_download_finishes(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    digest = nginx.add_file("outlive.bin", 16 * MiB)
    host = paxel_env.host("firefox")
    host.hello()
    view = host.add(2, url=nginx.url("outlive.bin", "capped"), connections=2)
    progress = host.wait_event("progress", view["download_id"])
    assert progress["data"]["downloads"][0]["done"] < 16 * MiB
    os.killpg(host.process.pid, signal.SIGKILL)  # what Firefox does to the host's process group
    host.process.wait()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        views = json.loads(paxel_env.paxel("list", "--json").stdout)
        if views[0]["state"] == "completed":
            break
        assert views[0]["state"] in ("running", "queued"), views[0]
        time.sleep(0.2)
    assert views[0]["state"] == "completed"
    assert sha256(paxel_env.downloads / "outlive.bin") == digest


def test_broken_settings_are_reported_quickly(paxel_env: PaxelEnv) -> None:
    paxel_env.settings_file.parent.mkdir(parents=True)
    paxel_env.settings_file.write_text('{"roots": "not a list"}')
    host = paxel_env.host("chrome")
    started = time.monotonic()
    host.send({"id": 1, "type": "hello", "client": "t", "version": 1})
    reply = host.reply(1)
    assert reply["error"]["name"] == "SERVICE_UNAVAILABLE"
    assert "settings.json" in reply["error"]["message"] and "roots" in reply["error"]["message"]
    assert time.monotonic() - started < 5
    assert host.close() == 0


@pytest.mark.parametrize(("location", "cookie", "expected"), [
    ("files", False, {"size": 3000, "filename": "probe.txt", "accepts_ranges": True}),
    ("noranges", False, {"size": 3000, "filename": "probe.txt", "accepts_ranges": False}),
    ("private", True, {"size": 3000, "filename": "probe.txt", "accepts_ranges": True}),
    ("private", False, "HTTP_STATUS"),
])
def test_probe(paxel_env: PaxelEnv, nginx: Nginx, location: str, cookie: bool, expected: Any) -> None:
    nginx.add_file("probe.txt", 3000)
    host = paxel_env.host("chrome")
    session = {"name": PRIVATE_COOKIE[0], "value": PRIVATE_COOKIE[1], "domain": "127.0.0.1"}
    cookies = [session] if cookie else []
    host.send({"id": 1, "type": "probe", "url": nginx.url("probe.txt", location), "cookies": cookies})
    reply = host.reply(1)
    if isinstance(expected, str):
        assert reply["error"]["name"] == expected
    else:
        assert {k: reply["result"][k] for k in expected} == expected
        assert reply["result"]["content_type"] == "text/plain"


def test_requests_reach_the_service_in_the_order_the_browser_sent_them(
        paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """pause/resume sent back to back only all succeed if none overtakes the one before it."""
    nginx.add_file("order.bin", 16 * MiB)
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=nginx.url("order.bin", "capped"), connections=1)
    kinds = ["pause", "resume"] * 30
    for number, kind in enumerate(kinds, start=10):
        host.send({"id": number, "type": kind, "download_id": view["download_id"]})
    for number, kind in enumerate(kinds, start=10):
        reply = host.reply(number)
        assert reply["ok"], (kind, reply)


def test_probe_and_download_send_the_same_request(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """One request model: the headers the browser sent (its Cookie header included) and a
    `referrer` that replaces a stale `referer` header reach the server alike from both."""
    nginx.add_file("same.txt", 3000)
    host = paxel_env.host("firefox")
    host.hello()
    fields = {"url": nginx.url("same.txt", "private"), "referrer": "http://127.0.0.1/page",
              "user_agent": "UA/7", "headers": {"Cookie": "=".join(PRIVATE_COOKIE), "referer": "http://stale/",
                                                "Accept-Language": "de"}}
    host.send({"id": 1, "type": "probe", **fields})
    assert host.reply(1)["result"]["size"] == 3000
    view = host.add(2, **fields)
    host.wait_event("completed", view["download_id"])
    seen = {(line.cookie, line.referer, line.user_agent, line.accept_language)
            for line in nginx.log() if line.request.endswith("/same.txt")}
    assert seen == {("=".join(PRIVATE_COOKIE), "http://127.0.0.1/page", "UA/7", "de")}
