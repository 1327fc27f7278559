"""`paxel limit --global 4M` while a schedule speed rule holds printed "all downloads: 1.0 MiB/s"
(the rule's, which is what applies now) and nothing else: the user read it as their 4M refused
or misread. The line now says both: what was set and what holds now, and why."""

from __future__ import annotations

from paxel.commands.limit import said

MiB = 1 << 20


def test_a_limit_that_holds_is_said_plainly() -> None:
    assert said("all downloads", 4 * MiB, 4 * MiB) == "all downloads: 4.0 MiB/s"
    assert said("d-1", None, None) == "d-1: no limit"


def test_a_global_limit_a_speed_rule_overrides_says_both() -> None:
    line = said("all downloads", 4 * MiB, 1 * MiB)
    assert line.startswith("all downloads: 4.0 MiB/s set; 1.0 MiB/s now")
    assert "speed rule" in line and "paxel schedule" in line
    assert "no limit now" in said("all downloads", 4 * MiB, None)
    assert said("all downloads", None, 1 * MiB).startswith("all downloads: no limit set; 1.0 MiB/s now")
