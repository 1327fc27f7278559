"""CompletionWatcher against a real watchdog observer on temporary folders."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from watchdog.observers.api import BaseObserver

from paxel.errors import DiskError, UsageError
from paxel.watcher import CompletionWatcher

# Deletions seen through a move out of the folder arrive ~0.5 s late (inotify pairing window).
SETTLE = 0.7


class Recorder:
    """Collects callbacks with their arrival time; tests wait on it instead of sleeping blindly."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Path, float]] = []
        self._cond = threading.Condition()

    def completed(self, path: Path) -> None:
        self._add("completed", path)

    def missing(self, path: Path) -> None:
        self._add("missing", path)

    def _add(self, kind: str, path: Path) -> None:
        with self._cond:
            self.calls.append((kind, path, time.monotonic()))
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[tuple[str, Path]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.calls) >= count, timeout)
            return [(kind, path) for kind, path, _ in self.calls]

    def settled(self, count: int) -> list[tuple[str, Path]]:
        """Wait for `count` calls, then long enough that a duplicate would have shown up."""
        self.wait(count)
        time.sleep(SETTLE)
        return self.wait(count)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def watcher(recorder: Recorder) -> Iterator[CompletionWatcher]:
    before = set(threading.enumerate())
    w = CompletionWatcher(recorder.completed, recorder.missing)
    w.start()
    yield w
    w.stop()
    leaked = [t for t in threading.enumerate() if t not in before]
    assert leaked == [], f"threads left running: {leaked}"


def finish_download(final: Path, data: bytes = b"payload") -> float:
    """Do what the engine does: write `<final>.part`, then rename it into place. Returns rename time."""
    part = final.with_name(final.name + ".part")
    part.write_bytes(data)
    os.replace(part, final)
    return time.monotonic()


