"""Desktop notification command per platform (pure: `which` and env are parameters)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from paxel.notify import describe, format_size, notification_command, notify_completed

MIB3 = 3 * 1024 * 1024
VIEW = {"filename": "big.iso", "folder": "/home/u/Downloads", "total": MIB3, "done": MIB3}


def which_of(*present: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_describe_names_file_size_and_folder() -> None:
    assert describe(VIEW) == ("Downloaded big.iso", "3.0 MiB in /home/u/Downloads")
    assert describe({"url": "http://x/y"}) == ("Downloaded http://x/y", "http://x/y")
    assert format_size(10) == "10 B"
    assert format_size(5 * 1024**4) == "5120.0 GiB"


def test_linux_prefers_notify_send() -> None:
    argv = notification_command("T", "B", "linux", {"DISPLAY": ":0"}, which_of("notify-send", "gdbus"))
    assert argv == ["/usr/bin/notify-send", "--app-name", "paxel", "--icon", "folder-download", "T", "B"]


def test_linux_falls_back_to_gdbus_with_quoted_strings() -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1/bus"}
    argv = notification_command("it's \\ done", "B", "linux", env, which_of("gdbus"))
    assert argv is not None
    assert argv[0] == "/usr/bin/gdbus"
    assert "'it\\'s \\\\ done'" in argv
    assert argv[-4:] == ["'B'", "[]", "{}", "5000"]


@pytest.mark.parametrize(
    ("env", "present"),
    [
        ({}, ("notify-send", "gdbus")),  # headless: no session at all
        ({"DISPLAY": ":0"}, ()),  # no notifier installed
        ({"DISPLAY": ":0"}, ("gdbus",)),  # gdbus but no session bus address
    ],
)
def test_linux_without_notifier_gives_none(env: dict[str, str], present: tuple[str, ...]) -> None:
    assert notification_command("T", "B", "linux", env, which_of(*present)) is None


def test_macos_uses_osascript_with_escaped_strings() -> None:
    argv = notification_command('say "hi"', "B", "darwin", {}, which_of("osascript"))
    assert argv == ["/usr/bin/osascript", "-e", 'display notification "B" with title "say \\"hi\\""']


def test_windows_has_no_command_line_notifier() -> None:
    assert notification_command("T", "B", "win32", {}, which_of("notify-send")) is None


def test_notify_completed_headless_does_nothing_and_never_raises() -> None:
    assert notify_completed(VIEW, env={}) is None
    assert notify_completed({}, env={}) is None


def test_a_failure_is_described_by_its_error_and_headless_does_nothing() -> None:
    from paxel.notify import describe_failure, notify_failed

    view = {"filename": "x.zip", "error": {"message": "the server says 404"}}
    assert describe_failure(view) == ("Download failed: x.zip", "the server says 404")
    assert describe_failure({})[1] == "paxel could not finish it"
    assert notify_failed(view, env={}) is None
