"""The real panel under Xvfb: a real isolated service, a real capped download, the real page.

The page is read and clicked through the panel's test hook (PAXEL_PANEL_TEST_SOCKET: pywebview's
evaluate_js in the live page), so what is checked is the DOM a user sees; the screenshot is taken
from the X server with ImageMagick. The service's view comes from `paxel list --json`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from conftest import settled
from paxel.errors import ErrorCode
from support.nginx import Nginx
from support.panelhook import page_js
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZE = 16 << 20  # at 2 MiB/s on one connection: ~8 s, long enough to watch, pause and resume


class PanelPage:
    """Evaluates JavaScript in the live panel page through the panel's test hook socket."""

    def __init__(self, hook: Path, process: subprocess.Popen[bytes]) -> None:
        self.hook = hook
        self.process = process

    def js(self, expression: str) -> Any:
        return page_js(self.hook, expression)

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """Poll `expression` in the page until it is truthy; fail with the last value otherwise."""
        deadline = time.monotonic() + timeout
        value: Any = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"panel exited with {self.process.returncode}"
            if self.hook.exists():
                value = self.js(expression)
                if value:
                    return value
            time.sleep(0.05)
        raise AssertionError(f"page never satisfied {expression!r} (last value {value!r})")


def service_view(env: PaxelEnv, download_id: str) -> dict[str, Any]:
    views = json.loads(env.paxel("list", "--json").stdout)
    return next(v for v in views if v["download_id"] == download_id)


