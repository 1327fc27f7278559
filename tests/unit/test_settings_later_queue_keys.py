"""A later paxel's key inside a queue (`queues.night.max_speed`, were queues to get a speed limit
of their own) is left alone as one at the top of settings.json is (docs/settings.md): it neither
stops this version's service nor is read, and a save keeps it. A near miss of a key a queue has
(`max_concurent`) is still refused, naming the key meant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paxel.errors import UsageError
from paxel.service import settings


def test_a_later_versions_key_in_a_queue_is_left_alone(tmp_path: Path) -> None:
    later = {"max_concurrent": 2, "max_speed": 1048576, "colour": "blue"}
    parsed = settings.from_mapping({"roots": ["/tmp"], "queues": {"night": later}})
    plain = settings.from_mapping({"roots": ["/tmp"], "queues": {"night": {"max_concurrent": 2}}})
    assert parsed.queues == plain.queues
    # and a save of something else keeps it in the file
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"roots": ["/tmp"], "queues": {"night": later}}))
    settings.save({"max_concurrent": 4}, path)
    assert json.loads(path.read_text())["queues"]["night"] == later


@pytest.mark.parametrize("typo", ["max_concurent", "schedul", "Max_concurrent"])
def test_a_near_miss_in_a_queue_is_refused_with_the_key_meant(typo: str) -> None:
    with pytest.raises(UsageError, match=rf"`queues.night.{typo}`.*did you mean"):
        settings.from_mapping({"roots": ["/tmp"], "queues": {"night": {"max_concurrent": 1, typo: 1}}})


def test_a_save_of_the_queue_keeps_them_and_a_rename_carries_them(tmp_path: Path) -> None:
    """The options page and the panel send a queue as they show it (`to_raw`: this version's keys
    only); the later keys in the file stay with the queue, under its new name when renamed."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"roots": ["/tmp"], "queues": {"night": {"max_concurrent": 1, "max_speed": 5},
                                                               "day": {"max_concurrent": 1, "x": 1}}}))
    settings.save({"queues": {"night": {"max_concurrent": 3}, "day": {"max_concurrent": 1}}}, path)
    assert json.loads(path.read_text())["queues"] == {"night": {"max_speed": 5, "max_concurrent": 3},
                                                      "day": {"x": 1, "max_concurrent": 1}}
    # night renamed late; a new queue takes the name night: it has none of them
    settings.save({"queues": {"late": {"max_concurrent": 2}, "night": {"max_concurrent": 1}}}, path,
                  renamed={"night": "late"})
    assert json.loads(path.read_text())["queues"] == {"late": {"max_speed": 5, "max_concurrent": 2},
                                                      "night": {"max_concurrent": 1}}
