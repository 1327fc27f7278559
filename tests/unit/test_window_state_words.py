"""`paxel queue` and `paxel schedule` say a window's state as the panel's overview does: open and
until when, or closed and when it opens, in local time (paxel.commands.schedule.window_state)."""

from __future__ import annotations

from datetime import datetime

from paxel.commands.schedule import window_state


def test_open_until_and_closed_until() -> None:
    saturday_six = datetime(2026, 12, 5, 6).timestamp()
    assert window_state(True, None, saturday_six) == "open until Sat 06:00"
    assert window_state(True, None, None) == "open"  # no window closes it within a week
    assert window_state(False, saturday_six) == "closed, opens Sat 06:00"
    assert window_state(False, None) == "closed, no window within a week"
