"""The absolute speed floor: a connection that stays below it is replaced (pure: the caller
passes the clock and the byte counts).

The read timeout only fires on silence, and replacing slow connections (segments.slow_owners)
is relative to the others: a lone connection (`-n 1`, a small file, a stream of unknown length)
that trickles a byte every few seconds would otherwise run forever. The rule is curl's
`--speed-limit`/`--speed-time`: fewer than `bytes_per_second` on average over `seconds` and the
connection is given up for a new TCP connection. That try then counts like any failed try
(retry.made_progress): a trickle brings far less than it asked for, so a server that trickles on
every connection exhausts the retry budget and ends in a clear NetworkError.

Defaults: 1 KiB/s over 30 s. Below 1 KiB/s a download of any size worth accelerating does not
finish in a day, and 30 s rides out the stalls of a congested link, a server busy for a moment
or a mobile handover (TCP's own retransmission backoff reaches several seconds). curl and
aria2c leave the rule off by default, and hang on such a server; wget has none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpeedFloor:
    bytes_per_second: int = 1024
    seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.bytes_per_second <= 0 or not self.seconds > 0:
            raise ValueError("a speed floor needs a positive rate and a positive window")

    @property
    def window_bytes(self) -> float:
        return self.bytes_per_second * self.seconds


DEFAULT_FLOOR = SpeedFloor()


class SlowWatch:
    """Watches one connection's bytes against a SpeedFloor.

    A mark (time, bytes) starts each span. Once `seconds` have passed since the mark, the span's
    average decides: below the floor, the connection is too slow; else the mark moves to now.
    Before that, a span that already brought a window's worth (`bytes_per_second * seconds`)
    moves the mark too. So a connection is judged slow only after a span of at least `seconds`
    whose average is below the floor, one at or above the floor never is, and one below it is
    caught at its first read once `seconds` have passed (a read that spans several windows
    cannot hide it). Time the caller spent waiting on its own speed limit is not the server's
    slowness: `waited()` moves the mark forward by it.
    """

    __slots__ = ("_floor", "_mark_bytes", "_mark_time", "total")

    def __init__(self, floor: SpeedFloor, now: float) -> None:
        self._floor = floor
        self._mark_time = now
        self._mark_bytes = 0
        self.total = 0

    def brought(self, now: float, n: int) -> bool:
        """`n` more bytes arrived by `now`; True when the connection is too slow."""
        self.total += n
        got, elapsed = self.total - self._mark_bytes, now - self._mark_time
        if elapsed >= self._floor.seconds:
            if got < self._floor.bytes_per_second * elapsed:
                return True
        elif got < self._floor.window_bytes:
            return False
        self._mark_time, self._mark_bytes = now, self.total
        return False

    def waited(self, seconds: float) -> None:
        """The caller waited this long on its own limiter: not counted against the server."""
        if seconds > 0:
            self._mark_time += seconds

    def describe(self) -> str:
        return f"slower than {self._floor.bytes_per_second} bytes/s for {self._floor.seconds:g} s"
