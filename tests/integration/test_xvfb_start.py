"""The test X server's start: a real Xvfb frozen at its start (SIGSTOP before it runs) is started
once more, visibly; one that exits (a display already taken) fails at once, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.xvfb import XVFB, Xvfb

FREEZING_ONCE = """#!/bin/sh
if [ ! -e "$0.frozen" ]; then
    : > "$0.frozen"
    echo "frozen before becoming Xvfb: pid $$" >&2
    kill -STOP $$
fi
exec "{xvfb}" "$@"
"""


def test_a_silent_xvfb_is_started_once_more_and_says_why(tmp_path: Path) -> None:
    script = tmp_path / "freezing-xvfb"
    script.write_text(FREEZING_ONCE.format(xvfb=XVFB))
    script.chmod(0o755)
    with Xvfb(timeout=1.0, command=str(script)) as server:
        assert server.retried is not None and "reported no display within 1.0s" in server.retried
        assert "frozen before becoming Xvfb" in server.retried, "the first server's output"
        assert server.display.startswith(":") and server.process.poll() is None


def test_an_xvfb_that_exits_fails_at_once_with_its_words() -> None:
    with Xvfb() as first, pytest.raises(RuntimeError, match="exited 1") as refused:
        Xvfb(number=int(first.display[1:]))
    assert "already running" in str(refused.value), "what Xvfb said"