def wait_service_state(env: PaxelEnv, download_id: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view = service_view(env, download_id)
        if view["state"] == state or time.monotonic() > deadline:
            assert view["state"] == state, view
            return view
        time.sleep(0.1)


@pytest.fixture
def slow_nginx() -> Iterator[Nginx]:
    server = Nginx(rate="2m")
    yield server
    server.stop()


def screenshot(display: str, target: Path) -> int:
    """Save the whole X screen; returns how many distinct colours it has (1 = blank)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-display", display, "-window", "root", str(target)], check=True, timeout=20)
    colours = subprocess.run(["identify", "-format", "%k", str(target)], check=True, capture_output=True,
                             text=True, timeout=20)  # fmt: skip
    return int(colours.stdout)


def test_panel_follows_and_controls_a_real_download(
    paxel_env: PaxelEnv, xvfb: Xvfb, slow_nginx: Nginx
) -> None:
    assert shutil.which("xdotool"), "the panel test needs xdotool (tools/apt-packages.txt)"
    digest = slow_nginx.add_file("movie.bin", SIZE)
    hook = paxel_env.root / "panel-hook.sock"
    paxel_env.write_settings(open_panel_on_add=False)  # this test starts the one panel itself
    paxel_env.env.update(DISPLAY=xvfb.display, PAXEL_PANEL_TEST_SOCKET=str(hook), PYTHONFAULTHANDLER="1")
    paxel_env.paxel("service", "start")  # up first, so the start time below is the panel's own
    paxel_env.wait_service()
    log = (paxel_env.root / "panel.log").open("wb")
    started = time.monotonic()
    panel = subprocess.Popen([sys.executable, "-m", "paxel", "panel"], env=paxel_env.env,
                             stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        page = PanelPage(hook, panel)
        page.wait_for("window.paxel && window.paxel.ready === true", timeout=40)
        print(
            f"\npanel start (process start -> page loaded with snapshot): {time.monotonic() - started:.2f} s"
        )
        assert page.js("document.querySelector('#active-empty').hidden") is False

        added = paxel_env.paxel("add", slow_nginx.url("movie.bin", "capped"), "--connections", "1", "--json")
        download_id = json.loads(added.stdout)["download_id"]
        row = f"document.querySelector('li.download[data-id=\"{download_id}\"]')"
        percent = f"Number({row}.querySelector('.bar').getAttribute('aria-valuenow'))"

        # The row shows the right name and progress that rises.
        page.wait_for(f"{row} && {row}.dataset.state === 'running' && {percent} > 0")
        assert page.js(f"{row}.querySelector('.name').textContent") == "movie.bin"
        assert page.js(f"{row}.parentElement.id") == "active"
        first = page.js(percent)
        page.wait_for(f"{percent} >= {first + 5}", timeout=5)
        assert page.js(f"{row}.querySelectorAll('.segments .segment').length") >= 1
        assert "/16.0 MiB (" in page.js(f"{row}.querySelector('.size').textContent")
        tree = [psutil.Process(panel.pid), *psutil.Process(panel.pid).children(recursive=True)]
        panel_rss = sum(p.memory_info().rss for p in tree) / 2**20
        print(f"panel RSS (process tree, web engine children included): {panel_rss:.0f} MiB")
        assert page.js(f"{row}.querySelector('.speed').textContent").endswith("/s")
        colours = screenshot(xvfb.display, ARTIFACTS / "panel.png")
        print(f"screenshot: {ARTIFACTS / 'panel.png'} ({colours} colours)")
        assert colours > 50, "the screenshot is blank"

        # Pause in the page: the service pauses the download and no more bytes arrive.
        page.js(f"{row}.querySelector('button.action.pause').click()")
        wait_service_state(paxel_env, download_id, "paused")
        page.wait_for(f"{row}.dataset.state === 'paused' && !!{row}.querySelector('button.action.resume')")
        assert settled(lambda: wait_service_state(paxel_env, download_id, "paused", timeout=0)["done"],
                       "paused bytes", quiet=1.0) < SIZE

        # Resume in the page; completion moves the row to history.
        page.js(f"{row}.querySelector('button.action.resume').click()")
        page.wait_for(f"{row}.dataset.state !== 'paused'")
        page.wait_for(
            f"{row}.parentElement.id === 'history' && {row}.dataset.state === 'completed'", timeout=30
        )
        assert page.js("document.querySelector('#active-empty').hidden") is False
        assert page.js(f"{row}.querySelector('.size').textContent") == "16.0 MiB"
        final = Path(service_view(paxel_env, download_id)["path"])
        assert hashlib.sha256(final.read_bytes()).hexdigest() == digest
        screenshot(xvfb.display, ARTIFACTS / "panel-history.png")

        # Remove from history through the page.
        page.js(f"{row}.querySelector('button.action.remove').click()")
        page.wait_for(f"!{row}")
        assert all(
            v["download_id"] != download_id for v in json.loads(paxel_env.paxel("list", "--json").stdout)
        )

        # A second `paxel panel` raises this one instead of opening another window.
        again = paxel_env.paxel("panel")
        assert "already open" in again.stdout
        assert panel.poll() is None
        windows = subprocess.run(["xdotool", "search", "--name", "^paxel$"], env=paxel_env.env, check=True,
                                 capture_output=True, text=True).stdout.split()  # fmt: skip
        assert len(windows) == 1

        # Closing the window (Ctrl+W, the same close path as the title bar button) ends the panel
        # process and nothing else.
        window = windows[0]
        # A real click on empty page space first, so the web view (not just the X window) has focus.
        keys = ["windowfocus", "--sync", window, "mousemove", "--window", window, "280", "600", "click", "1"]
        subprocess.run(["xdotool", *keys, "key", "ctrl+w"], env=paxel_env.env, check=True, timeout=10)
        try:
            assert panel.wait(15) == 0
        except subprocess.TimeoutExpired:
            still_there = subprocess.run(["xdotool", "search", "--name", "^paxel$"], env=paxel_env.env,
                                         capture_output=True, text=True).stdout.split()  # fmt: skip
            panel.send_signal(signal.SIGABRT)  # faulthandler dumps every thread into the log
            panel.wait()
            raise AssertionError(
                f"panel did not exit after Ctrl+W (window still mapped: {still_there})"
            ) from None
        service = psutil.Process(paxel_env.wait_service())
        time.sleep(0.5)
        print(f"service RSS with the panel closed: {service.memory_info().rss / 2**20:.1f} MiB")
    finally:
        if panel.poll() is None:
            panel.kill()
            panel.wait()
        log.close()
        print((paxel_env.root / "panel.log").read_text(errors="replace")[-8000:])


def test_no_display_fails_clearly_and_downloads_go_on(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("headless.bin", 24 << 20)  # ~3 s on one 8 MiB/s connection
    added = paxel_env.paxel("add", nginx.url("headless.bin", "capped"), "--connections", "1", "--json")
    download_id = json.loads(added.stdout)["download_id"]

    started = time.monotonic()
    done = paxel_env.paxel("panel", check=False)  # the env has no DISPLAY/WAYLAND_DISPLAY
    assert time.monotonic() - started < 5
    assert done.returncode == ErrorCode.NO_DISPLAY
    assert "cannot open the panel: no display" in done.stderr
    assert "neither DISPLAY nor WAYLAND_DISPLAY is set" in done.stderr
    assert "Downloads go on in the paxel service" in done.stderr

    wait_service_state(paxel_env, download_id, "completed", timeout=30)
    assert paxel_env.service_pid() is not None


def test_unexpected_argument_is_a_usage_error(paxel_env: PaxelEnv) -> None:
    done = paxel_env.paxel("panel", "--bogus", check=False)
    assert done.returncode == ErrorCode.USAGE
    assert "unexpected argument '--bogus'" in done.stderr
