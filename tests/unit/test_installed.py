"""paxel.installed: a host that came through a launcher is off once that launcher (or, in
Firefox, the manifest it was started from) is gone; a host started without one never is."""

from __future__ import annotations

import shlex
from pathlib import Path

from paxel.installed import LAUNCHER_ENV, off_reason
from paxel.installer import launcher


def test_off_once_the_launcher_or_the_firefox_manifest_is_gone() -> None:
    present = {"/d/paxel-host", "/m/io.paxel.host.json"}
    env = {LAUNCHER_ENV: "/d/paxel-host"}
    assert off_reason(env, None, present.__contains__) is None
    assert off_reason(env, Path("/m/io.paxel.host.json"), present.__contains__) is None
    assert "launcher /d/paxel-host is gone" in (off_reason(env, None, set().__contains__) or "")
    gone = off_reason(env, Path("/other/io.paxel.host.json"), present.__contains__)
    assert gone is not None and "/other/io.paxel.host.json is gone" in gone
    assert off_reason({}, Path("/nowhere.json"), set().__contains__) is None  # not via a launcher


def test_the_launcher_names_itself_whatever_the_environment_says() -> None:
    own = "/home/it's me/.local/share/paxel/native-host/paxel-host"
    lines = launcher.script("linux", ["/venv/bin/paxel-host"], {}, own).splitlines()
    assert f"{LAUNCHER_ENV}={shlex.quote(own)}; export {LAUNCHER_ENV}" in lines
    windows = launcher.script("win32", [r"C:\v\paxel-host.exe"], {}, r"C:\d\paxel-host.cmd").split("\r\n")
    assert windows[2] == rf'set "{LAUNCHER_ENV}=C:\d\paxel-host.cmd"'
