"""A real Chromium or Firefox frozen at its start (SIGSTOP before it runs) is restarted once,
visibly; two frozen starts in a row fail. Only that browser-level answer is retried: the factories
then ask for paxel's service worker or install its add-on, with no second chance (a product bug).

The freeze stands in for the rare CI start that never answered its first CDP command: the browser
is real and its pipe is real, only its first run is held still, as a hung start would be.
"""

from __future__ import annotations

import time
from pathlib import Path

import browser_firefox
import pytest
from browser_chromium import CHROMIUM, Chromium, answering
from browser_firefox import FIREFOX, Firefox

from conftest import installed, installing
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser

# Stops itself (the process group leader, so close() ends it by PID) before it becomes the browser:
# only the first start when FREEZE_MARK is set, every start otherwise.
FREEZING = """#!/bin/sh
if [ -z "$FREEZE_MARK" ] || [ ! -e "$FREEZE_MARK" ]; then
    [ -n "$FREEZE_MARK" ] && : > "$FREEZE_MARK"
    echo "frozen before becoming the browser: pid $$" >&2
    kill -STOP $$
fi
exec "$REAL_BROWSER" "$@"
"""


def freezing(tmp_path: Path) -> Path:
    script = tmp_path / "freezing-browser"
    script.write_text(FREEZING)
    script.chmod(0o755)
    return script


def test_a_start_that_never_answers_is_restarted_once_with_its_log_shown(
        paxel_env: PaxelEnv, tmp_path: Path) -> None:
    root = paxel_env.root / "chromium-0"
    registering = installing(paxel_env, "--user-data-dir", str(root / "chromium-profile"))
    env = {**paxel_env.env, "REAL_BROWSER": CHROMIUM, "FREEZE_MARK": str(tmp_path / "frozen-once")}
    browser = Chromium(root, env, command=str(freezing(tmp_path)))
    try:
        installed(registering)
        frozen = browser.process.pid
        notes: list[str] = []
        began = time.monotonic()
        answered = answering(browser, notes.append, first=2.0)
        assert 2.0 <= time.monotonic() - began < 2.0 + 30 and answered < 30
        assert browser.process.pid != frozen and browser.attempts == 2
        assert len(notes) == 1 and f"pid {frozen}" in notes[0]
        assert f"frozen before becoming the browser: pid {frozen}" in notes[0], "the first log's tail"
        assert "frozen before" in (root / "chromium-attempt-1.log").read_text()
        # The second start is a whole browser, with paxel's registration for its profile kept.
        assert browser.in_extension("typeof globalThis.paxel") == "object"
        assert any((browser.profile / "NativeMessagingHosts").iterdir())
    finally:
        browser.close()


def test_two_silent_starts_in_a_row_fail(paxel_env: PaxelEnv, tmp_path: Path) -> None:
    env = {**paxel_env.env, "REAL_BROWSER": CHROMIUM}
    browser = Chromium(paxel_env.root / "chromium-0", env, command=str(freezing(tmp_path)))
    try:
        notes: list[str] = []
        with pytest.raises(TimeoutError, match="no CDP message"):
            answering(browser, notes.append, first=1.0, second=1.0)
        assert len(notes) == 1 and browser.attempts == 2
    finally:
        browser.close()
    assert browser.process.returncode is not None, "closed by PID although frozen"



def test_a_firefox_that_never_answers_is_restarted_once_and_two_in_a_row_fail(
        paxel_env: PaxelEnv, tmp_path: Path) -> None:
    env = {**paxel_env.env, "REAL_BROWSER": FIREFOX, "FREEZE_MARK": str(tmp_path / "frozen-once")}
    root = paxel_env.root / "firefox-0"
    browser = Firefox(root, env, command=str(freezing(tmp_path)))
    try:
        frozen = browser.process.pid
        notes: list[str] = []
        browser_firefox.answering(browser, notes.append, first=2.0)
        assert browser.process.pid != frozen and browser.attempts == 2
        assert len(notes) == 1 and f"frozen before becoming the browser: pid {frozen}" in notes[0]
        assert "frozen before" in (root / "firefox-attempt-1.log").read_text()
        assert browser.install_addon() == browser_firefox.ADDON_ID, "a whole Firefox the second time"
    finally:
        browser.close()
    always = Firefox(paxel_env.root / "firefox-1", {**env, "FREEZE_MARK": ""},
                     command=str(freezing(tmp_path)))
    try:
        with pytest.raises(TimeoutError, match="no Marionette port"):
            browser_firefox.answering(always, notes.append, first=1.0, second=1.0)
        assert always.attempts == 2
    finally:
        always.close()
