"""Manifest content, extension ids and the checks doctor relies on; the launcher's text."""

from __future__ import annotations

import json
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import UsageError
from paxel.ids import CHROMIUM_ORIGINS, FIREFOX_EXTENSION_ID, HOST_NAME
from paxel.installer import launcher, manifest
from paxel.installer.browsers import Family
from paxel.installer.manifest import build, check, is_ours, parse_extension_ids

OTHER = "abcdefghijklmnopabcdefghijklmnop"


@pytest.mark.parametrize(
    "bad",
    ["", "xyz", "A" * 32, "q" * 32, "a" * 31, "chrome-extension://abc/", "paxel@", "{not-a-guid}", "a b@c"],
)
def test_bad_extension_ids_are_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(UsageError, match="neither a Chromium extension id"):
        parse_extension_ids([bad])


def test_extension_ids_are_sorted_by_family_and_deduplicated() -> None:
    ids = parse_extension_ids(
        [
            OTHER,
            f"chrome-extension://{OTHER}/",
            "dev@example.org",
            "{12345678-1234-1234-1234-123456789abc}",
            "dev@example.org",
        ]
    )
    assert ids.origins == (f"chrome-extension://{OTHER}/",)
    assert ids.firefox == ("dev@example.org", "{12345678-1234-1234-1234-123456789abc}")
    assert ids.ids() == [OTHER, "dev@example.org", "{12345678-1234-1234-1234-123456789abc}"]


def test_chromium_manifest_lists_exactly_paxels_origins_plus_extras() -> None:
    content = json.loads(build(Family.CHROMIUM, "/opt/paxel-host", parse_extension_ids([OTHER])))
    assert content == {
        "name": HOST_NAME,
        "description": manifest.DESCRIPTION,
        "path": "/opt/paxel-host",
        "type": "stdio",
        "allowed_origins": [*CHROMIUM_ORIGINS, f"chrome-extension://{OTHER}/"],
    }


def test_firefox_manifest_lists_exactly_paxels_addon_id() -> None:
    content = json.loads(build(Family.FIREFOX, r"C:\p\paxel-host.cmd"))
    assert content["allowed_extensions"] == [FIREFOX_EXTENSION_ID]
    assert "allowed_origins" not in content
    assert content["path"] == r"C:\p\paxel-host.cmd"


@given(
    st.lists(st.text(alphabet="abcdefghijklmnop", min_size=32, max_size=32), max_size=4),
    st.lists(st.from_regex(r"[a-z0-9._-]{1,12}@[a-z0-9.-]{1,12}", fullmatch=True), max_size=3),
    st.sampled_from(list(Family)),
)
def test_every_built_manifest_passes_the_check_and_is_ours(
    chromium: list[str], firefox: list[str], family: Family
) -> None:
    text = build(family, "/abs/launcher", parse_extension_ids(chromium + firefox))
    assert check(text, family, "linux").problems == ()
    assert check(text, family, "linux").launcher == "/abs/launcher"
    assert is_ours(text)


def codes(text: str, family: Family = Family.CHROMIUM) -> list[str]:
    return [p.code for p in check(text, family, "linux").problems]


def test_check_finds_what_browsers_reject() -> None:
    good = json.loads(build(Family.CHROMIUM, "/abs/launcher"))
    assert codes("{broken") == ["manifest-invalid-json"]
    assert codes("[]") == ["manifest-invalid-json"]
    assert codes(json.dumps({**good, "name": "other"})) == ["manifest-wrong-name"]
    assert codes(json.dumps({**good, "type": "socket"})) == ["manifest-wrong-type"]
    assert codes(json.dumps({**good, "path": "relative/host"})) == ["manifest-relative-path"]
    assert codes(json.dumps({k: v for k, v in good.items() if k != "path"})) == ["manifest-no-path"]
    wrong = {**good, "allowed_origins": [f"chrome-extension://{OTHER}/"]}
    assert codes(json.dumps(wrong)) == ["wrong-extension-id"]
    assert (
        "Access to the specified native messaging host is forbidden."
        in check(json.dumps(wrong), Family.CHROMIUM, "linux").problems[0].message
    )
    assert codes(json.dumps({**good, "allowed_origins": [*CHROMIUM_ORIGINS, "chrome-extension://*/"]})) == [
        "manifest-bad-origin"
    ]
    firefox_shape = build(Family.FIREFOX, "/abs/launcher")
    problem = check(firefox_shape, Family.CHROMIUM, "linux").problems[0]
    assert problem.code == "manifest-no-allowed-ids" and "other browser family" in problem.message
    assert codes(
        json.dumps({**json.loads(firefox_shape), "allowed_extensions": ["x@y"]}), Family.FIREFOX
    ) == ["wrong-extension-id"]


