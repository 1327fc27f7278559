"""The service's media jobs: a stream (HLS/DASH) runs in the scheduler like any download.

`job_for` gives the scheduler one object with the engine Download's surface (`run() -> Result`,
`pause()`, `cancel()`, `set_max_speed()`, `progress`) for every record:
- a record with `media` set (the `download` request's `media` field, a `.m3u8`/`.mpd` URL, or a
  `take` whose answer had a playlist content type) is a `MediaDownload` over paxel.media's
  MediaJob, resumable from its work folder beside the output (`NAME.mp4.paxel-media/`);
- any other is the engine's Download, wrapped in `FileOrStream`: when the file it made is a
  small playlist by its first bytes (a URL without the extension whose answer was one), the
  file is removed and the stream is fetched instead, as `paxel URL` does.
The scheduler's lifecycle, host budget, speed buckets and store apply unchanged. Threads: `run`
on the job's thread, the rest from any thread (MediaJob and Download allow that).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from paxel import engine, resume, storage
from paxel.errors import Cancelled
from paxel.media.detect import is_playlist_file


class Runner(Protocol):
    """What the scheduler drives: engine.Download, MediaDownload, FileOrStream."""

    def run(self) -> engine.Result: ...
    def pause(self) -> None: ...
    def cancel(self) -> None: ...
    def set_max_speed(self, rate: int | None) -> None: ...
    @property
    def progress(self) -> engine.Progress: ...


log = logging.getLogger(__name__)
WORK_SUFFIX = ".paxel-media"   # paxel.media.job.WORK_SUFFIX (not imported: it loads the parsers)


class MediaDownload:
    """A MediaJob seen as a Download (its own speed limit and the global one apply at once)."""

    def __init__(self, options: engine.DownloadOptions, max_height: int | None,
                 on_progress: Callable[[engine.Progress], None]) -> None:
        from paxel.media.job import MediaJob  # m3u8, mpegdash, cryptography: only for a stream

        self._job = MediaJob(options, max_height=max_height, on_progress=on_progress)

    def run(self) -> engine.Result:
        result = self._job.run()
        if result.note:   # (a recording that ended itself, skipped segments, .ts without ffmpeg)
            log.warning("%s: %s", result.path, result.note)
        return engine.Result(result.path, result.size, result.paused, None)

    def pause(self) -> None:
        """A live recording ends here and the file is made from what was recorded (the paused
        state becomes completed once the file is there): a live stream cannot be continued
        later, its server drops the old segments. Anything else keeps its segments to resume."""
        self._job.stop() if self._job.live else self._job.pause()

    def cancel(self) -> None:
        self._job.cancel()

    def set_max_speed(self, rate: int | None) -> None:
        self._job.set_max_speed(rate)

    @property
    def progress(self) -> engine.Progress:
        return self._job.progress


class FileOrStream:
    """The engine's Download; a small playlist it made becomes a MediaDownload of that URL."""

    def __init__(self, options: engine.DownloadOptions, on_progress: Callable[[engine.Progress], None],
                 progress_interval: float) -> None:
        self._options, self._on_progress = options, on_progress
        self._current: engine.Download | MediaDownload = engine.Download(
            options, on_progress=on_progress, progress_interval=progress_interval)
        self._stopped: str | None = None

    def run(self) -> engine.Result:
        result = self._current.run()
        if result.paused or self._stopped or not is_playlist_file(result.path, result.size):
            return result
        storage.remove_quietly(result.path)
        self._current = MediaDownload(replace(self._options, output=None, filename=None), None,
                                      self._on_progress)
        asked = self._asked()   # a pause or cancel that came (from another thread) while switching
        if asked == "cancel":
            raise Cancelled("cancelled")
        if asked == "pause":
            return engine.Result(result.path, 0, True, None)
        return self._current.run()

    def _asked(self) -> str | None:
        return self._stopped

    def pause(self) -> None:
        self._stopped = self._stopped or "pause"
        self._current.pause()

    def cancel(self) -> None:
        self._stopped = "cancel"
        self._current.cancel()

    def set_max_speed(self, rate: int | None) -> None:
        self._current.set_max_speed(rate)

    @property
    def progress(self) -> engine.Progress:
        return self._current.progress


def job_for(media: dict[str, Any] | None, options: engine.DownloadOptions,
            on_progress: Callable[[engine.Progress], None], progress_interval: float) -> Runner:
    if media is not None:
        return MediaDownload(options, media.get("quality"), on_progress)
    return FileOrStream(options, on_progress, progress_interval)


def remove_leftovers(final: Path) -> None:
    """What a stopped download leaves beside its final path: `.part` and resume state, or a
    stream's work folder of segments."""
    storage.remove_quietly(resume.part_path(final), resume.state_path(final))
    shutil.rmtree(final.with_name(final.name + WORK_SUFFIX), ignore_errors=True)


__all__ = ["FileOrStream", "MediaDownload", "Runner", "job_for", "remove_leftovers"]
