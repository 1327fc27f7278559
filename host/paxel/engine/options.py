"""The engine's value objects: what a download is asked to do (DownloadOptions), what it reports
while running (Progress) and what it ends with (Result); plus the engine-wide constants.

Plain frozen dataclasses: safe to hand to any thread; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from paxel import deadlines
from paxel.cookies import Cookie
from paxel.lowspeed import DEFAULT_FLOOR, SpeedFloor
from paxel.ratelimit import TokenBucket
from paxel.retry import RetryPolicy

if TYPE_CHECKING:
    from paxel.engine.limits import HostSlots
    from paxel.engine.shared import Reply, Transport

MiB = 1 << 20
MAX_CONNECTIONS = 32
MAX_RESTARTS = 3           # the file changed / ranges broke this often: give up
# the first backoff (0.5 s, doubling) can be shortened: a test of what the retries say
DEFAULT_RETRY = RetryPolicy(base=deadlines.seconds("RETRY_BASE", RetryPolicy.base))


@dataclass(frozen=True)
class FirstReply:
    """An open reply to `GET url` with `Range: bytes=first-last` (no If-Range), made by the
    caller through a transport with the download's headers and cookies."""

    reply: Reply
    first: int
    last: int


@dataclass(frozen=True)
class DownloadOptions:
    url: str
    folder: Path | None = None
    filename: str | None = None
    output: Path | None = None
    connections: int = 8
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cookies: Sequence[Cookie] = ()
    max_speed: int | None = None
    checksum: str | None = None
    proxy: str | None = None
    # additions beyond the published contract
    overwrite: bool = False          # -o onto an existing file replaces it instead of failing
    timeout: float = 30.0            # seconds without a byte before a connection counts as dead
    speed_floor: SpeedFloor | None = DEFAULT_FLOOR   # a connection slower than this for its window
                                     # is replaced (paxel.lowspeed); None: never
    header_deadline: float = 30.0    # seconds for a reply's status line and headers as a whole
                                     # (docs/engine.md, "The header deadline")
    retry: RetryPolicy = DEFAULT_RETRY
    min_split: int = MiB             # never split a range into pieces smaller than this
    # seams for the service (see docs/engine.md, "Seams")
    replaces_url: str | None = None  # an earlier URL of this same download (an expired link was
                                     # refreshed): its unfinished `.part` is continued when the
                                     # server's size and validators still match
    shared_limit: TokenBucket | None = None   # a bucket shared with other downloads (global limit)
    host_slots: HostSlots | None = None       # connections per host, shared by all downloads
    first_reply: FirstReply | None = None   # the caller already made the first request (a
                                    # `take` judged its answer): used once instead of making it,
                                    # when the start asks for just those bytes; else closed unused
                                    # (docs/engine.md, "Seams")
    transport_factory: Callable[[DownloadOptions], Transport] | None = None  # tests: a fake


@dataclass(frozen=True)
class Progress:
    state: str
    url: str
    final_url: str | None
    filename: str | None
    path: Path | None
    total: int | None
    done: int
    speed: float
    eta: float | None
    segments: tuple[tuple[int, int, int], ...]
    connections: int
    note: str | None = None          # last notable event ("server file changed, restarting")
    retry: tuple[int, float] | None = None  # last retry: (failed tries in a row, Unix time of the next)


@dataclass(frozen=True)
class Result:
    path: Path
    size: int
    paused: bool
    sha256: str | None
    renamed_from: Path | None = None  # the name it was meant to have, taken meanwhile by another file
    note: str | None = None           # something the user should hear (e.g. it was already complete)
