"""The job runner: each running download is one engine `Download` on its own thread; this module
starts it, follows its progress, and settles how it ended (completed, failed, paused, held by the
schedule). The queue policy is paxel.service.queues (a `Runner` supplying `_pump`: start what
may start), the user's requests paxel.service.scheduler.

The store is updated at every state change and as soon as the final path is known (the engine
resumes from `<path>.part` when given that path back), so after a crash, even `kill -9`, the
scheduler's `start()` picks everything up again. Every state change goes through the lifecycle
table (`_service`: a step the table refuses is a lost race, logged and skipped).

Events go out through `emit(name, data)`, never while holding the lock (a slow client must not
stall the queue). `completed` comes from the CompletionWatcher once the final file is there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paxel import engine, origin, storage
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.headers import CREDENTIAL_HEADERS
from paxel.protocol import error_view
from paxel.retry import RetryPolicy
from paxel.service import lifecycle, mediarun, queueing, relink
from paxel.service.lifecycle import Action, State, StopReason
from paxel.service.limits import Limits
from paxel.service.phase import Phase, next_phase
from paxel.service.queueing import MAIN
from paxel.service.schedule import local_time
from paxel.service.settings import Settings
from paxel.service.store import Record, Store
from paxel.service.view import view
from paxel.watcher import CompletionWatcher

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], None]
Views = list[dict[str, Any]]
PROGRESS_INTERVAL = 0.25  # at most 4 progress events a second
PERSIST_INTERVAL = 1.0
RETRY_ATTEMPTS = RetryPolicy().attempts  # the engine's default policy: what "try 2 of 6" counts to
SCHEDULE_INTERVAL = 1.0  # seconds between readings of the schedule while nothing runs


@dataclass
class Handed:
    """A take's open first reply (probing.first_take), given to the download's engine when it
    starts at once; `used` once it was."""

    first: engine.FirstReply
    used: bool = False


@dataclass
class Job:
    download: mediarun.Runner  # the engine's Download, or a stream's media job
    thread: threading.Thread
    progress: engine.Progress | None = None
    stop_reason: StopReason | Action | None = None  # why we stopped it (Action.REMOVE: removed)
    persisted_at: float = 0.0
    watched: Path | None = None  # the final path the watcher expects for this job
    phase: Phase | None = None  # connecting / retrying n of m / running, as last announced
    host_grant: tuple[str, int] = ("", 0)  # (url, connections) taken from the per-host budget
    queue: str = MAIN  # the queue whose limit it counts against
    forced: bool = False  # "start now": past its queue's limit, and the schedule does not hold it


@dataclass
class _Completion:
    engine_done: set[str] = field(default_factory=set)
    file_seen: set[Path] = field(default_factory=set)


def credentials_dropped(record: Record) -> dict[str, Any]:
    """The store update that forgets a download's cookies and credential headers (done, cancelled)."""
    headers = {k: v for k, v in record.headers.items() if k.lower() not in CREDENTIAL_HEADERS}
    return {"cookies": (), "headers": headers}


class Runner:
    def __init__(self, store: Store, settings: Settings, emit: Emit,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._settings = settings
        self._emit = emit
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._completion = _Completion()
        self.relinks = relink.Relinks()  # expired links waiting for a new one
        self._handed: dict[str, Handed] = {}   # a take's open first reply, for the download's start
        # the wall clock (it counts through a suspend); tests pass one that jumps
        self.limits = Limits(settings.max_speed, settings.max_connections_per_host, settings.schedule, clock)
        self._open = self.limits.check()
        self._opens = self._queue_windows()  # per queue: its own windows, else the global ones
        self._stopping = False
        self._wake = threading.Event()
        self._watcher = CompletionWatcher(self._on_file_completed, self._on_file_missing)
        self._ticker = threading.Thread(target=self._tick, name="paxel-progress", daemon=True)

    def _pump(self) -> None:
        """Start what may start now (the queue policy: paxel.service.scheduler)."""
        raise NotImplementedError

    def _get(self, download_id: str) -> Record:
        record = self._store.get(download_id)
        if record is None:
            raise ProtocolError(f"no download {download_id}", code=ErrorCode.NOT_FOUND)
        return record

    def _service(self, record: Record, action: Action, **changes: Any) -> bool:
        """The service's own step: False (logged, nothing stored) when the table does not allow it
        from where the download is now (a user's action got there first)."""
        step = lifecycle.transition(action)
        if not lifecycle.allowed(action, record.state) or not isinstance(step.target, State):
            log.info("%s of %s skipped: it is %s", action, record.id, record.state)
            return False
        self._store.update(record.id, state=step.target, stop_reason=step.reason, **changes)
        return True

    @staticmethod
    def _watch(action: Callable[[Path], None], path: Path) -> None:
        """A watch that cannot be set (folder gone, inotify limit) costs the event, not the download."""
        try:
            action(path)
        except (PaxelError, OSError) as exc:
            log.warning("cannot watch %s: %s", path, exc)

    def _progress_of(self, download_id: str) -> engine.Progress | None:
        job = self._jobs.get(download_id)
        return job.progress if job else None

    def _phase_of(self, download_id: str) -> Phase | None:
        job = self._jobs.get(download_id)
        return job.phase if job else None

    def get(self, download_id: str) -> dict[str, Any]:
        """One download's DownloadView (NOT_FOUND when there is none)."""
        with self._lock:
            record = self._get(download_id)
            return view(record, self._progress_of(download_id), self._phase_of(download_id),
                        **self._details(record))

    def _details(self, record: Record) -> dict[str, Any]:
        """A DownloadView's queue details (`queue_position`, `waiting`): the scheduler's."""
        return {}

    def _announce(self, event: str, download_id: str) -> dict[str, Any]:
        current = self.get(download_id)
        self._emit(event, {"download": current})
        return current

    def _queue_windows(self) -> dict[str, bool]:
        """Which queues may start downloads now (paxel.service.queueing.open_queues)."""
        wall = local_time(self.limits.clock(), self.limits.zone)
        return queueing.open_queues(wall, self.limits.timetable, self._settings.queue_schedules,
                                    self._settings.queue_limits)

    def _recheck(self) -> None:
        """Read the windows anew: hold what runs in a queue whose window just closed, start
        what may start in one that just opened."""
        self._open = self.limits.check()
        was, self._opens = self._opens, self._queue_windows()
        closed = {q for q, now in self._opens.items() if not now and was.get(q, True)}
        if closed:
            self._hold(closed)
        if any(now and not was.get(q, False) for q, now in self._opens.items()):
            self._pump()

    def _hold(self, queues: set[str] | None = None) -> None:
        """A schedule window closed (for `queues`; None: all): their running downloads go back
        to the queue (the engine keeps the .part; they continue when a window opens)."""
        with self._lock:
            limits = self._settings.queue_limits
            for job in self._jobs.values():
                if queues is not None and queueing.home(job.queue, limits) not in queues:
                    continue
                if job.stop_reason is None and not job.forced:
                    job.stop_reason = StopReason.SCHEDULE
                    job.download.pause()

    def _start(self, record: Record, connections: int, queue: str = MAIN, forced: bool = False) -> None:
        handed = self._handed.pop(record.id, None)
        if handed is not None:
            handed.used = True
        options = engine.DownloadOptions(
            url=record.url,
            folder=Path(record.folder),
            filename=record.filename,
            output=Path(record.path) if record.path else None,
            connections=connections,
            headers=record.headers,
            cookies=record.cookies,
            checksum=record.checksum,
            max_speed=record.max_speed,
            shared_limit=self.limits.bucket,
            host_slots=self.limits.slots,
            replaces_url=relink.replaced_url(record),  # the .part came from an earlier link
            first_reply=handed.first if handed is not None else None,  # the take's own request
        )
        download = mediarun.job_for(record.media, options, lambda p: self._on_progress(record.id, p),
                                    PROGRESS_INTERVAL)
        thread = threading.Thread(target=self._run, args=(record.id,), name=f"paxel-{record.id}", daemon=True)
        self._jobs[record.id] = Job(download, thread, host_grant=(record.url, connections), queue=queue,
                                    forced=forced)
        self._service(record, Action.START)
        self._wake.set()
        thread.start()

    def _run(self, download_id: str) -> None:
        job = self._jobs[download_id]
        try:
            result = job.download.run()
        except PaxelError as exc:
            self._finish(download_id, job, None, exc)
        except Exception as exc:  # a bug in the engine must not kill the service
            log.exception("download %s crashed", download_id)
            self._finish(download_id, job, None, PaxelError(f"internal error: {exc!r}"))
        else:
            taken = self.relinks.taken(download_id)
            unlike = None if result.paused else relink.unlike_take(result.size, taken)
            if unlike is not None:   # not the file the browser let go of: never "completed"
                storage.remove_quietly(result.path)   # paxel's own output (the engine never overwrites)
                self._finish(download_id, job, None, unlike)
            else:
                self._finish(download_id, job, result, None)
        self._pump()

    def _finish(self, download_id: str, job: Job, result: engine.Result | None,
                error: PaxelError | None) -> None:
        events: list[tuple[str, str]] = []
        with self._lock:
            self._jobs.pop(download_id, None)
            self.limits.hosts.give(*job.host_grant)
            record = self._store.get(download_id)
            if job.stop_reason in (StopReason.CANCEL, Action.REMOVE):
                if result is not None and result.paused:  # the pause won the race: clean up here
                    mediarun.remove_leftovers(result.path)
                return
            if record is None:
                return
            if result is not None and not result.paused:  # done, even if a pause came too late
                origin.mark(result.path, record.final_url or record.url, view(record)["page"])
                self._store.update(download_id, path=str(result.path), filename=result.path.name,
                                   total=result.size, done=result.size, **credentials_dropped(record))
                self._completion.engine_done.add(download_id)
                if result.path in self._completion.file_seen and self._complete(download_id, result.path):
                    events.append(("completed", download_id))
            elif result is not None or job.stop_reason in (StopReason.PAUSE, StopReason.SHUTDOWN,
                                                           StopReason.SCHEDULE):
                # pause() already stored `paused` (and a quick resume() may have queued it again)
                self._store.update(download_id, done=job.progress.done if job.progress else record.done)
                if job.stop_reason == StopReason.SHUTDOWN:
                    self._service(record, Action.REQUEUE)
                elif job.stop_reason == StopReason.SCHEDULE:
                    self._service(record, Action.WAIT)
                    events.append(("changed", download_id))
                elif job.stop_reason is None and self._service(record, Action.STOP):
                    events.append(("paused", download_id))
            else:
                assert error is not None
                log.info("download %s failed: %s", download_id, error.message)
                done = job.progress.done if job.progress else record.done
                taken = self.relinks.taken(download_id) is not None
                step = Action.EXPIRE if relink.expired(error, done, taken) else Action.FAIL
                if self._service(record, step, error=error_view(error), done=done,
                                 finished_at=time.time()):
                    if record.path:
                        self._watcher.forget(Path(record.path))
                    events.append(("failed", download_id))
        for name, ident in events:
            self._announce(name, ident)

    def _complete(self, download_id: str, path: Path) -> bool:
        self._completion.engine_done.discard(download_id)
        self._completion.file_seen.discard(path)
        record = self._store.get(download_id)
        if record is None or not self._service(record, Action.COMPLETE, finished_at=time.time()):
            return False
        log.info("download %s completed: %s", download_id, path)
        return True

    def _on_progress(self, download_id: str, progress: engine.Progress) -> None:
        with self._lock:
            job = self._jobs.get(download_id)
            if job is None:
                return
            job.progress = progress
            now = time.monotonic()
            if progress.path is not None and progress.path != job.watched:
                # A new name (the first, or another after the engine started over): stored at once,
                # since a restarted service hands it back to the engine to resume.
                if job.watched is not None:
                    self._watcher.forget(job.watched)
                job.watched = progress.path
                self._store.update(download_id, path=str(progress.path), filename=progress.path.name,
                                   final_url=progress.final_url, total=progress.total)
                self._watch(self._watcher.expect, progress.path)
            elif now - job.persisted_at >= PERSIST_INTERVAL:
                self._store.update(download_id, done=progress.done, total=progress.total)
            else:
                return
            job.persisted_at = now

    def _on_file_completed(self, path: Path) -> None:
        completed: str | None = None
        with self._lock:
            for download_id in list(self._completion.engine_done):
                record = self._store.get(download_id)
                if record is not None and record.path and Path(record.path) == path:
                    if self._complete(download_id, path):
                        completed = download_id
                    break
            else:
                self._completion.file_seen.add(path)
        if completed:
            self._announce("completed", completed)

    def _on_file_missing(self, path: Path) -> None:
        with self._lock:
            found = [r for r in self._store.with_state(State.COMPLETED)
                     if r.path and Path(r.path) == path and self._service(r, Action.LOSE)]
        for record in found:
            self._announce("missing", record.id)

    def _poll(self) -> tuple[Views, Views]:
        """Views of the running downloads, and of those whose phase changed. The engine is asked
        for its snapshot (outside our lock) rather than waiting for its callback, which it does
        not make while its first request is retried: "connecting" and "retrying 2 of 6" would
        otherwise show as a silent 0 B."""
        with self._lock:
            jobs = list(self._jobs.items())
        polled = [(i, j, j.download.progress) for i, j in jobs]
        changed: Views = []
        active: Views = []
        with self._lock:
            for download_id, job, progress in polled:
                record = self._store.get(download_id)
                if self._jobs.get(download_id) is not job or record is None:
                    continue
                before = job.phase
                if before is None:  # its start is news too, even when the first poll sees a retry
                    before = Phase("connecting", attempts=RETRY_ATTEMPTS, done=progress.done)
                    changed.append(view(record, progress, before))
                job.phase = next_phase(before, progress, time.time(), RETRY_ATTEMPTS)
                current = view(record, progress, job.phase)
                if before.key() != job.phase.key():
                    changed.append(current)
                active.append(current)
        return changed, active

    def _tick(self) -> None:
        """Progress events, throttled; sleeps on an event while nothing runs (idle costs nothing)."""
        next_progress = 0.0
        while not self._stopping:
            self._recheck()  # asked anew every round: survives a suspend
            now = time.monotonic()
            if now >= next_progress:
                next_progress = now + PROGRESS_INTERVAL
                changed, active = self._poll()
                for current in changed:
                    self._emit("changed", {"download": current})
                if active:
                    self._emit("progress", {"downloads": active})
            if self._jobs:
                time.sleep(max(0.0, next_progress - time.monotonic()))
            else:
                scheduled = self.limits.scheduled or self._settings.queue_schedules
                self._wake.wait(SCHEDULE_INTERVAL if scheduled else None)
                self._wake.clear()

