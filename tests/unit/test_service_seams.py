"""Platform seams of the service and the native host, driven with the platform as a parameter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paxel import ids
from paxel.errors import UsageError
from paxel.host import Caller, allowed_ids, parse_caller
from paxel.service import detach, ipc
from paxel.service.server import opener_argv
from paxel.service.settings import from_mapping


@pytest.mark.parametrize(("platform", "session", "flags"), [
    ("linux", True, 0),
    ("darwin", True, 0),
    ("win32", False, 0x00000008 | 0x00000200 | 0x01000000),
])
def test_detach_plan(platform: str, session: bool, flags: int) -> None:
    plan = detach.plan(platform)
    assert (plan.new_session, plan.creationflags) == (session, flags)


def test_endpoint_per_platform(tmp_path: Path) -> None:
    assert ipc.endpoint("linux", runtime=tmp_path) == str(tmp_path / "paxel.sock")
    pipe = ipc.endpoint("win32", data=tmp_path)
    assert pipe.startswith("\\\\.\\pipe\\paxel-") and "/" not in pipe
    assert pipe == ipc.endpoint("win32", data=tmp_path)  # stable for one user
    assert pipe != ipc.endpoint("win32", data=tmp_path / "other")


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
