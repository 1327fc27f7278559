"""Runs the panel page's pure JS helpers' tests (tests/panel/*.test.cjs) with node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent / "panel"


def test_panel_format_helpers() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (tools/apt-packages.txt lists nodejs)")
    done = subprocess.run(
        [node, "--test", str(TESTS)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
