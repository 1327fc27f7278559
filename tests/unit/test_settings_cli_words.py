"""`paxel settings set` on a key it cannot change answered in the protocol's words ("field `set`
cannot change 'after_completion'") with no way forward; it now says where that key is changed,
or which key was meant. `paxel settings KEY` shows one key."""

from __future__ import annotations

from pathlib import Path

from paxel.commands.settingscmd import not_settable
from paxel.schema import SETTABLE


def test_after_completion_points_to_paxel_after() -> None:
    assert "paxel after" in (not_settable("after_completion", Path("/c/settings.json")) or "")


def test_keys_read_at_start_point_to_the_file_and_a_restart() -> None:
    for key in ("roots", "extension_ids"):
        said = not_settable(key, Path("/c/settings.json")) or ""
        assert "/c/settings.json" in said and "paxel service stop" in said


def test_a_misspelt_key_names_the_one_meant() -> None:
    assert "max_concurrent" in (not_settable("max_concurent", Path("/x")) or "")


def test_every_settable_key_passes() -> None:
    assert all(not_settable(key, Path("/x")) is None for key in SETTABLE)
