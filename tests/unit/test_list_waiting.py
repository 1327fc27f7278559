"""`paxel list` says what a queued download waits for: a user of the CLI alone saw
"queued  ?  0 B" forever for a duplicate held for an answer (`duplicates: ask`) or a closed
schedule window, with no hint why nor how to answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paxel.commands.queue import _line


def view(**changes: Any) -> dict[str, Any]:
    return {"download_id": "d1", "state": "queued", "total": None, "done": 0, "filename": "a.iso",
            "url": "https://example.org/a.iso", "queue": "main", "queue_position": 2, "waiting": None,
            "duplicate": None, **changes}  # fmt: skip


def test_a_held_duplicate_says_how_to_answer() -> None:
    line = _line(view(waiting={"for": "duplicate"}, queue_position=1,
                      duplicate={"kind": "done", "of": "d0", "path": "/x/a.iso",
                                 "why": "name, size and ETag agree", "validated": True}))
    assert line.startswith("d1  queued ")
    assert "same file as d0 (name, size and ETag agree)" in line
    assert "paxel queue answer d1 rename|skip|resume" in line


def test_a_schedule_wait_says_when() -> None:
    opens = datetime(2026, 12, 2, 3, 0).timestamp()
    line = _line(view(waiting={"for": "schedule", "until": opens}))
    assert line.endswith("waits for its schedule (opens Wed 03:00)"), line
    assert _line(view(waiting={"for": "schedule", "until": None})).endswith(
        "waits for its schedule (no window within a week)")


def test_a_queue_wait_says_its_place() -> None:
    assert _line(view(waiting={"for": "queue"}, queue="night")).endswith("a.iso  (night, #2)")
    running = _line(view(state="running", waiting=None, queue_position=None, total=10, done=5))
    assert running.endswith("a.iso"), running