def test_windows_paths_are_absolute_with_a_drive() -> None:
    text = build(Family.CHROMIUM, r"C:\Users\u\paxel-host.cmd")
    assert check(text, Family.CHROMIUM, "win32").problems == ()
    assert [p.code for p in check(text, Family.CHROMIUM, "linux").problems] == ["manifest-relative-path"]


def test_only_manifests_with_paxels_signature_are_ours() -> None:
    assert is_ours(build(Family.FIREFOX, "/x"))
    foreign = {**json.loads(build(Family.FIREFOX, "/x")), "description": "someone else's"}
    assert not is_ours(json.dumps(foreign))
    assert not is_ours("not json")
    assert not is_ours("[1]")


def test_posix_launcher_restores_only_missing_variables_and_execs_an_absolute_host() -> None:
    text = launcher.script("linux", ["/venv/bin/paxel-host"], {"HOME": "/home/it's me", "PATH": "/usr/bin"})
    lines = text.splitlines()
    assert lines[0] == "#!/bin/sh"
    assert launcher.is_ours(text)
    assert f'[ -n "${{HOME:-}}" ] || HOME={shlex.quote("/home/it" + chr(39) + "s me")}; export HOME' in lines
    assert lines[-1] == 'exec /venv/bin/paxel-host "$@"'


def test_windows_launcher_is_a_cmd_passing_every_argument() -> None:
    text = launcher.script("win32", [r"C:\venv\Scripts\paxel-host.exe"], {"HOME": "ignored"})
    assert text == (
        "@echo off\r\nrem paxel native messaging launcher: written by `paxel install`, removed by "
        '`paxel uninstall`.\r\n"C:\\venv\\Scripts\\paxel-host.exe" %*\r\n'
    )


def test_windows_launcher_restores_paxels_own_variables_only() -> None:
    defaults = {"HOME": "ignored", "PAXEL_EXTENSION_IDS": f"{OTHER},dev@x.org", "PAXEL_ODD": '"q"',
                "PAXEL_PCT": "a%b"}
    lines = launcher.script("win32", [r"C:\v\paxel-host.exe"], defaults).split("\r\n")
    assert lines[2:] == [
        f'if not defined PAXEL_EXTENSION_IDS set "PAXEL_EXTENSION_IDS={OTHER},dev@x.org"',
        'if not defined PAXEL_PCT set "PAXEL_PCT=a%%b"',
        '"C:\\v\\paxel-host.exe" %*',
        "",
    ]


def test_host_command_prefers_the_console_script_else_this_python() -> None:
    assert launcher.host_command("linux", "/v/bin", "/v/bin/python", True) == ["/v/bin/paxel-host"]
    assert launcher.host_command("win32", r"C:\v\Scripts", r"C:\v\Scripts\python.exe", True) == [
        r"C:\v\Scripts\paxel-host.exe"
    ]
    fallback = launcher.host_command("linux", "/v/bin", "/v/bin/python", False)
    assert fallback[:2] == ["/v/bin/python", "-P"] and "from paxel.host import main" in fallback[-1]


def test_pinned_environment_keeps_locations_and_paxel_variables_only() -> None:
    env = {"HOME": "/h", "XDG_RUNTIME_DIR": "/run/u", "PAXEL_X": "1", "DISPLAY": ":0", "XDG_DATA_HOME": ""}
    assert launcher.pinned_environment(env) == {"HOME": "/h", "XDG_RUNTIME_DIR": "/run/u", "PAXEL_X": "1"}
