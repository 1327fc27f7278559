"""What a running download is doing right now: connecting, retrying n of m, or transferring.

A detail of the `running` state (docs/protocol.md, "States and details"), derived from the
engine's Progress snapshots, which the scheduler polls 4 times a second (the engine reports
nothing itself while its first request is being retried). Pure: the clock comes in as `now`.

The engine announces each retry in `Progress.retry`: (failed tries in a row of the connection
that retries, Unix time of its next try); a new value is a new retry. The count is the engine's
own: it restarts when a try makes progress, so "try 3 of 6" means what the user fears: the third
try in a row without a byte. (The note's text is for people; nothing here parses it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paxel import engine
from paxel.media.progress import MediaProgress


@dataclass(frozen=True)
class Phase:
    phase: str               # "connecting" | "retrying" | "running" | "muxing" (a stream's last step)
    attempt: int = 0         # the try coming next while retrying (2 = first retry), else 0
    attempts: int = 0        # tries the engine makes before giving up
    retry_at: float | None = None  # Unix time of the next try while retrying
    retry: tuple[int, float] | None = None  # the engine's last retry seen (to tell a new one)
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
    if isinstance(progress, MediaProgress) and progress.muxing:
        return Phase("muxing", 0, attempts, None, progress.retry, progress.done)
    advanced = progress.done > prev.done
    fresh = progress.retry is not None and progress.retry != prev.retry
    if fresh and progress.retry is not None and not (advanced and progress.retry[1] <= now):  # not over yet
        failures, retry_at = progress.retry
        attempt = min(failures + 1, attempts)
        return Phase("retrying", attempt, attempts, retry_at, progress.retry, progress.done)
    if prev.phase == "retrying" and not advanced:
        return Phase("retrying", prev.attempt, attempts, prev.retry_at, progress.retry, progress.done)
    waiting = progress.state == "probing" or (progress.done == 0 and progress.speed <= 0)
    phase = "connecting" if waiting else "running"
    return Phase(phase, 0, attempts, None, progress.retry, progress.done)


__all__ = ["Phase", "next_phase"]
