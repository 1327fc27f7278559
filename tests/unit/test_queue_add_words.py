"""`paxel queue add night 2` when `night` exists changed its limit without a word (a user who
meant a new queue under a name taken lost the old queue's limit); `add` now refuses a taken
name and points to `set`, and `set` refuses a queue that is not there."""

from __future__ import annotations

from paxel.commands.queues import with_queue


def test_add_refuses_a_name_taken_and_set_keeps_its_windows() -> None:
    windows = {"windows": [{"start": "02:00", "stop": "06:00"}]}
    queues = {"night": {"max_concurrent": 1, "schedule": windows}}
    refused = with_queue(queues, "night", 2, creating=True)
    assert isinstance(refused, str) and "paxel queue set night 2" in refused
    assert with_queue(queues, "night", 2, creating=False) == {
        "night": {"max_concurrent": 2, "schedule": windows}}
    assert with_queue(queues, "day", 3, creating=True) == {**queues, "day": {"max_concurrent": 3}}
    missing = with_queue(queues, "day", 3, creating=False)
    assert isinstance(missing, str) and "paxel queue add day 3" in missing
