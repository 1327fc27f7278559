"""Completion watcher: one watchdog observer announces when a download's final file appears.

The service calls `expect(path)` when a download starts and gets `on_completed(path)` exactly once
when the file shows up there (the engine's `.part` renamed into place, or a file moved in), even
if it was already there when `expect` was called. A completed path stays tracked: deleting it or
moving it away calls `on_missing(path)` once. Folders are watched only while they hold a path
that is expected or tracked (reference-counted), all on one observer.

Threads: watchdog's dispatcher only queues raw events; one worker thread of ours applies them and
runs the callbacks. Callbacks never run under a lock, so they may call back into the watcher, and
the service may hold its own lock while calling `expect`/`track`/`forget` without the lock-order
inversion a callback-under-the-observer-lock design would have.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from paxel.errors import DiskError, UsageError

log = logging.getLogger(__name__)
PathCallback = Callable[[Path], None]

# Only these matter: a rename/move into place, a move in from an unwatched folder (created),
# and the file (or the whole folder) going away.
_EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


@dataclass(frozen=True)
class _Change:
    """A filesystem fact in watcher terms: `appeared`/`gone` at `path`, or a whole `folder_gone`."""

    kind: str
    path: Path


def _key(path: Path | str | bytes) -> Path:
    """Absolute, normalised, not resolved: watchdog reports paths under the folder as scheduled."""
    return Path(os.path.abspath(os.fsdecode(path)))


def changes_for(event: FileSystemEvent) -> list[_Change]:
    """Translate one watchdog event into what it means for final paths (pure)."""
    src = _key(event.src_path)
    if isinstance(event, FileMovedEvent):
        return [_Change("gone", src), _Change("appeared", _key(event.dest_path))]
    if isinstance(event, FileCreatedEvent):
        return [_Change("appeared", src)]
    if isinstance(event, FileDeletedEvent):
        return [_Change("gone", src)]
    if isinstance(event, DirDeletedEvent | DirMovedEvent):
        return [_Change("folder_gone", src)]
    return []


class _Forwarder(FileSystemEventHandler):
    """Runs on watchdog's dispatcher thread: hand the event over, never block or lock."""

    def __init__(self, inbox: queue.SimpleQueue[_Change | None]) -> None:
        self._inbox = inbox

    def on_any_event(self, event: FileSystemEvent) -> None:
        for change in changes_for(event):
            self._inbox.put(change)


class CompletionWatcher:
    """Announces final files appearing (`on_completed`) and completed files vanishing (`on_missing`)."""

    def __init__(self, on_completed: PathCallback, on_missing: PathCallback) -> None:
        self._on_completed = on_completed
        self._on_missing = on_missing
        self._lock = threading.Lock()
        self._expected: set[Path] = set()
        self._tracked: set[Path] = set()
        self._refs: Counter[Path] = Counter()
        self._watches: dict[Path, ObservedWatch] = {}
        self._inbox: queue.SimpleQueue[_Change | None] = queue.SimpleQueue()
        self._handler = _Forwarder(self._inbox)
        self._observer: BaseObserver = Observer()
        self._observer.daemon = True
        self._worker = threading.Thread(target=self._run, name="paxel-watcher", daemon=True)
        self._stopped = False

    def start(self) -> None:
        self._observer.start()
        self._worker.start()

    def stop(self) -> None:
        """Stop watching; callbacks for events already seen are still delivered before this returns."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
        if self._worker.is_alive():
            self._inbox.put(None)
            self._worker.join()

    def expect(self, final_path: Path) -> None:
        """A download will put its file at `final_path`: call on_completed once when it is there."""
        path = _key(final_path)
        with self._lock:
            self._check_open()
            if path in self._expected:
                return
            if path in self._tracked:
                self._tracked.discard(path)
            else:
                self._acquire(path.parent)
            self._expected.add(path)
        # The rename may already have happened before the watch existed: the worker settles it.
        if path.exists():
            self._inbox.put(_Change("appeared", path))

    def track(self, final_path: Path) -> None:
        """Keep an eye on a completed file: call on_missing once when it is deleted or moved away."""
        path = _key(final_path)
        with self._lock:
            self._check_open()
            if path in self._tracked or path in self._expected:
                return
            if path.parent.is_dir():
                self._acquire(path.parent)
                self._tracked.add(path)
            else:
                self._tracked.add(path)
                self._refs[path.parent] += 1  # released by the `gone` below, no watch needed
        if not path.exists():
            self._inbox.put(_Change("gone", path))

    def forget(self, final_path: Path) -> None:
        """Stop caring about `final_path` (download cancelled or removed); unknown paths are ignored."""
        path = _key(final_path)
        with self._lock:
            if path in self._expected or path in self._tracked:
                self._expected.discard(path)
                self._tracked.discard(path)
                self._release(path.parent)

    @property
    def watched_folders(self) -> frozenset[Path]:
        """Folders with a live watch now (for tests and `paxel doctor`)."""
        with self._lock:
            return frozenset(self._watches)

    def _check_open(self) -> None:
        if self._stopped:
            raise UsageError("the completion watcher is stopped")

    def _acquire(self, folder: Path) -> None:
        """Count one more path in `folder`, scheduling its watch on the first. Caller holds _lock."""
        if self._refs[folder] == 0 and folder not in self._watches:
            try:
                self._watches[folder] = self._observer.schedule(
                    self._handler, str(folder), recursive=False, event_filter=_EVENT_FILTER
                )
            except OSError as exc:
                raise DiskError(f"cannot watch folder {folder}: {exc.strerror or exc}") from exc
        self._refs[folder] += 1

    def _release(self, folder: Path) -> None:
        """Count one path fewer in `folder`, dropping its watch with the last. Caller holds _lock."""
        self._refs[folder] -= 1
        if self._refs[folder] > 0:
            return
        del self._refs[folder]
        watch = self._watches.pop(folder, None)
        if watch is not None and not self._stopped:
            self._observer.unschedule(watch)

    def _apply(self, change: _Change) -> list[tuple[PathCallback, Path]]:
        """Update state for one change and say which callbacks it earns. Caller holds _lock."""
        due: list[tuple[PathCallback, Path]] = []
        if change.kind == "appeared" and change.path in self._expected:
            self._expected.discard(change.path)
            self._tracked.add(change.path)  # same folder: the reference carries over
            due.append((self._on_completed, change.path))
        elif change.kind == "gone" and change.path in self._tracked and not change.path.exists():
            self._tracked.discard(change.path)
            self._release(change.path.parent)
            due.append((self._on_missing, change.path))
        elif change.kind == "folder_gone":
            for path in sorted(p for p in self._tracked if p.parent == change.path):
                due.extend(self._apply(_Change("gone", path)))
        return due

    def _run(self) -> None:
        while (change := self._inbox.get()) is not None:
            with self._lock:
                due = self._apply(change)
            for callback, path in due:
                try:
                    callback(path)
                except Exception:  # one failing callback must not end every later announcement
                    log.exception("watcher callback for %s failed", path)
