"""`paxel install / uninstall / doctor` in an isolated HOME + XDG dirs, with the real native host.

Launching a manifest's `path` the way a browser does (empty environment, the browser's argv, the
launcher's folder as working directory) must answer `hello` through the real service.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
from pathlib import Path
from typing import Any

from paxel.ids import CHROMIUM_ORIGINS, FIREFOX_EXTENSION_ID, HOST_NAME
from paxel.protocol import PROTOCOL_VERSION
from support.paxel_env import PaxelEnv

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"


def manifests(env: PaxelEnv) -> dict[str, Path]:
    return {
        "chromium": env.root / "config" / "chromium" / "NativeMessagingHosts" / f"{HOST_NAME}.json",
        "firefox": env.home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json",
    }


def launch_like_browser(argv: list[str], client: str, env: PaxelEnv) -> dict[str, Any]:
    """Start argv with an empty environment, send hello, return the first reply, close stdin."""
    process = subprocess.Popen(
        argv,
        env={},
        cwd=os.path.dirname(argv[0]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = json.dumps({"id": 1, "type": "hello", "client": client, "version": 1}).encode()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(struct.pack("=I", len(body)) + body)
        process.stdin.flush()
        header = process.stdout.read(4)
        assert len(header) == 4, process.stderr.read().decode() if process.stderr else ""
        reply: dict[str, Any] = json.loads(process.stdout.read(struct.unpack("=I", header)[0]))
        process.stdin.close()
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None and not stream.closed:
                stream.close()
    env.note_service()
    return reply


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under root with its mode and (files) content."""
    found: dict[str, tuple[int, bytes]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            found[str(path.relative_to(root))] = (info.st_mode, path.read_bytes() if path.is_file() else b"")
    return found


def test_install_writes_valid_manifests_whose_launcher_answers_hello_when_started_like_a_browser(
    paxel_env: PaxelEnv,
) -> None:
    done = paxel_env.paxel("install")
    found = manifests(paxel_env)
    for family, path in found.items():
        assert path.is_file(), done.stdout
        content = json.loads(path.read_text())
        assert content["name"] == HOST_NAME and content["type"] == "stdio"
        launcher = Path(content["path"])
        assert launcher.is_absolute() and launcher.is_file()
        assert launcher.stat().st_mode & stat.S_IXUSR
        if family == "chromium":
            assert content["allowed_origins"] == list(CHROMIUM_ORIGINS)
            reply = launch_like_browser([str(launcher), CHROMIUM_ORIGINS[0]], CHROMIUM_ORIGINS[0], paxel_env)
        else:
            assert content["allowed_extensions"] == [FIREFOX_EXTENSION_ID]
            reply = launch_like_browser(
                [str(launcher), str(path), FIREFOX_EXTENSION_ID], f"firefox:{FIREFOX_EXTENSION_ID}", paxel_env
            )
        assert reply["ok"] is True, reply
        assert reply["result"]["version"] == PROTOCOL_VERSION
    # The empty-environment host reached this env's service, not some other user's.
    assert paxel_env.service_pid() is not None


def test_install_is_idempotent_and_uninstall_restores_the_tree_exactly(paxel_env: PaxelEnv) -> None:
    other = paxel_env.root / "config" / "chromium" / "NativeMessagingHosts" / "com.other.host.json"
    other.parent.mkdir(parents=True)
    other.write_text('{"name": "com.other.host"}')
    (paxel_env.home / ".mozilla" / "firefox").mkdir(parents=True)
    before = snapshot(paxel_env.root)

    paxel_env.paxel("install", "--browser", "chromium", "--browser", "firefox", "--browser", "librewolf")
    first = snapshot(paxel_env.root)
    again = paxel_env.paxel(
        "install", "--browser", "chromium", "--browser", "firefox", "--browser", "librewolf"
    )
    assert "written" not in again.stdout and again.stdout.count("unchanged") == 4
    assert snapshot(paxel_env.root) == first

    gone = paxel_env.paxel("uninstall")
    assert "removed" in gone.stdout
    assert snapshot(paxel_env.root) == before
    assert paxel_env.paxel("uninstall").stdout == "nothing of paxel's was registered\n"


def test_files_paxel_did_not_write_are_neither_replaced_nor_removed(paxel_env: PaxelEnv) -> None:
    foreign = paxel_env.home / ".librewolf" / "native-messaging-hosts" / f"{HOST_NAME}.json"
    foreign.parent.mkdir(parents=True)
    foreign.write_text('{"name": "io.paxel.host", "description": "hand-made", "path": "/x"}')
    refused = paxel_env.paxel("install", "--browser", "librewolf", "--browser", "firefox", check=False)
    assert refused.returncode == 1
    assert "was not written by paxel: left alone" in refused.stderr
    assert manifests(paxel_env)["firefox"].is_file()
    assert "left" in paxel_env.paxel("uninstall").stdout
    assert "hand-made" in foreign.read_text()


def test_user_data_dir_and_extra_extension_id_reach_the_host(paxel_env: PaxelEnv) -> None:
    profile = paxel_env.root / "profile"
    paxel_env.paxel("install", "--user-data-dir", str(profile), "--extension-id", OTHER_ID)
    path = profile / "NativeMessagingHosts" / f"{HOST_NAME}.json"
    content = json.loads(path.read_text())
    assert content["allowed_origins"] == [*CHROMIUM_ORIGINS, f"chrome-extension://{OTHER_ID}/"]
    assert not manifests(paxel_env)["chromium"].exists()  # --user-data-dir alone skips detection
    origin = f"chrome-extension://{OTHER_ID}/"
    assert launch_like_browser([content["path"], origin], origin, paxel_env)["ok"] is True
    stranger = "chrome-extension://" + "p" * 32 + "/"
    refused = launch_like_browser([content["path"], stranger], stranger, paxel_env)
    assert refused["ok"] is False and refused["error"]["name"] == "CALLER_NOT_ALLOWED"
    # ids given once stay until uninstall: a later plain install keeps them in the manifest too
    again = paxel_env.paxel("install", "--user-data-dir", str(profile))
    assert "unchanged" in again.stdout and "written" not in again.stdout, again.stdout
    assert json.loads(path.read_text())["allowed_origins"] == content["allowed_origins"]


def test_bad_arguments_are_refused_before_anything_is_written(paxel_env: PaxelEnv) -> None:
    bad_id = paxel_env.paxel("install", "--extension-id", "not-an-id", check=False)
    assert bad_id.returncode == 2 and "neither a Chromium extension id" in bad_id.stderr
    bad_browser = paxel_env.paxel("install", "--browser", "netscape", check=False)
    assert bad_browser.returncode == 2 and "unknown browser netscape" in bad_browser.stderr
    assert not (paxel_env.root / "data").exists() and not (paxel_env.root / "config").exists()


def doctor(env: PaxelEnv) -> tuple[int, dict[str, Any]]:
    done = env.paxel("doctor", "--json", check=False)
    return done.returncode, json.loads(done.stdout)


def problems(report: dict[str, Any], browser: str) -> list[str]:
    entry = next(b for b in report["browsers"] if b["browser"] == browser)
    return [p["code"] for m in entry["manifests"] for p in m["problems"]] + [
        p["code"] for p in entry["problems"]
    ]


def test_doctor_passes_a_good_install_and_names_each_breakage(paxel_env: PaxelEnv) -> None:
    paxel_env.paxel("install", "--browser", "chromium", "--browser", "firefox")
    status, report = doctor(paxel_env)
    assert status == 0 and report["ok"] is True, report
    chromium = next(b for b in report["browsers"] if b["browser"] == "chromium")
    launcher = chromium["manifests"][0]["launcher"]
    assert chromium["installed"] and launcher["answered"] is True
    # looking changes nothing: the host answered without starting the service
    assert launcher["reply"]["error"]["name"] == "SERVICE_UNAVAILABLE"
    assert report["service"]["ok"] is False and paxel_env.service_pid() is None
    # headless here: the toolkit is named, and why no window can open
    assert report["panel"]["installed"] is True and report["panel"]["ok"] is False
    assert report["panel"]["backend"] in ("GTK WebKit", "Qt WebEngine")
    assert "neither DISPLAY nor WAYLAND_DISPLAY is set" in report["panel"]["detail"]
    text = paxel_env.paxel("doctor").stdout
    assert "ok Chromium: installed" in text and text.endswith("all good\n")
    assert "\npanel: " in text and "cannot open in this session" in text

    paxel_env.paxel("service", "start")  # with the service up, hello goes all the way through it
    status, report = doctor(paxel_env)
    chromium = next(b for b in report["browsers"] if b["browser"] == "chromium")
    assert status == 0 and chromium["manifests"][0]["launcher"]["reply"]["ok"] is True
    assert report["service"]["ok"] is True

    found = manifests(paxel_env)
    found["chromium"].write_text("{ this is not json")
    firefox = json.loads(found["firefox"].read_text())
    found["firefox"].write_text(json.dumps({**firefox, "allowed_extensions": ["someone@else.org"]}))
    status, report = doctor(paxel_env)
    assert status == 1 and report["ok"] is False
    assert problems(report, "chromium") == ["manifest-invalid-json"]
    assert problems(report, "firefox") == ["wrong-extension-id"]
    text = paxel_env.paxel("doctor", check=False).stdout
    assert "not valid JSON" in text and "No such native application io.paxel.host" in text

    paxel_env.paxel("install", "--browser", "chromium", "--browser", "firefox", "--force")
    Path(firefox["path"]).unlink()
    status, report = doctor(paxel_env)
    assert status == 1
    assert problems(report, "chromium") == ["launcher-missing"]
    assert problems(report, "firefox") == ["launcher-missing"]


def test_doctor_reports_a_browser_without_paxel_and_a_missing_profile_manifest(paxel_env: PaxelEnv) -> None:
    status, report = doctor(paxel_env)
    assert status == 1
    assert problems(report, "chromium") == ["not-registered"]  # /usr/bin/chromium is on PATH
    done = paxel_env.paxel(
        "doctor", "--json", "--user-data-dir", str(paxel_env.root / "nowhere"), check=False
    )
    custom = json.loads(done.stdout)["browsers"][-1]
    assert (
        custom["browser"] == "custom" and custom["manifests"][0]["problems"][0]["code"] == "manifest-missing"
    )


def test_doctor_right_after_install_for_a_profile_passes_and_names_other_browsers_as_information(
        paxel_env: PaxelEnv) -> None:
    """`paxel doctor --user-data-dir DIR` asks about that profile: Chromium and Firefox installed
    here without paxel are reported, but do not fail it."""
    profile = str(paxel_env.root / "profile")
    paxel_env.paxel("install", "--user-data-dir", profile)
    done = paxel_env.paxel("doctor", "--json", "--user-data-dir", profile, check=False)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"] is True, done.stdout
    chromium = next(b for b in report["browsers"] if b["browser"] == "chromium")
    assert chromium["asked"] is False and problems(report, "chromium") == ["not-registered"]
    text = paxel_env.paxel("doctor", "--user-data-dir", profile).stdout
    assert "note: Chromium is installed but paxel is not registered with it" in text, text
    assert text.endswith("all good\n"), text
    # registered for Chromium alone, Firefox (installed here) is information too
    paxel_env.paxel("install", "--browser", "chromium")
    assert paxel_env.paxel("doctor", check=False).returncode == 0
