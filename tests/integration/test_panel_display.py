"""The display probe: every platform branch, plus a real XOpenDisplay against Xvfb."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from paxel.display import probe_display, x_display_opens
from support.xvfb import Xvfb


def never(name: str) -> bool:
    raise AssertionError(f"X must not be probed here (asked for {name})")


@pytest.mark.parametrize("platform", ["darwin", "win32", "cygwin"])
def test_macos_and_windows_always_have_a_display(platform: str) -> None:
    assert probe_display(platform, {}, never).available


def test_linux_without_any_display_variable() -> None:
    probe = probe_display("linux", {}, never)
    assert not probe.available
    assert probe.detail == "no display: neither DISPLAY nor WAYLAND_DISPLAY is set"


def test_linux_x_display_that_does_not_open() -> None:
    probe = probe_display("linux", {"DISPLAY": ":77"}, lambda name: False)
    assert not probe.available
    assert "DISPLAY=:77 cannot be opened" in probe.detail


@pytest.fixture
def wayland_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "wayland-1"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        yield path


def test_wayland_socket_relative_to_runtime_dir(wayland_socket: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(wayland_socket.parent)}
    assert probe_display("linux", env, never).available
    assert probe_display("freebsd14", {"WAYLAND_DISPLAY": str(wayland_socket)}, never).available


def test_stale_wayland_name_falls_back_to_x(tmp_path: Path) -> None:
    (tmp_path / "wayland-0").write_text("not a socket")
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":5"}
    assert probe_display("linux", env, lambda name: name == ":5").available
    probe = probe_display("linux", env, lambda name: False)
    assert not probe.available
    assert "has no socket" in probe.detail and "DISPLAY=:5 cannot be opened" in probe.detail


def test_real_x_server_opens_and_a_missing_one_does_not() -> None:
    # A display number of its own: the lowest free one, once ours stopped, is what the next Xvfb
    # anyone starts (-displayfd) takes, and "stopped now" then found that one open (under load).
    with Xvfb(number=random.randrange(20000, 30000)) as xvfb:
        assert x_display_opens(xvfb.display)
        assert probe_display("linux", {"DISPLAY": xvfb.display}).available
    assert not x_display_opens(xvfb.display)  # stopped now
    assert not x_display_opens(":4242")


def test_a_busy_x_server_is_still_a_display() -> None:
    """Probes at once from two threads (the service's panel-opening thread and an `open`
    request do so): a busy Xvfb resets a new connection or has its backlog full now and then
    (ECONNRESET, EAGAIN), which once answered "no display" to the user's Open (flaky
    test_open_never_runs_what_the_browser_chose). Such a failure is tried again."""
    import threading

    with Xvfb(number=random.randrange(20000, 30000)) as xvfb:
        answers: list[bool] = []

        def probe() -> None:
            answers.extend(x_display_opens(xvfb.display) for _ in range(60))

        threads = [threading.Thread(target=probe) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers.count(False) == 0, f"{answers.count(False)} of {len(answers)} probes said no display"
