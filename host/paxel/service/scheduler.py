"""The user's requests on downloads: add (folder rules, duplicates), pause, resume, retry, cancel,
remove, a duplicate's answer; and what happens after completion (paxel.service.aftercompletion).
Named queues, their order and settings changed live are paxel.service.queues'.

Every change of state goes through the lifecycle table (paxel.service.lifecycle): a user's
request in `_user` (a request the table refuses is BAD_STATE). Running the engine, following
its progress and settling how a download ended is the job runner's (paxel.service.runner).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from paxel import storage
from paxel.engine.options import FirstReply
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.filenames import safe_filename
from paxel.sameness import FileFacts
from paxel.service import aftercompletion, duplicates, lifecycle, mediarun, relink
from paxel.service.lifecycle import Action, State, StopReason
from paxel.service.queueing import MAIN
from paxel.service.queues import Queues
from paxel.service.request import DownloadRequest
from paxel.service.runner import Emit, Handed, Job, credentials_dropped
from paxel.service.settings import Settings, allowed_folder
from paxel.service.store import Record, Store

log = logging.getLogger(__name__)

CANCEL_WAIT = 5.0  # seconds a cancel or remove waits for the engine to delete its files
Opener = Callable[[Mapping[str, Any], str], None]  # Desktop.open(view, "file" | "folder")


class Scheduler(Queues):
    """The runner, the queues (`_pump`, paxel.service.queues) and the user's requests."""

    def __init__(self, store: Store, settings: Settings, emit: Emit,
                 clock: Callable[[], float] = time.time, settings_path: Path | None = None,
                 opener: Opener | None = None) -> None:
        super().__init__(store, settings, emit, clock, settings_path)
        self._opener = opener  # the desktop's open/reveal, for `after_completion`

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Resume what was running or queued when the service last stopped (or died)."""
        self._watcher.start()
        self._store.rehome(set(self._settings.queue_limits), MAIN)  # queues removed from the file
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

    def add(self, request: DownloadRequest, facts: FileFacts | None = None) -> dict[str, Any]:
        """Queue a download (or not: `add_checked`); its view, or the one it duplicates."""
        return self.add_checked(request, facts)[0]

    def add_checked(self, request: DownloadRequest, facts: FileFacts | None = None,
                    first_reply: FirstReply | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Queue a download unless the `duplicates` setting says otherwise (paxel.service.duplicates);
        `facts`: what paxel's first answer said of the file (`take`), else only its name is known.
        `first_reply`: that answer, still open: the download's first request when it starts at
        once (closed here otherwise: a download that waits its turn asks again then).
        Returns the view of the download queued, or of the one it duplicates when skipped or
        continued instead, and the `duplicate` detail (with `action`) when it is one."""
        handed = Handed(first_reply) if first_reply is not None else None
        try:
            return self._add_checked(request, facts, handed)
        finally:
            if handed is not None:
                with self._lock:
                    for key in [k for k, v in self._handed.items() if v is handed]:
                        del self._handed[key]
                if not handed.used:
                    handed.first.reply.close()

    def _add_checked(self, request: DownloadRequest, facts: FileFacts | None,
                     handed: Handed | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        queue = request.queue or MAIN
        if queue not in self._settings.queue_limits:
            raise ProtocolError(f"no queue {queue!r} (see `paxel queue`)", code=ErrorCode.NOT_FOUND)
        name = (facts.name if facts else None) or request.filename
        folder = allowed_folder(request.folder, self._settings.roots) if request.folder \
            else self.rule_folder(request.url, name)
        taken = folder / safe_filename(name) if name else None
        with self._lock:
            found = duplicates.find(facts or FileFacts(name, None), self._store.all(),
                                    str(taken) if taken and taken.exists() else None)
            decision = duplicates.decide(found, self._settings.duplicates)
        if found is not None and found.of is not None and decision in ("skip", "continue"):
            log.info("%s is a duplicate of %s (%s): %s", request.url, found.of, found.why, decision)
            kept = self._continue(found.of) if decision == "continue" else self.get(found.of)
            return kept, {**found.detail(), "action": "skipped" if decision == "skip" else "continued"}
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
            queue=queue,
            duplicate=found.detail() if found is not None and decision == "ask" else None,
            etag=facts.etag if facts else None, last_modified=facts.last_modified if facts else None,
        ))
        log.info("added %s (%s, %d connections) into %s", record.id, record.url, record.connections, folder)
        if facts is not None:  # a take's link worked just now: noted before the engine can fail on it
            self.relinks.note_taken(record.id, facts)
        if handed is not None and record.media is None and record.duplicate is None:
            with self._lock:
                self._handed[record.id] = handed   # for _start, if the download starts right now
        self._emit("added", {"download": self.get(record.id)})  # with its place in its queue
        self._pump()
        action = "ask" if decision == "ask" else "added"
        detail = None if found is None else {**found.detail(), "action": action}
        return self.get(record.id), detail

    def answer_duplicate(self, download_id: str, choice: str) -> dict[str, Any] | None:
        """The user's answer to a held duplicate (`ask`): `rename` lets it start; `skip` removes
        it; `resume` removes it and continues the unfinished download it duplicates. Returns the
        view of the download that remains (None: none)."""
        with self._lock:
            record = self._get(download_id)
            if not record.duplicate:
                raise ProtocolError(f"download {download_id} asks no question", code=ErrorCode.BAD_STATE)
            other = self._store.get(str(record.duplicate.get("of") or ""))
            if choice == "resume" and (other is None or other.state not in duplicates.UNFINISHED):
                raise ProtocolError("there is no unfinished download of this file to continue",
                                    code=ErrorCode.BAD_STATE)
            if choice == "rename":
                self._store.update(download_id, duplicate=None)
        if choice == "rename":
            self._pump()
            return self._announce("changed", download_id)
        self.remove(download_id)
        if other is None:
            return None
        return self._continue(other.id) if choice == "resume" else self.get(other.id)

    def _continue(self, download_id: str) -> dict[str, Any]:
        """An unfinished download asked for again: a paused one resumes, a failed one retries."""
        state = self.get(download_id)["state"]
        if state == State.PAUSED:
            return self.resume(download_id)
        if state == State.FAILED:
            return self.retry(download_id)
        return self.get(download_id)

    def pause(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._get(download_id)
            self._user(record, Action.PAUSE)
            job = self._jobs.get(download_id)
            if job is not None:
                job.stop_reason = StopReason.PAUSE
                job.download.pause()
        # The engine stores the bytes it stopped at as it winds down, and nothing is announced
        # after that: the reply and the `paused` event wait for it, or they said the count last
        # stored (up to a second old, 0 B in the first second) until the next change.
        self._wait_cleaned(job)
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

    def attach(self, request: DownloadRequest, new: FileFacts,
               answered_from: str | None = None) -> dict[str, Any] | None:
        """Continue the unfinished download `new` (answered from `answered_from`, after
        redirects) is the file of (paxel.sameness) from the request's URL, headers and cookies;
        None when there is none (docs/protocol.md)."""
        with self._lock:
            records = self._store.with_state(*relink.ATTACHABLE)
            known = ((r, relink.facts_of(r, self.relinks.taken(r.id))) for r in records)
            found = relink.best(new, known, self.relinks.waiting(),
                                url=request.url, answered_from=answered_from)
            if found is None or found.record.id in self._jobs:  # (a pause still winding down)
                return None
            record = found.record
            if not self._service(record, Action.ATTACH, url=request.url, headers=dict(request.headers),
                                 cookies=request.cookies, error=None, finished_at=None):
                return None
            self.relinks.forget(record.id)
            self.relinks.note_taken(record.id, new)
        log.info("attached %s to %s (%s)", request.url, record.id, found.match.why)
        result = self._announce("resumed", record.id)
        self._pump()
        return result

    def running_same(self, request: DownloadRequest, new: FileFacts,
                     answered_from: str | None = None) -> dict[str, Any] | None:
        """The running download `new` is the file of, by `attach`'s rule for a click nobody
        asked to attach (same path on the same server, a validator agreeing), or None: a
        second click while it downloads is answered with it, not a second copy."""
        with self._lock:
            records = self._store.with_state(*relink.RUNNING_ONLY)
            known = ((r, relink.facts_of(r, self.relinks.taken(r.id))) for r in records)
            found = relink.best(new, known, frozenset(), url=request.url, answered_from=answered_from,
                                states=relink.RUNNING_ONLY)
        return None if found is None else self.get(found.record.id)

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
            self.relinks.drop(download_id)
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
        """Let a stopping engine finish (a cancelled one deletes its .part and state file, a paused
        one stores its bytes) before the reply says so (called without the lock: the job's
        thread takes it to finish)."""
        if job is not None and job.thread is not threading.current_thread():
            job.thread.join(CANCEL_WAIT)

    def _announce(self, event: str, download_id: str) -> dict[str, Any]:
        current = super()._announce(event, download_id)
        if event == "completed":
            self._after_completion(current)
        return current

    def _after_completion(self, current: Mapping[str, Any]) -> None:
        """The settings' `after_completion` for a download that just completed; a failure is
        logged and costs nothing else (the download is complete either way)."""
        after = self._settings.after_completion
        try:
            if after.action == "command" and current["path"]:
                aftercompletion.run_command(after, Path(current["path"]), current["url"],
                                            current["download_id"])
            elif after.action in ("open", "reveal") and self._opener is not None:
                # its own thread: the display probe can block, and this is the engine's or
                # the watcher's thread
                threading.Thread(target=self._open_after, args=(self._opener, current, after.action),
                                 daemon=True, name="paxel-after-open").start()
        except (PaxelError, RuntimeError) as exc:
            log.warning("after completion of %s: %s", current["download_id"], exc)

    @staticmethod
    def _open_after(opener: Opener, current: Mapping[str, Any], action: str) -> None:
        try:
            opener(current, "file" if action == "open" else "folder")
        except PaxelError as exc:
            log.warning("after completion of %s: %s", current["download_id"], exc.message)
