"""`paxel URL` in a real pseudo-terminal, 80 columns wide (tmux), against the fault server:
a 503 with Retry-After while probing, dropped connections while running, then completion.
The screens tmux rendered are checked as a user would read them."""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxel.commands.livebar import RETRY_LINES
from support.faultserver import FaultServer

NAME = "ubuntu-24.04.1-desktop-amd64-with-a-rather-long-release-name-for-testing.iso"
SIZE = 6 << 20
WIDTH = 80
MARK = "[paxel exited "


class Tmux:
    """A private tmux server (its own socket) with one WIDTH-column window running `command`."""

    def __init__(self, folder: Path, command: str) -> None:
        assert shutil.which("tmux"), "tmux is needed (tools/apt-packages.txt)"
        self.socket = str(folder / "tmux.sock")
        script = folder / "run.sh"
        script.write_text(f"{command}\necho '{MARK}'$?']'\nsleep 60\n")
        self._tmux("new-session", "-d", "-x", str(WIDTH), "-y", "24", "-s", "paxel", f"sh {script}")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True,
                              timeout=10, check=True)  # fmt: skip
        return done.stdout

    def screen(self) -> list[str]:
        return self._tmux("capture-pane", "-p", "-J", "-t", "paxel").splitlines()

    def stop(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=10)


def record(tmux: Tmux, timeout: float) -> list[list[str]]:
    """Every distinct screen until the command has exited."""
    screens: list[list[str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen()
        if not screens or screen != screens[-1]:
            screens.append(screen)
        if any(line.startswith(MARK) for line in screen):
            return screens
        time.sleep(0.05)
    raise AssertionError("paxel did not finish; last screen:\n" + "\n".join(screens[-1]))


def bar_row(screen: list[str]) -> int | None:
    """The row of the progress line: the last one naming the file (shortened or not)."""
    rows = [i for i, line in enumerate(screen) if line.startswith(NAME[:8])]
    return rows[-1] if rows else None


@pytest.mark.timeout(90)
def test_progress_line_at_80_columns_through_retries_to_the_end_line(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url(NAME, size=SIZE, status=503, retry_after=1, trickle=1 << 20,
                          drop=400_000, drop_times=2)  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    command = shlex.join([sys.executable, "-m", "paxel", url, "-n", "2", "-d", str(out)])
    tmux = Tmux(tmp_path, f"cd {shlex.quote(str(tmp_path))} && {command}")
    try:
        screens = record(tmux, 60)
    finally:
        tmux.stop()
    for screen in screens:  # shown when the test fails
        print("\n".join(screen).rstrip() + "\n" + "=" * WIDTH)
    final = screens[-1]
    text = "\n".join(final)
    assert f"{MARK}0]" in text, text
    assert "Traceback" not in text
    assert hashlib.sha256((out / NAME).read_bytes()).hexdigest() == faultserver.sha256(url)

    # While probing (the 503 waits out its Retry-After): no bar, no size, the retry counted.
    probing = [s[bar_row(s)] for s in screens if bar_row(s) is not None and "probing…" in s[bar_row(s)]]
    assert probing, "never saw the probing line"
    assert any("retry 1" in line for line in probing), probing
    assert not any(c in line for line in probing for c in "━─/"), probing

    # Running: one line of at most 80 cells; the name cut in the middle, keeping its extension;
    # size, speed and time left all there; the drops counted, their reasons printed above.
    running = [(s, bar_row(s)) for s in screens if bar_row(s) is not None and " left" in s[bar_row(s)]]
    assert running, "never saw a running line with time left"
    shape = re.compile(r"^ubuntu-\S*….*\.iso ━*─* +[\d.]+( B| [KM]iB)?/6\.0 MiB +\d+% "
                       r"+[\d.]+ [KM]iB/s +\d:\d\d left")
    for screen, row in running:
        line = screen[row]
        assert len(line) <= WIDTH, line
        assert shape.search(line), line
    counts = [int(m.group(1)) for s, row in running for m in [re.search(r"retry (\d+)$", s[row])] if m]
    assert counts and max(counts) >= 2, [s[row] for s, row in running]
    screen, row = running[-1]
    above = [line for line in screen[:row] if line.startswith("paxel: ")]
    assert any(line.endswith("; retrying") for line in above), screen
    assert sum(line.endswith("; retrying") for line in final) <= RETRY_LINES

    # The end: the line is gone, one summary in binary units.
    assert not any("━" in line or "─" in line for line in final), text
    saved = [line for line in final if line.startswith("paxel: saved ")]
    assert len(saved) == 1, text
    end = rf"paxel: saved out/{re.escape(NAME)} \(6\.0 MiB\) in 0:\d\d, [\d.]+ [KM]iB/s average"
    assert re.fullmatch(end, saved[0]), saved[0]
