"""The one object a download's threads share (plus the transport protocols, re-exported).

Threads: the job thread (`Download.run`) runs the start, then the coordinator loop, then the
finish; each connection worker is a thread of its own. They share exactly one `Shared`.

Locking rules (one lock, `Shared.lock`):
- It guards every mutable field below marked *locked*, the SegmentTable and every Segment in it.
- It is never held across network or disk I/O, a sleep, or a progress callback: take it, read or
  change a few fields, let go.
- `stop` and `wake` are Events (thread-safe by themselves): `stop` set means every worker ends
  as soon as it can; `wake` nudges the coordinator early (a checkpoint is due, a worker ended).
- Fields marked *job* are only touched by the job thread, or between attempts when no worker
  runs (`no_ranges`, `part`, `state_saved`); *coordinator* fields only by the thread emitting
  progress (the job thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from paxel import resume, storage
from paxel.engine.options import DownloadOptions, FirstReply, Progress
from paxel.errors import NetworkError, PaxelError
from paxel.folder import Folder
from paxel.probe import ProbeResult
from paxel.ratelimit import SpeedLimit
from paxel.segments import SegmentTable
from paxel.transport import Reply, Transport

__all__ = ["AlreadyComplete", "Reply", "RetryableStatus", "Shared", "Stop", "TooSlow", "Transport", "log"]

log = logging.getLogger("paxel.engine")


class Stop(Exception):
    """Pause or cancel was requested (or another thread failed): unwinds a worker quietly."""


class RetryableStatus(Exception):
    """A retryable HTTP status (5xx, 429, ...) with the server's Retry-After."""

    def __init__(self, message: str, status: int, retry_after: float | None) -> None:
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


class TooSlow(NetworkError):
    """A connection stayed below the speed floor (paxel.lowspeed): its next try goes out on a
    new TCP connection."""


class AlreadyComplete(Exception):
    """The start found the download already finished at `path` by an earlier run that was
    killed between its final rename and the removal of its resume `state`."""

    def __init__(self, path: Path, state: resume.ResumeState) -> None:
        super().__init__(f"{path} is already complete")
        self.path, self.state = path, state


