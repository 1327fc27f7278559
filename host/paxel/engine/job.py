"""One download job: the restart loop around start → workers + coordinator → finish, and the
pause / cancel surface. `Download.run()` blocks on the calling (job) thread; pause(), cancel()
and set_max_speed() may come from any thread.

An attempt ends in a Result, or in one of: RangesUntrusted (the next attempt uses one plain
connection), FileChanged (the next attempt starts clean), Stop (pause/cancel), a PaxelError.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from paxel import resume, storage
from paxel.checksum import parse_checksum
from paxel.engine import coordinator, finish, start
from paxel.engine.connection import Worker
from paxel.engine.options import MAX_CONNECTIONS, MAX_RESTARTS, DownloadOptions, Progress, Result
from paxel.engine.pump import CHECKPOINT_BYTES
from paxel.engine.shared import AlreadyComplete, Shared, Stop, Transport
from paxel.engine.stream import stream_unknown
from paxel.errors import Cancelled, PaxelError, ServerMisbehaved, UsageError
from paxel.probe import FileChanged, RangesUntrusted
from paxel.segments import Segment, SegmentTable
from paxel.transport import check_url

HOST_WAIT = 0.1  # seconds between looks for a free connection to a host at its cap

BACKGROUND_PREALLOCATE = 16 << 20  # reserve larger files while downloading (see _preallocate)


class Download:
    """A single download; `run()` blocks, `pause()`/`cancel()` may come from any thread."""

    def __init__(self, options: DownloadOptions, on_progress: Callable[[Progress], None] | None = None,
                 progress_interval: float = 0.25) -> None:
        self.options = options
        self._s = Shared(options, on_progress, progress_interval)

    # ---- public surface ------------------------------------------------------------------

    def pause(self) -> None:
        self._s.request_stop("pause")

    def cancel(self) -> None:
        self._s.request_stop("cancel")

    def set_max_speed(self, rate: int | None) -> None:
        """This download's own limit from now on (None: unlimited); a shared bucket still applies."""
        if rate is not None and rate <= 0:
            raise UsageError("max_speed must be positive")
        self._s.limit.set_rate(rate)

    @property
    def progress(self) -> Progress:
        return self._s.progress()

    def run(self) -> Result:
        """Download to the end; returns Result(paused=True) after pause(); raises PaxelError
        (whose `part_path` names the `.part` left behind, if any)."""
        try:
            try:
                return self._run()
            finally:
                unused = self._s.handed_reply()   # refused before its first request: not leaked
                if unused is not None:
                    unused.reply.close()
        except Cancelled:
            self._s.set_state("cancelled")
            raise
        except PaxelError as exc:
            self._s.set_state("failed")
            exc.part_path = self._leftover_part()
            raise
        except Exception as exc:  # a bug must still leave a clear state and message behind
            self._s.set_state("failed")
            error = PaxelError(f"internal error: {exc!r}")
            error.part_path = self._leftover_part()
            raise error from exc

    # ---- the restart loop ------------------------------------------------------------------

    def _run(self) -> Result:
        s, opts = self._s, self.options
        check_url(opts.url)
        if not 1 <= opts.connections <= MAX_CONNECTIONS:
            raise UsageError(f"connections must be 1..{MAX_CONNECTIONS}, not {opts.connections}")
        if opts.max_speed is not None and opts.max_speed <= 0:
            raise UsageError("max_speed must be positive")
        try:
            expected = parse_checksum(opts.checksum) if opts.checksum else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            try:
                for _ in range(MAX_RESTARTS + 1):
                    try:
                        return self._attempt(expected)
                    except RangesUntrusted as exc:
                        s.say(f"{exc}; falling back to one plain connection")
                        s.no_ranges = True
                    except FileChanged as exc:
                        s.say(f"{exc}; restarting from scratch")
                    self._reset_for_restart()
            except Stop:
                return self._stopped()
            start.discard_part(s)  # bytes of several versions: nothing worth keeping
            raise ServerMisbehaved("the server kept changing the file or its ranges; giving up")
        finally:
            self._release_part()
            if s.folder is not None:
                s.folder.close()
                s.folder = None

    def _attempt(self, expected: tuple[str, str] | None) -> Result:
        s = self._s
        main = s.transport()
        try:
            try:
                plan = start.start(s, main)
            except AlreadyComplete as done:
                result = finish.already_complete(s, done.path, done.state, expected)
                s.emit()
                return result
            part = s.part
            assert part is not None
            if plan.probe.size is None:
                probe = stream_unknown(s, main, plan.reply, part)
            else:
                self._segmented(main, plan, part)
                probe = plan.probe
            result = finish.finish(s, part, probe, expected)
            self._release_part()
            s.emit()
            return result
        finally:
            main.close()

    def _segmented(self, main: Transport, plan: start.Plan, part: storage.PartFile) -> None:
        """Plan the segments, start the workers, coordinate until every byte is written."""
        s, opts, probe, state, reply = self._s, self.options, plan.probe, plan.state, plan.reply
        assert probe.size is not None
        size = probe.size
        ranged = probe.ranges and not s.no_ranges
        if state is not None:
            table = SegmentTable(size, [Segment.fresh(a, b, d) for a, b, d in state.ranges])
            s.say(f"resuming: {state.done} of {size} bytes already on disk")
        else:
            parts = min(opts.connections, max(1, size // opts.min_split)) if ranged else 1
            table = SegmentTable.plan(size, parts)
        threads: list[threading.Thread] = []
        slots = 0
        try:
            if state is None:
                part.truncate(0)
            with s.lock:
                s.table = table
            # (one stream without ranges, or a file of at most 1 MiB, keeps no state: its
            # workers need not wake the coordinator for checkpoints)
            s.checkpointing = ranged and size > CHECKPOINT_BYTES
            coordinator.checkpoint(s, part, probe)
            if size > BACKGROUND_PREALLOCATE:
                threads.append(threading.Thread(target=self._preallocate, name="paxel-preallocate",
                                                args=(part, size), daemon=True))
            else:
                part.preallocate(size)
            # a resumed file may have one range left: the other connections split it
            left = size - table.written
            wanted = min(opts.connections, max(len(table.segments), left // opts.min_split)) if ranged else 1
            if opts.host_slots is not None:
                slots = opts.host_slots.acquire(probe.url, wanted, at_least=0)
                if not slots:  # a redirect brought it to a host at its cap: none until one is free
                    if reply is not None:
                        reply.close()
                        reply = None
                    slots = self._wait_for_host(probe.url, wanted)
                wanted = slots
            s.host_held = slots
            first_seg = None
            if reply is not None:
                first_seg = next(seg for seg in table.segments if seg.pos == probe.first)
                first_seg.owner = 0
                first_seg.requested = min(first_seg.end, reply.body_end or first_seg.end)
                s.seg_started[0] = (time.monotonic(), first_seg.written)
            # a tiny file is all in the first reply: no thread, no coordinator round trips
            inline = reply is not None and wanted == 1 and size <= CHECKPOINT_BYTES
            # Thread.start() waits until the new thread runs; a worker that went straight on to
            # build its transport and request would hold the GIL meanwhile, so each start would
            # wait for the previous worker's request (~3 ms each, far more on a loaded machine).
            # The new workers wait at a gate until all have started, then go together.
            gate = threading.Event()
            workers = [Worker(s, 0, part, main, first_seg, reply),
                       *(Worker(s, wid, part, gate=gate) for wid in range(1, wanted))]
            threads.extend(threading.Thread(target=w.run, name=f"paxel-worker-{w.wid}", daemon=True)
                           for w in workers[1 if inline else 0:])
            s.live = wanted
            try:
                for t in threads:
                    t.start()
            finally:
                gate.set()
        except BaseException:
            if not any(t.ident for t in threads) and reply is not None:  # nobody else cleans up
                reply.close()
            if slots and opts.host_slots is not None:
                opts.host_slots.release(probe.url, slots)
            s.host_held = 0
            raise
        try:
            if inline:
                workers[0].run()
            coordinator.coordinate(s, part, probe, threads)
        finally:   # what it still holds: connections ended for a lowered cap gave theirs back
            with s.lock:
                held, s.host_held = s.host_held, 0
            if held and opts.host_slots is not None:
                opts.host_slots.release(probe.url, held)

    def _wait_for_host(self, url: str, wanted: int) -> int:
        """Slots for `url`'s host once some are free (Stop meanwhile on pause or cancel). The
        service gives a download connections to its link's host only; its first request may have
        been redirected to a host other downloads already use up to `max_connections_per_host`."""
        slots = self.options.host_slots
        assert slots is not None
        self._s.say(f"{slots.host(url)} has all its connections in use; waiting for one")
        while not (granted := slots.acquire(url, wanted, at_least=0)):
            if self._s.stop.wait(HOST_WAIT):
                raise Stop
        return granted

    def _preallocate(self, part: storage.PartFile, size: int) -> None:
        """Reserve the whole file while the first bytes already arrive (on tmpfs reserving means
        zeroing memory, which would otherwise delay the start); a full disk stops everything."""
        try:
            part.preallocate(size)
        except Exception as exc:
            self._s.fail(exc)

    # ---- pause, cancel, restart ------------------------------------------------------------

    def _stopped(self) -> Result:
        """After pause(): keep `.part` + state and report; after cancel(): remove both."""
        s = self._s
        path = s.path
        if s.stop_reason == "cancel":
            start.discard_part(s)
            if path is not None:
                s.at(path).remove_quietly(resume.state_path(path))
            raise Cancelled(f"download of {self.options.url} cancelled")
        s.set_state("paused")
        s.emit()
        return Result(path or Path(), s.progress().done, True, None)

    def _reset_for_restart(self) -> None:
        """Forget the failed attempt; the stop that ended its workers was ours, not the user's."""
        s = self._s
        with s.lock:
            if s.stop_reason is not None:
                raise Stop
            s.stop.clear()
            s.table, s.probe, s.fatal = None, None, None
            s.state = "probing"
            s.streamed = s.furthest = s.restarts = 0
            s.replies.clear()
            s.transports.clear()   # (each was closed with its worker or attempt)
            s.seg_started.clear()
            s.replaced.clear()
        if s.path is not None:
            s.at(s.path).remove_quietly(resume.state_path(s.path))
            if self.options.output is None:  # the name is chosen afresh (the server's may change)
                start.discard_part(s)
                with s.lock:
                    s.path = None

    def _release_part(self) -> None:
        """Unlock the `.part` (closing it). One this run created with no resume state beside it
        goes away too: nothing in it would ever be trusted (a file of at most 1 MiB, a stream
        without ranges), and left behind it would only take the name from the next run (a
        `.part` without its state may be another program's, so it is never taken over)."""
        s = self._s
        part, s.part = s.part, None
        if part is None:
            return
        try:
            state = resume.state_of_part(part.path)
            if part.created and not part.folder.lexists(state):
                part.discard()
        finally:
            part.close()

    def _leftover_part(self) -> Path | None:
        """The `.part` a failed run left behind (for whoever removes the download), if any."""
        path = self._s.path
        if path is None:
            return None
        part = resume.part_path(path)
        return part if os.path.lexists(part) and not part.is_symlink() else None


def download(url: str, **options: object) -> Path:
    """Convenience: download `url` with DownloadOptions(url, **options) and return the path."""
    result = Download(DownloadOptions(url, **options)).run()  # type: ignore[arg-type]
    if result.paused:  # nobody can pause this job, so this would be a bug: never return a .part
        raise PaxelError(f"download of {url} stopped before the end")
    return result.path
