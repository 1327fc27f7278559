"""Named queues, their order and "start now", and settings changed while the service runs.

`Queues` sits between the job runner (paxel.service.runner) and the scheduler's requests
(paxel.service.scheduler): it owns `_pump`, which starts what the queue policy
(paxel.service.queueing, pure) allows, and the requests that change the order or the settings.
A setting changed here is written to settings.json first (paxel.service.settings.save, checked
as at start), then applied at once: the schedule and the global speed to `limits`, queue limits
and removed queues to the next `_pump`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from paxel import rules
from paxel.errors import ErrorCode, ProtocolError, UsageError
from paxel.service import lifecycle, queueing, wallclock
from paxel.service import settings as settings_mod
from paxel.service.lifecycle import Action, State
from paxel.service.queueing import MAIN, Move
from paxel.service.runner import Emit, Runner
from paxel.service.settings import Settings, allowed_folder
from paxel.service.store import Placed, Record, Store
from paxel.service.view import view

log = logging.getLogger(__name__)


class Queues(Runner):
    def __init__(self, store: Store, settings: Settings, emit: Emit,
                 clock: Callable[[], float] = time.time, settings_path: Path | None = None) -> None:
        super().__init__(store, settings, emit, clock)
        self._settings_path = settings_path  # None: the user's settings.json (settings_path())
        self._forced: set[str] = set()  # "start now" asked; cleared when it starts

    @property
    def settings(self) -> Settings:
        """The settings now (they change with `change_settings`)."""
        return self._settings

    # --- requests --------------------------------------------------------------------------------

    def queues(self) -> list[dict[str, Any]]:
        """Every queue, `main` first: its limit, how many of its downloads run and wait, and its
        windows: `schedule` "own" or "global", `open` now, else `next_open` (Unix seconds); open,
        `next_close` (null: no window closes it within a week)."""
        with self._lock:
            limits = self._settings.queue_limits
            running = Counter(job.queue for job in self._jobs.values())
            waiting = Counter(queueing.home(r.queue, limits) for r in self._store.with_state(State.QUEUED))
            own = self._settings.queue_schedules
            return [{"name": name, "max_concurrent": limit, "running": running[name], "queued": waiting[name],
                     "schedule": "own" if name in own else "global", "open": self._queue_open(name),
                     "next_open": None if self._queue_open(name) else self._next_open(name),
                     "next_close": self._next_close(name) if self._queue_open(name) else None}
                    for name, limit in limits.items()]

    def start_now(self, download_id: str) -> dict[str, Any]:
        """Run it at once, first in its queue, past its queue's limit and the schedule windows."""
        with self._lock:
            record = self._get(download_id)
            self._user(record, Action.START_NOW)
            # first in its queue; a duplicate's question is answered "download it" (rename)
            self._store.update(download_id, position=self._ends(record)[0] - 1, duplicate=None)
            self._forced.add(download_id)
        event = "resumed" if record.state == State.PAUSED else "changed"
        self._pump()
        return self._announce(event, download_id)

    def move(self, download_id: str, to: Move) -> dict[str, Any]:
        """Up, down, to the top or the bottom of its queue's order (queued downloads only)."""
        with self._lock:
            record = self._get(download_id)
            lifecycle.move(Action(f"move_{to}"), record.state, download_id)
            order = [(r.id, r.position) for r in self._queued_in(self._home(record))]
            changes = queueing.moved(order, download_id, to)
            for ident, position in changes.items():
                self._store.update(ident, position=position)
        for ident in changes:
            if ident != download_id:
                self._announce("changed", ident)
        self._pump()  # a download moved to the top may now be the one whose host has room
        return self._announce("changed", download_id)

    def assign(self, download_id: str, queue: str) -> dict[str, Any]:
        """Into another queue (last in its order); a running download keeps running."""
        with self._lock:
            self._get(download_id)
            if queue not in self._settings.queue_limits:
                raise ProtocolError(f"no queue {queue!r} (see `paxel queue`)", code=ErrorCode.NOT_FOUND)
            self._store.update(download_id, queue=queue, position=self._store.next_position())
            job = self._jobs.get(download_id)
            if job is not None:
                job.queue = queue
        self._pump()
        return self._announce("changed", download_id)

    def change_settings(self, changes: Mapping[str, Any],
                        renamed: Mapping[str, str] | None = None,
                        if_revision: int | None = None) -> Settings:
        """Write `changes` to settings.json and apply them now (docs/settings.md). `renamed`
        ({old: new}): named queues `changes["queues"]` renames, whose downloads go with them
        (without it a name gone from `queues` is a removal: its downloads go to main).
        `if_revision`: only if the settings are still those of that revision (settings.revision),
        else STALE and nothing written: two surfaces saving at once never lose an edit."""
        renamed = dict(renamed or {})
        with self._lock:
            if if_revision is not None and if_revision != settings_mod.revision(self._settings):
                raise ProtocolError("the settings changed since they were read (another window or "
                                    "command saved); read them again and reapply the change",
                                    code=ErrorCode.STALE)
            if renamed:
                self._check_renames(changes, renamed)
            # a queue removed while another is renamed to its name (the panel: Remove "b", "a"
            # renamed "b", one Save): its downloads go to main as a removal's, not to the new "b"
            taken = {name for name in renamed.values()
                     if name in self._settings.queues and name not in renamed}
            before = set(self._settings.queue_limits)
            try:
                new = settings_mod.save(changes, self._settings_path, self._settings.roots, renamed)
            except UsageError as exc:
                raise ProtocolError(exc.message, code=ErrorCode.BAD_FIELD) from None
            except OSError as exc:
                raise ProtocolError(f"cannot write the settings: {exc}", code=ErrorCode.DISK) from None
            # read at start only (docs/settings.md): the running service keeps its own
            new = dataclasses.replace(new, roots=self._settings.roots,
                                       extension_ids=self._settings.extension_ids)
            self._settings = new
            self.limits.timetable = new.schedule
            if "max_connections_per_host" in changes:   # raised: _pump below starts what fits now
                self.limits.set_host_cap(new.max_connections_per_host)
            if "max_speed" in changes:
                self.limits.set_global_speed(new.max_speed)
            # a window that closes now holds what runs, as at 06:00; one that opens starts (_pump)
            self._recheck()
            moved = self._store.rehome(before - taken, MAIN) if taken else []
            moved += self._store.rename_queues(renamed)
            for job in self._jobs.values():  # a removed queue's running downloads count in main
                job.queue = MAIN if job.queue in taken else \
                    queueing.home(renamed.get(job.queue, job.queue), new.queue_limits)
            moved += self._store.rehome(set(new.queue_limits), MAIN)
        log.info("settings changed: %s", ", ".join(sorted(changes)))
        self._emit("settings", {"settings": settings_mod.to_raw(new), "revision": settings_mod.revision(new)})
        for ident in moved:
            self._announce("changed", ident)
        self._wake.set()
        self._pump()
        return new

    def _check_renames(self, changes: Mapping[str, Any], renamed: Mapping[str, str]) -> None:
        """A rename is from a queue there now to one of the new `queues`, the old name gone."""
        queues = changes.get("queues")
        for old, new in renamed.items():
            if old not in self._settings.queues or not isinstance(queues, dict) or new not in queues \
                    or (old in queues and old not in renamed.values()):
                raise ProtocolError(f"cannot rename queue {old!r} to {new!r}: `renamed` needs the queue now "
                                    "and `set.queues` with the new name instead of the old",
                                    code=ErrorCode.BAD_FIELD)

    # --- policy ----------------------------------------------------------------------------------

    def rule_folder(self, url: str, filename: str | None) -> Path:
        """Where a download with no folder of its own goes: a folder rule's, else the default."""
        folder = rules.folder_for(url, filename, self._settings.folder_rules)
        if folder is None:
            return self._settings.default_folder
        return allowed_folder(self._settings.default_folder / Path(folder).expanduser(), self._settings.roots)

    def _home(self, record: Record) -> str:
        return queueing.home(record.queue, self._settings.queue_limits)

    def _queued_in(self, queue: str) -> list[Placed]:
        limits = self._settings.queue_limits
        return [r for r in self._store.queued_places() if queueing.home(r.queue, limits) == queue]

    def _ends(self, record: Record) -> tuple[int, int]:
        """The smallest and largest position in `record`'s queue's order (its own if alone)."""
        positions = [r.position for r in self._queued_in(self._home(record))] or [record.position]
        return min(positions), max(positions)

    def _details(self, record: Record) -> dict[str, Any]:
        if record.state != State.QUEUED:
            return {}
        order = [r.id for r in self._queued_in(self._home(record))]
        return {"queue_position": queueing.places(order).get(record.id), "waiting": self._waiting(record)}

    def _waiting(self, record: Record) -> dict[str, Any]:
        """What a queued download waits for (DownloadView `waiting`)."""
        if record.duplicate:
            return {"for": "duplicate"}
        queue = self._home(record)
        if not self._queue_open(queue) and record.id not in self._forced:
            return {"for": "schedule", "until": self._next_open(queue)}
        return {"for": "queue"}

    def window(self) -> dict[str, Any]:
        """May the queues start downloads now (the schedule's windows), and if not, when next
        (Unix seconds; None: no window within a week), else when they close; and the limit over
        all downloads that holds now (`max_speed`: a time-of-day rule's or the one set; None: none)."""
        with self._lock:
            return {"open": self._open, "next_open": None if self._open else self._next_open(),
                    "next_close": self._next_close() if self._open else None,
                    "max_speed": self.limits.global_speed}

    def _queue_open(self, queue: str) -> bool:
        return self._opens.get(queue, self._open)

    def _next_open(self, queue: str = MAIN) -> float | None:
        table = queueing.timetable(queue, self.limits.timetable, self._settings.queue_schedules)
        return wallclock.next_open_at(table, self.limits.clock(), self.limits.zone)

    def _next_close(self, queue: str = MAIN) -> float | None:
        table = queueing.timetable(queue, self.limits.timetable, self._settings.queue_schedules)
        return wallclock.next_close_at(table, self.limits.clock(), self.limits.zone)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            records = self._store.all()
            limits = self._settings.queue_limits
            queued = [r for r in reversed(records) if r.state == State.QUEUED]
            queued.sort(key=lambda r: (r.position, r.seq))
            places: dict[str, int] = {}
            for queue in limits:
                places |= queueing.places([r.id for r in queued if queueing.home(r.queue, limits) == queue])
            return [self._view_of(r, places.get(r.id)) for r in records]

    def _view_of(self, record: Record, place: int | None) -> dict[str, Any]:
        waiting = self._waiting(record) if record.state == State.QUEUED else None
        return view(record, self._progress_of(record.id), self._phase_of(record.id), place, waiting)

    def _pump(self) -> None:
        """Start queued downloads in queue order, each queue below its own limit (a forced one
        past it), while its schedule window is open (a forced one outside too)."""
        with self._lock:
            if self._stopping:
                return
            limits = self._settings.queue_limits
            running = Counter(job.queue for job in self._jobs.values() if not job.forced)
            for record in self._store.with_state(State.QUEUED):
                if record.id in self._jobs or record.duplicate:  # winding down; or awaits an answer
                    continue
                queue = queueing.home(record.queue, limits)
                forced = record.id in self._forced
                if not queueing.may_start(queue, running, limits, self._queue_open(queue), forced):
                    continue
                granted = self.limits.hosts.take(record.url, record.connections)
                if granted:  # else its host is at its cap: it waits, a later one may start
                    self._forced.discard(record.id)
                    self._start(record, granted, queue, forced)
                    running[queue] += 0 if forced else 1

    def _user(self, record: Record, action: Action, **changes: Any) -> None:
        raise NotImplementedError  # the scheduler's


__all__ = ["Queues"]
