"""Platform seams of the service and the native host, driven with the platform as a parameter."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from paxel import ids
from paxel.errors import ErrorCode, PaxelError, UsageError
from paxel.host import Caller, allowed_ids, parse_caller
from paxel.service import detach, ipc
from paxel.service.desktop import opener_argv
from paxel.service.settings import from_mapping


@pytest.mark.parametrize(("platform", "session", "flags"), [
    ("linux", True, 0),
    ("darwin", True, 0),
    ("win32", False, 0x00000008 | 0x00000200 | 0x01000000),
])
def test_detach_plan(platform: str, session: bool, flags: int) -> None:
    plan = detach.plan(platform)
    assert (plan.new_session, plan.creationflags) == (session, flags)


@pytest.mark.parametrize(("platform", "environ", "transport", "name"), [
    ("linux", {}, "unix", "paxel.sock"),
    ("darwin", {}, "unix", "paxel.sock"),
    ("win32", {}, "tcp", "endpoint"),
    ("linux", {"PAXEL_IPC_TRANSPORT": "tcp"}, "tcp", "endpoint"),
    ("linux", {"PAXEL_IPC_TRANSPORT": "unix"}, "unix", "paxel.sock"),
    ("win32", {"PAXEL_IPC_TRANSPORT": "tcp"}, "tcp", "endpoint"),
])
def test_endpoint_per_platform(tmp_path: Path, platform: str, environ: dict[str, str], transport: str,
                               name: str) -> None:
    assert ipc.transport_for(platform, environ) == transport
    expected = ipc.Endpoint(transport, tmp_path / name)
    assert ipc.endpoint(platform, runtime=tmp_path, environ=environ) == expected


@pytest.mark.parametrize(("platform", "forced"), [("win32", "unix"), ("linux", "pipe"), ("linux", "TCP ")])
def test_unusable_forced_transport_is_a_clear_error(platform: str, forced: str) -> None:
    with pytest.raises(PaxelError, match="PAXEL_IPC_TRANSPORT") as caught:
        ipc.transport_for(platform, {"PAXEL_IPC_TRANSPORT": forced})
    assert caught.value.code == ErrorCode.SERVICE_UNAVAILABLE


@pytest.mark.parametrize(("text", "port"), [("8080\n", 8080), ("1", 1), (" 65535 ", 65535)])
def test_parse_port(text: str, port: int) -> None:
    assert ipc.parse_port(text) == port


@pytest.mark.parametrize("text", ["", "\n", "0", "65536", "-1", "80 81", "0x50", "８０", "1e3", "port"])
def test_parse_port_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a port"):
        ipc.parse_port(text)


def test_service_proof_is_bound_to_secret_and_connection() -> None:
    proof = ipc.service_proof("s" * 64, 40000, 50000)
    assert proof == ipc.service_proof("s" * 64, 40000, 50000) and len(proof) == 64
    others = {ipc.service_proof("t" * 64, 40000, 50000), ipc.service_proof("s" * 64, 40001, 50000),
              ipc.service_proof("s" * 64, 40000, 50001), ipc.service_proof("s" * 64, 50000, 40000)}
    assert proof not in others and len(others) == 4


def test_send_timeout_option_per_platform() -> None:
    assert ipc.send_timeout_option(5, "win32") == struct.pack("=L", 5000)  # DWORD milliseconds
    assert ipc.send_timeout_option(5, "linux") == struct.pack("ll", 5, 0)  # struct timeval
    assert ipc.send_timeout_option(5, "darwin") == struct.pack("ll", 5, 0)
    # a shortened deadline (paxel.deadlines) keeps its fraction
    assert ipc.send_timeout_option(1.5, "win32") == struct.pack("=L", 1500)
    assert ipc.send_timeout_option(1.5, "linux") == struct.pack("ll", 1, 500_000)


@pytest.mark.parametrize(("argv", "expected"), [
    (["chrome-extension://abc/"], Caller("chromium", "abc", None)),
    (["chrome-extension://abc/", "--parent-window=77"], Caller("chromium", "abc", None)),
    (["--parent-window=77", "chrome-extension://abc/"], Caller("chromium", "abc", None)),
    (["/h/.mozilla/native-messaging-hosts/io.paxel.host.json", "paxel@paxel.io"],
     Caller("firefox", "paxel@paxel.io", Path("/h/.mozilla/native-messaging-hosts/io.paxel.host.json"))),
    ([], Caller("unknown", None, None)),
])
def test_parse_caller(argv: list[str], expected: Caller) -> None:
    assert parse_caller(argv) == expected


def test_allowed_ids_sources(tmp_path: Path) -> None:
    manifest = tmp_path / "io.paxel.host.json"
    manifest.write_text(json.dumps({"name": ids.HOST_NAME, "allowed_extensions": ["dev@paxel.io"],
                                    "allowed_origins": ["chrome-extension://fromfile/"]}))
    caller = Caller("firefox", "dev@paxel.io", manifest)
    allowed = allowed_ids(caller, {"PAXEL_EXTENSION_IDS": "envid, other"}, ["settingsid"])
    assert {ids.FIREFOX_EXTENSION_ID, *ids.CHROMIUM_EXTENSION_IDS} <= allowed
    assert {"dev@paxel.io", "fromfile", "envid", "other", "settingsid"} <= allowed
    # a manifest of another host adds nothing
    manifest.write_text(json.dumps({"name": "evil.host", "allowed_extensions": ["evil@x"]}))
    assert "evil@x" not in allowed_ids(caller, {}, [])
    assert "x" not in allowed_ids(Caller("chromium", "x", None), {}, [])


@pytest.mark.parametrize(("platform", "argv0"), [("win32", "explorer.exe"), ("darwin", "/usr/bin/open")])
def test_opener(platform: str, argv0: str) -> None:
    assert opener_argv("/x", platform) == [argv0, "/x"]
    assert opener_argv("/x", "linux")[0].endswith("xdg-open")


@pytest.mark.parametrize("raw", [
    {"roots": []}, {"roots": ["relative"]}, {"roots": "/x"}, {"max_concurrent": 0},
    {"default_connections": 99}, {"open_panel_on_add": "yes"}, {"open_panel_on_add": 1},
    {"extension_ids": [1]}, {"max_concurrent": True},
])
def test_bad_settings_are_reported_not_replaced(raw: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        from_mapping({"roots": ["/d"], **raw})


def test_settings_defaults() -> None:
    settings = from_mapping({"roots": ["/d", "/e"]})
    assert (settings.default_connections, settings.max_concurrent) == (8, 3)
    assert settings.default_folder == Path("/d")


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_detach_spawn_per_platform(tmp_path: Path, platform: str) -> None:
    """Each platform's detach path runs here for real; on Windows' path a Popen that leaves out
    the creation flags (POSIX refuses them) and records them stands in for CreateProcess only."""
    import subprocess
    import sys
    import time

    asked: dict[str, object] = {}

    def popen(argv: list[str], **options: object) -> subprocess.Popen[bytes]:
        asked.update(options)
        options.pop("creationflags")
        return subprocess.Popen(argv, **options)  # type: ignore[call-overload,no-any-return]

    log = tmp_path / "child.log"
    pid = detach.spawn([sys.executable, "-c", "import os; print('child', os.getsid(0) == os.getpid())"],
                       log, platform=platform, popen=popen)
    deadline = time.monotonic() + 10
    while detach.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not detach.alive(pid), "reaped once it exited"
    assert log.stat().st_mode & 0o777 == 0o600
    if platform == "win32":
        assert asked["creationflags"] == detach.plan("win32").creationflags
        assert asked["stdin"] == subprocess.DEVNULL and asked["close_fds"] is True
        assert log.read_text().startswith("child ")
    else:
        assert asked == {}
        assert log.read_text() == "child True\n", "a session of its own"