class Shared:
    """State of one download that its threads share (see the module docstring for the rules)."""

    def __init__(self, options: DownloadOptions, on_progress: Callable[[Progress], None] | None,
                 progress_interval: float) -> None:
        self.options = options
        self.on_progress = on_progress
        self.interval = progress_interval
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stop = threading.Event()
        # locked
        self.stop_reason: str | None = None
        self.state = "probing"
        self.note: str | None = None
        self.retry: tuple[int, float] | None = None  # see Progress.retry
        self.path: Path | None = None
        self.probe: ProbeResult | None = None
        self.table: SegmentTable | None = None
        self.streamed = 0                      # bytes written when the size is unknown
        self.replies: dict[int, Reply] = {}    # worker -> its open reply (to abort it)
        self.transports: dict[int, Transport] = {}   # worker -> its transport (to hang up a
                                                     # request still waiting for its answer)
        self.seg_started: dict[int, tuple[float, int]] = {}   # worker -> (since, written then)
        self.finished_rates: list[float] = []                 # speeds of recently completed segments
        self.replaced: set[int] = set()        # workers whose next request goes on a new connection
        self.shed: set[int] = set()            # workers told to end: the host's cap was lowered
        self.host_held = 0                     # HostSlots this download holds (job._segmented)
        self.pacing: dict[int, float] = {}     # worker -> since when it waits on the speed limit
                                               # (that time is moved out of its seg_started)
        self.fatal: PaxelError | None = None
        self.live = 0
        self.furthest = 0      # without ranges: the most bytes any try from byte 0 reached
        self.restarts = 0      # without ranges: tries that started over from byte 0
        # a hint, written without the lock by any worker: the shortest time a range request took
        # to bring its headers back (a tail steal must save more than a request costs)
        self.latency = float("inf")
        # job
        self.no_ranges = False
        self.part: storage.PartFile | None = None   # claimed (locked) `.part` while we run
        self.folder: Folder | None = None           # the download's folder, held (paxel.folder)
        self.state_saved = False                    # a resume-state file was written
        self.checkpointing = False                  # this attempt keeps a resume state at all
        # coordinator
        self.samples: list[tuple[float, int]] = []
        self.speed = 0.0
        # thread-safe by themselves
        self.limit = SpeedLimit(options.max_speed, options.shared_limit)
        self._handed: FirstReply | None = options.first_reply   # taken by the first probe only

    def handed_reply(self) -> FirstReply | None:
        """The caller's open first reply (DownloadOptions.first_reply), once; None after."""
        with self.lock:
            reply, self._handed = self._handed, None
        return reply

    def transport(self, wid: int = 0) -> Transport:
        """A new transport for worker `wid` (0: the job's own, which worker 0 shares), known to
        `request_stop`: one made after a stop (or a shed) is hung up before its first request."""
        o = self.options
        if o.transport_factory is not None:
            made = o.transport_factory(o)
        else:
            from paxel.transport import transport_for

            made = transport_for(o.url, o.headers, o.cookies, o.proxy, o.timeout,
                                 header_deadline=o.header_deadline)
        with self.lock:
            self.transports[wid] = made
            stopped = self.stop.is_set() or wid in self.shed
        if stopped:
            made.abort()
        return made

    def hold_folder(self, path: Path) -> Folder:
        """The held folder at `path` (opened once per run: job only)."""
        if self.folder is None or self.folder.path != path:
            if self.folder is not None:
                self.folder.close()
            self.folder = Folder.hold(path)
        return self.folder

    def at(self, path: Path) -> Folder:
        """Where names beside `path` resolve: the held folder, or by name."""
        folder = self.folder
        return folder if folder is not None and folder.path == path.parent else Folder(path.parent)

    # -- stopping -------------------------------------------------------------------------------

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Stop

    def request_stop(self, reason: str | None) -> None:
        """Stop every thread; `reason` "pause"/"cancel" is the user's, None an internal stop."""
        with self.lock:
            if reason is not None and self.stop_reason is None:
                self.stop_reason = reason
            # set under the lock: a reply or transport registered after this sees the stop
            # (pump checks it before each read, `transport` hangs a new one up)
            self.stop.set()
            replies = list(self.replies.values())
            transports = list(self.transports.values())
        # a request still waiting to connect or for its headers has no reply yet: its socket is
        # shut all the same (paxel.hangup), so nothing waits on a silent server
        for transport in transports:
            transport.abort()
        for reply in replies:
            reply.abort()
        self.wake.set()

    def fail(self, exc: Exception) -> None:
        """A worker thread's error ends the download; the first one is what run() raises."""
        if not isinstance(exc, PaxelError):
            log.error("internal error in a worker", exc_info=exc)
            exc = PaxelError(f"internal error: {exc!r}")
        with self.lock:
            if self.fatal is None:
                self.fatal = exc
        self.request_stop(None)

    # -- reporting ------------------------------------------------------------------------------

    def say(self, note: str, retry: tuple[int, float] | None = None) -> None:
        log.warning("%s", note)
        with self.lock:
            self.note = note
            self.retry = retry or self.retry

    def set_state(self, state: str) -> None:
        with self.lock:
            self.state = state

    def progress(self) -> Progress:
        with self.lock:
            table, probe = self.table, self.probe
            total = table.total if table else (probe.size if probe else None)
            if table is not None:
                # Shown: the bytes received, as the speed counts them (the checkpointed ones lag
                # by up to a checkpoint: "0 B" beside "14 MiB/s"). Once stopped: what a resume
                # keeps, the checkpointed bytes (the resume state never reads this).
                received = self.state not in ("paused", "failed", "cancelled")
                done = total if self.state == "completed" and total is not None else (
                    table.written if received else table.durable)
                segments, active = table.snapshot(), len(table.active())
            else:
                done, segments, active = self.streamed, (), self.live
            remaining = None if total is None else total - done
            eta = remaining / self.speed if remaining is not None and self.speed > 0 else None
            return Progress(self.state, self.options.url, probe.url if probe else None,
                            self.path.name if self.path else None, self.path, total, done,
                            self.speed, eta, segments, active, self.note, self.retry)

    def emit(self, now: float | None = None) -> None:
        """Update the speed (3 s window) and call on_progress; coordinator (job) thread only."""
        now = time.monotonic() if now is None else now
        with self.lock:
            written = self.table.written if self.table else self.streamed
        self.samples.append((now, written))
        while len(self.samples) > 2 and now - self.samples[0][0] > 3.0:
            self.samples.pop(0)
        t0, w0 = self.samples[0]
        if now > t0:
            self.speed = (written - w0) / (now - t0)
        if self.on_progress is not None:
            self.on_progress(self.progress())
