"""When to try again and how long to wait (pure: randomness and attempts are passed in)."""

from __future__ import annotations

from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
PROGRESS_SHARE = 8           # a try must bring 1/8 of what it asked for...
PROGRESS_BYTES = 1 << 20     # ...or 1 MiB, to count as progress


def made_progress(asked: int, got: int) -> bool:
    """Did a failed try bring enough to reset the retry budget?

    A connection dropped at a random point of a request brings on average half of it; a try
    counts as progress when it brought at least 1/PROGRESS_SHARE of what it asked for, or
    PROGRESS_BYTES (a drop after a whole MiB is ordinary on a long request). With random drop
    points only 1 try in 8 falls short, so six such tries in a row (the budget) are ~4e-6 likely,
    while a server that answers every request with a few KiB (an error page as 206, a compressed
    body) is given up on after six tries instead of being retried some hundred times."""
    if got <= 0:
        return False
    return got >= min(PROGRESS_BYTES, max(1, asked // PROGRESS_SHARE))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6          # tries per connection without progress before giving up
    restarts: int = 30         # restarts from byte 0 (no Range support) in all, progress or not
    base: float = 0.5          # first backoff, seconds
    cap: float = 30.0          # longest backoff
    max_retry_after: float = 120.0

    def delay(self, failures: int, jitter: float, retry_after: float | None = None) -> float:
        """Backoff before try number `failures + 1`; `jitter` in [0, 1) spreads the herd.

        A server's Retry-After wins (up to `max_retry_after`) over the exponential schedule.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        full = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return full / 2 + full / 2 * jitter

    def gives_up(self, failures: int) -> bool:
        return failures >= self.attempts


def retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES
