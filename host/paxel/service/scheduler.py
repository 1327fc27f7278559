"""The queue: which downloads run (at most `max_concurrent`), and what each user request does.

Every change of state goes through the lifecycle table (paxel.service.lifecycle): a user's
request in `_user` (a request the table refuses is BAD_STATE). Running the engine, following
its progress and settling how a download ended is the job runner's (paxel.service.runner).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from paxel import storage
from paxel.errors import ErrorCode, PaxelError
from paxel.sameness import FileFacts
from paxel.service import lifecycle, mediarun, relink
from paxel.service.lifecycle import Action, State, StopReason
from paxel.service.request import DownloadRequest
from paxel.service.runner import Job, Runner, credentials_dropped
from paxel.service.settings import allowed_folder
from paxel.service.store import Record
from paxel.service.view import view

log = logging.getLogger(__name__)

CANCEL_WAIT = 5.0  # seconds a cancel or remove waits for the engine to delete its files


class Scheduler(Runner):
    """The runner plus the requests and the queue policy (`_pump`)."""

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Resume what was running or queued when the service last stopped (or died)."""
        self._watcher.start()
        for record in self._store.with_state(State.RUNNING):
            self._service(record, Action.RECOVER)
        for record in self._store.with_state(State.COMPLETED):
            if record.path:
                self._watch(self._watcher.track, Path(record.path))
        for record in self._store.with_state(State.QUEUED):
            if record.path:
                self._watch(self._watcher.expect, Path(record.path))
        self._ticker.start()
        self._pump()

    def stop(self, timeout: float = 10.0) -> None:
        """Pause every running download (they resume at the next start) and stop the threads."""
        with self._lock:
            self._stopping = True
            jobs = list(self._jobs.values())
            for job in jobs:
                job.stop_reason = StopReason.SHUTDOWN
                job.download.pause()
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.thread.join(max(0.0, deadline - time.monotonic()))
        self._wake.set()
        self._ticker.join(1.0)
        self._watcher.stop()

    # --- requests --------------------------------------------------------------------------------

    def add(self, request: DownloadRequest) -> dict[str, Any]:
        folder = allowed_folder(request.folder or self._settings.default_folder, self._settings.roots)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PaxelError(f"cannot create {folder}: {exc.strerror}", code=ErrorCode.DISK) from None
        record = self._store.insert(Record(
            id=f"d-{secrets.token_hex(6)}", url=request.url, folder=str(folder),
            connections=request.connections or self._settings.default_connections,
            filename=request.filename, headers=dict(request.headers), cookies=request.cookies,
            checksum=request.checksum, source=request.source,
            media=dict(request.media) if request.media is not None else None,
        ))
        log.info("added %s (%s, %d connections) into %s", record.id, record.url, record.connections, folder)
        self._emit("added", {"download": view(record)})
        self._pump()
        return self.get(record.id)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [view(r, self._progress_of(r.id), self._phase_of(r.id)) for r in self._store.all()]

    def pause(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._get(download_id)
            self._user(record, Action.PAUSE)
            job = self._jobs.get(download_id)
            if job is not None:
                job.stop_reason = StopReason.PAUSE
                job.download.pause()
        return self._announce("paused", download_id)

    def resume(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            self._user(self._get(download_id), Action.RESUME)
        result = self._announce("resumed", download_id)
        self._pump()
        return result

    def retry(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            self._user(self._get(download_id), Action.RETRY, error=None, finished_at=None)
        result = self._announce("resumed", download_id)
        self._pump()
        return result

    def refresh(self, download_id: str) -> dict[str, Any]:
        """Wait for a new link to this download's file (paxel.service.relink)."""
        with self._lock:
            self._user(self._get(download_id), Action.REFRESH)
            self.relinks.wait(download_id)
        return self.get(download_id)

    def attach(self, request: DownloadRequest, new: FileFacts) -> dict[str, Any] | None:
        """Continue the unfinished download `new` is the file of (paxel.sameness) from the
        request's URL, headers and cookies; None when there is none (docs/protocol.md)."""
        with self._lock:
            records = self._store.with_state(*relink.ATTACHABLE)
            found = relink.best(new, ((r, relink.facts_of(r)) for r in records), self.relinks.waiting(),
                                url=request.url)
            if found is None or found.record.id in self._jobs:  # (a pause still winding down)
                return None
            record = found.record
            if not self._service(record, Action.ATTACH, url=request.url, headers=dict(request.headers),
                                 cookies=request.cookies, error=None, finished_at=None):
                return None
            self.relinks.attached(record.id, found.replaces_url)
        log.info("attached %s to %s (%s)", request.url, record.id, found.match.why)
        result = self._announce("resumed", record.id)
        self._pump()
        return result

    def cancel(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._get(download_id)
            lifecycle.move(Action.CANCEL, record.state, download_id)
            job = self._stop_job_or_clean(record, StopReason.CANCEL)
            self._user(record, Action.CANCEL, finished_at=time.time(), **credentials_dropped(record))
        self._wait_cleaned(job)
        result = self._announce("cancelled", download_id)
        self._pump()
        return result

    def remove(self, download_id: str, delete_file: bool = False) -> None:
        with self._lock:
            record = self._get(download_id)
            lifecycle.move(Action.REMOVE, record.state, download_id)
            job = self._stop_job_or_clean(record, Action.REMOVE)
            if delete_file and record.path and record.state in (State.COMPLETED, State.MISSING):
                storage.remove_quietly(Path(record.path))
            self._store.delete(download_id)
            self.relinks.forget(download_id)
        self._wait_cleaned(job)
        self._emit("removed", {"download_id": download_id})
        self._pump()

    def set_limit(self, download_id: str, rate: int | None) -> dict[str, Any]:
        """A download's own speed limit (None: none), stored, and applied at once if it runs."""
        with self._lock:
            self._get(download_id)
            self._store.update(download_id, max_speed=rate)
            job = self._jobs.get(download_id)
            if job is not None:
                job.download.set_max_speed(rate)
        return self._announce("changed", download_id)

    # --- internals -------------------------------------------------------------------------------

    def _user(self, record: Record, action: Action, **changes: Any) -> None:
        """A user's action: through the table or BAD_STATE; the store gets the new state."""
        step = lifecycle.move(action, record.state, record.id)
        if isinstance(step.target, State):
            self._store.update(record.id, state=step.target, stop_reason=step.reason, **changes)

    def _stop_job_or_clean(self, record: Record, reason: StopReason | Action) -> Job | None:
        """Stop the engine (it removes its .part on cancel) or remove what a stopped one left;
        returns the job being stopped (see _wait_cleaned)."""
        job = self._jobs.get(record.id)
        if job is not None:
            job.stop_reason = reason
            job.download.cancel()
        elif record.path and record.state in (State.QUEUED, State.PAUSED, State.FAILED):
            mediarun.remove_leftovers(Path(record.path))
        if record.path and (reason == Action.REMOVE or record.state not in (State.COMPLETED, State.MISSING)):
            self._watcher.forget(Path(record.path))
        return job

    @staticmethod
    def _wait_cleaned(job: Job | None) -> None:
        """Let a cancelled engine delete its .part and state file before the reply says it is
        gone (called without the lock: the job's thread takes it to finish)."""
        if job is not None and job.thread is not threading.current_thread():
            job.thread.join(CANCEL_WAIT)

    def _pump(self) -> None:
        """Start queued downloads, oldest first, while below the concurrency limit."""
        with self._lock:
            if self._stopping or not self._open:  # outside every schedule window: queued waits
                return
            for record in self._store.with_state(State.QUEUED):
                if len(self._jobs) >= self._settings.max_concurrent:
                    break
                if record.id in self._jobs:  # paused a moment ago and still winding down
                    continue
                granted = self.limits.hosts.take(record.url, record.connections)
                if granted:  # else its host is at its cap: it waits, a later one may start
                    self._start(record, granted)
