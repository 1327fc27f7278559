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


def test_a_week_ahead_has_its_date() -> None:
    """A queue whose only window is on Tuesday mornings, asked on Tuesday at 10:30: it opens in
    a week, which the weekday alone would say as this morning ("opens Tue 08:00")."""
    tuesday = datetime(2026, 12, 1, 10, 30).timestamp()
    next_tuesday = datetime(2026, 12, 8, 8).timestamp()
    assert window_state(False, next_tuesday, now=tuesday) == "closed, opens Tue 2026-12-08 08:00"
    assert window_state(True, None, next_tuesday, now=tuesday) == "open until Tue 2026-12-08 08:00"
    # within the week the weekday is enough
    assert window_state(False, datetime(2026, 12, 7, 8).timestamp(), now=tuesday) == "closed, opens Mon 08:00"
