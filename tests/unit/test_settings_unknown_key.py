"""A misspelt key in settings.json is an error naming it, not a setting silently left at its
default: `"max_concurent": 1` ran three downloads at once with no word (the values of known keys
were already checked; their names were not). The service refuses to start on it, as on a bad
value, and says which key was meant. A key like none this version reads is left alone (a later
version's, kept in the file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paxel.errors import UsageError
from paxel.service import settings


def test_a_misspelt_key_is_refused_with_the_key_meant() -> None:
    with pytest.raises(UsageError, match=r"`max_concurent`.*max_concurrent"):
        settings.from_mapping({"roots": ["/tmp"], "max_concurent": 1}, "settings.json")


@pytest.mark.parametrize("typo", ["default_conections", "maxspeed", "duplicate", "root", "schedules",
                                  "extension_id", "after_complete"])
def test_every_near_miss_is_refused(typo: str) -> None:
    with pytest.raises(UsageError, match=rf"`{typo}`.*did you mean"):
        settings.from_mapping({"roots": ["/tmp"], typo: 1}, "settings.json")


def test_a_key_unlike_any_known_one_is_left_alone() -> None:
    """A later paxel's key (tests/e2e/test_attack_panel_setup.py keeps `x_future` through a
    Save): not a typo of one this version reads, so it neither stops the service nor is read."""
    assert settings.from_mapping({"roots": ["/tmp"], "x_future": {"kept": [1]}, "colour": "blue"}) == \
        settings.from_mapping({"roots": ["/tmp"]})


def test_every_key_to_raw_writes_and_after_completion_are_known() -> None:
    written = settings.to_raw(settings.from_mapping({"roots": ["/tmp"]}))
    settings.from_mapping({**written, "after_completion": {"action": "none"}})


def test_the_known_keys_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.MULTILINE)) == settings.KEYS