def test_completed_download_fires_exactly_once_with_final_path(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    final = tmp_path / "file.bin"
    watcher.expect(final)
    # Partial writes and unrelated files in the folder are not completions.
    (tmp_path / "file.bin.part").write_bytes(b"half")
    (tmp_path / "other.txt").write_text("x")
    renamed_at = finish_download(final)
    assert recorder.settled(1) == [("completed", final)]
    delay_ms = (recorder.calls[0][2] - renamed_at) * 1000
    print(f"\nwatcher delay rename -> on_completed: {delay_ms:.2f} ms")
    assert delay_ms < 1000


def test_rename_delay_over_repeated_downloads(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    delays = []
    for n in range(20):
        final = tmp_path / f"f{n}.bin"
        watcher.expect(final)
        renamed_at = finish_download(final)
        recorder.wait(n + 1)
        delays.append((recorder.calls[n][2] - renamed_at) * 1000)
    delays.sort()
    print(f"\nwatcher delay over 20 renames: median {delays[10]:.2f} ms, max {delays[-1]:.2f} ms")
    assert [kind for kind, _ in recorder.wait(20)] == ["completed"] * 20


def test_file_already_in_place_when_expected(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    final = tmp_path / "early.bin"
    finish_download(final)
    watcher.expect(final)
    watcher.expect(final)  # idempotent: still one callback
    assert recorder.settled(1) == [("completed", final)]


def test_file_moved_in_from_unwatched_folder_counts(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    final = inbox / "moved.iso"
    watcher.expect(final)
    (outside / "moved.iso").write_bytes(b"iso")
    os.replace(outside / "moved.iso", final)
    assert recorder.settled(1) == [("completed", final)]


def test_deleting_completed_file_fires_missing_and_drops_the_watch(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    final = tmp_path / "gone.bin"
    watcher.expect(final)
    finish_download(final)
    recorder.wait(1)
    assert watcher.watched_folders == {tmp_path}
    final.unlink()
    assert recorder.settled(2) == [("completed", final), ("missing", final)]
    assert watcher.watched_folders == set()


@pytest.mark.parametrize("where", ["same folder", "unwatched folder"])
def test_moving_completed_file_away_fires_missing(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path, where: str
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    final = folder / "doc.pdf"
    finish_download(final)
    watcher.track(final)
    target = folder / "renamed.pdf" if where == "same folder" else tmp_path / "doc.pdf"
    os.replace(final, target)
    assert recorder.settled(1) == [("missing", final)]


def test_tracking_a_file_that_is_already_gone(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    watcher.track(tmp_path / "never.bin")
    watcher.track(tmp_path / "no-such-folder" / "never.bin")
    calls = recorder.settled(2)
    assert sorted(calls) == sorted(
        [("missing", tmp_path / "never.bin"), ("missing", tmp_path / "no-such-folder" / "never.bin")]
    )
    assert watcher.watched_folders == set()


def test_deleting_the_whole_folder_marks_its_files_missing(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    files = [folder / "a.bin", folder / "b.bin"]
    for path in files:
        finish_download(path)
        watcher.track(path)
    shutil.rmtree(folder)
    assert sorted(recorder.settled(2)) == [("missing", files[0]), ("missing", files[1])]


def test_one_observer_and_reference_counted_watches(
    watcher: CompletionWatcher, recorder: Recorder, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    watcher.expect(a / "1.bin")
    watcher.expect(a / "2.bin")
    watcher.expect(b / "3.bin")
    assert watcher.watched_folders == {a, b}
    assert len([t for t in threading.enumerate() if isinstance(t, BaseObserver)]) == 1

    watcher.forget(a / "1.bin")
    assert watcher.watched_folders == {a, b}
    finish_download(b / "3.bin")
    assert recorder.wait(1) == [("completed", b / "3.bin")]
    assert watcher.watched_folders == {a, b}  # completed files stay tracked
    watcher.forget(b / "3.bin")
    assert watcher.watched_folders == {a}
    watcher.forget(a / "2.bin")
    watcher.forget(a / "unknown.bin")
    assert watcher.watched_folders == set()

    # Forgotten downloads never call back, even when their file appears later.
    finish_download(a / "1.bin")
    assert recorder.settled(1) == [("completed", b / "3.bin")]


def test_callbacks_may_call_back_into_the_watcher(recorder: Recorder, tmp_path: Path) -> None:
    holder: list[CompletionWatcher] = []

    def completed(path: Path) -> None:
        holder[0].forget(path)  # what a service does for a download removed from history
        recorder.completed(path)

    watcher = CompletionWatcher(completed, recorder.missing)
    holder.append(watcher)
    watcher.start()
    try:
        final = tmp_path / "x.bin"
        watcher.expect(final)
        finish_download(final)
        assert recorder.wait(1) == [("completed", final)]
        final.unlink()
        assert recorder.settled(1) == [("completed", final)]
        assert watcher.watched_folders == set()
    finally:
        watcher.stop()


def test_a_failing_callback_does_not_stop_later_announcements(
    recorder: Recorder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def completed(path: Path) -> None:
        recorder.completed(path)
        if path.name == "first.bin":
            raise OSError("database is locked")  # what a service's store may raise

    watcher = CompletionWatcher(completed, recorder.missing)
    watcher.start()
    try:
        first, second = tmp_path / "first.bin", tmp_path / "second.bin"
        watcher.expect(first)
        watcher.expect(second)
        finish_download(first)
        assert recorder.wait(1) == [("completed", first)]
        finish_download(second)
        assert recorder.wait(2) == [("completed", first), ("completed", second)]
        second.unlink()
        assert recorder.wait(3)[-1] == ("missing", second)
    finally:
        watcher.stop()
    assert "watcher callback for" in caplog.text and "database is locked" in caplog.text


def test_bad_input_is_refused_clearly(watcher: CompletionWatcher, tmp_path: Path) -> None:
    with pytest.raises(DiskError, match="cannot watch folder"):
        watcher.expect(tmp_path / "missing-folder" / "f.bin")
    assert watcher.watched_folders == set()
    watcher.stop()
    with pytest.raises(UsageError, match="stopped"):
        watcher.expect(tmp_path / "f.bin")
