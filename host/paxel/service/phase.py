"""What a running download is doing right now: connecting, retrying n of m, or transferring.

A detail of the `running` state (docs/protocol.md, "States and details"), derived from the
engine's Progress snapshots, which the scheduler polls 4 times a second (the engine reports
nothing itself while its first request is being retried). Pure: the clock comes in as `now`.

The engine says a retry only as a note ("...; retrying in 0.7s"); each new such note counts one
failed try. The count restarts when bytes arrive, as the engine's own retry budget does (a
try that made progress resets its failures), so "try 3 of 6" means what the user fears: the
third try in a row without a byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paxel import engine

RETRY_NOTE = re.compile(r"; retrying in ([0-9]+(?:\.[0-9]+)?) ?s$")


@dataclass(frozen=True)
class Phase:
    phase: str               # "connecting" | "retrying" | "running"
    attempt: int = 0         # the try coming next while retrying (2 = first retry), else 0
    attempts: int = 0        # tries the engine makes before giving up
    retry_at: float | None = None  # Unix time of the next try while retrying
    note: str | None = None  # the engine's last note (to tell a new one from the same)
    done: int = 0            # bytes written when last seen (to tell progress)

    def key(self) -> tuple[str, int]:
        """What a client shows: a change of it is worth an event."""
        return (self.phase, self.attempt)

    def fields(self) -> dict[str, Any]:
        """The DownloadView detail fields (docs/protocol.md)."""
        return {"phase": self.phase, "attempt": self.attempt, "attempts": self.attempts,
                "retry_at": self.retry_at}


def next_phase(previous: Phase | None, progress: engine.Progress, now: float, attempts: int) -> Phase:
    """The phase after `previous` given a new engine snapshot taken at Unix time `now`."""
    prev = previous or Phase("connecting", attempts=attempts, done=progress.done)
    advanced = progress.done > prev.done
    match = RETRY_NOTE.search(progress.note or "")
    if match and progress.note != prev.note:
        failures = 1 if advanced or prev.phase != "retrying" else prev.attempt
        return Phase("retrying", min(failures + 1, attempts), attempts, now + float(match.group(1)),
                     progress.note, progress.done)
    if prev.phase == "retrying" and not advanced:
        return Phase("retrying", prev.attempt, attempts, prev.retry_at, progress.note, progress.done)
    waiting = progress.state == "probing" or (progress.done == 0 and progress.speed <= 0)
    phase = "connecting" if waiting else "running"
    return Phase(phase, 0, attempts, None, progress.note, progress.done)


__all__ = ["RETRY_NOTE", "Phase", "next_phase"]
