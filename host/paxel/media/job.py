"""A media download: playlist → variant → segment plan → segments over the engine's connection
workers (`engine.UnitJob`) → ffmpeg mux → one file.

Folder layout while it runs (everything beside the output, so a rerun of the same command finds
it and resumes): `NAME.mp4.paxel-media/` holds `state.json` (the finished pieces, replaced
atomically at most every STATE_EVERY s and when a fetch ends), `lock` (flock: one paxel per
stream) and the pieces themselves; it is removed once the file is made.
Encrypted segments arrive as `X.enc` and are decrypted into `X` by the worker that fetched them.

Threads: `run()` blocks the caller; the UnitJob's workers call `_on_unit` (one lock guards the
done-set and the state file); the muxer's feeders wait on `_ready`. `pause()`/`cancel()` from
any thread; a live recording's `stop()` ends the recording and still makes the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from paxel import storage
from paxel.engine import MAX_CONNECTIONS, DownloadOptions, Unit, UnitDone, UnitJob
from paxel.errors import Cancelled, DiskError, ServerMisbehaved, UsageError
from paxel.media import arrival, hls, live, mux, naming
from paxel.media.plan import Done, Piece, Plan, decode_state, encode_state, make_plan, still_done
from paxel.media.playlistfetch import fetch_playlist
from paxel.media.progress import MediaProgress
from paxel.media.stream import Stream, resolve
from paxel.transport import check_url

log = logging.getLogger("paxel.media")
WORK_SUFFIX = ".paxel-media"
STATE = "state.json"
LOCK = "lock"
SPEED_WINDOW = 2.0      # seconds of arrivals the reported speed is measured over
STATE_EVERY = 0.5       # seconds between resume-state writes (a piece is on disk before it counts)
Decrypt = Mapping[str, tuple[bytes, str]]   # piece name → its IV and key piece


@dataclass(frozen=True)
class MediaResult:
    path: Path
    size: int
    paused: bool
    segments: int
    fetched: int = 0                 # bytes fetched by this run (not counting a resumed part)
    note: str | None = None          # e.g. "saved as MPEG-TS: ffmpeg is not installed"


class MediaJob:
    def __init__(self, options: DownloadOptions, max_height: int | None = None,
                 on_progress: Callable[[MediaProgress], None] | None = None,
                 ffmpeg: str | bool | None = True, platform: str = sys.platform) -> None:
        """`ffmpeg`: True = look on PATH, None/False = behave as if there were none, or a path.
        `platform`: Windows gets no pipes to ffmpeg (tracks are joined into files first)."""
        self.platform = platform
        self.options = options
        self.max_height = max_height
        self._on_progress = on_progress
        self._ffmpeg = mux.find_ffmpeg() if ffmpeg is True else (ffmpeg or None)
        self._lock = threading.RLock()      # (held again by _save_state inside _on_unit)
        self._cond = threading.Condition(self._lock)
        self._telling = threading.Lock()    # progress goes to on_progress one at a time (_tell)
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self._unit_job: UnitJob | None = None
        self._done: dict[str, Done] = {}
        self._present: set[str] = set()
        self._segs = 0                    # how many of `_present` are segments (counted, not summed:
                                          # a sum per arrival made 20 000 segments quadratic)
        self._keys: dict[str, bytes] = {}
        self._failed: BaseException | None = None
        self._bytes = 0
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])   # (when, bytes)
        self._total = 0
        self._path: Path | None = None
        self._state_written = 0.0
        self.live = False                 # known once the playlist is read
        self.stream: Stream | None = None
        self._last = MediaProgress(state="probing", url=options.url, final_url=None, filename=None,
                                   path=None, total=None, done=0, speed=0.0, eta=None, segments=(),
                                   connections=options.connections)

    @property
    def progress(self) -> MediaProgress:
        """The last report (a "probing" one before the first segment), for a poller."""
        with self._lock:
            return self._last

    # ---- control ------------------------------------------------------------------------
    def pause(self) -> None:
        self._halt("pause")

    def cancel(self) -> None:
        self._halt("cancel")

    def set_max_speed(self, rate: int | None) -> None:
        """The job's own limit from now on: the running batch of segments at once, later ones
        (a live stream's next playlist read) from their start."""
        self.options = replace(self.options, max_speed=rate)
        job = self._unit_job
        if job is not None:
            job.set_max_speed(rate)

    def stop(self) -> None:
        """A live recording ends here and the file is made from what was recorded."""
        self._halt("stop")

    def _halt(self, reason: str) -> None:
        with self._cond:
            self._stop_reason = self._stop_reason or reason
            self._stop.set()
            self._cond.notify_all()
        job = self._unit_job
        if job is not None and reason != "stop":
            job.pause() if reason == "pause" else job.cancel()

    # ---- fetching helpers ---------------------------------------------------------------
    def _fetch_text(self, url: str) -> tuple[str, str]:
        """A playlist's text, with this job's headers, cookies and retries (paxel.media.playlistfetch)."""
        return fetch_playlist(url, self.options, self._deadline), url

    _deadline: float | None = None

    def resolve(self, within: float | None = None) -> Stream:
        """Read the playlist/manifest, choose the variant, read its media playlists (all of it
        `within` seconds, when given: the service's media_probe)."""
        self._deadline = None if within is None else time.monotonic() + within
        return resolve(self.options.url, lambda url: self._fetch_text(url)[0], self.max_height)

    # ---- the job ------------------------------------------------------------------------
    def output_path(self, ext: str, busy: frozenset[str] = frozenset()) -> Path:
        return naming.output_path(self.options, ext, WORK_SUFFIX, STATE, busy)

    def run(self) -> MediaResult:
        # before a playlist is read or a work folder made (the UnitJob would refuse them late)
        if not 1 <= self.options.connections <= MAX_CONNECTIONS:
            raise UsageError(f"connections must be 1..{MAX_CONNECTIONS}, not {self.options.connections}")
        if self.max_height is not None and self.max_height < 1:
            raise UsageError(f"a media quality is a picture height of 1 or more, not {self.max_height}")
        stream = self.resolve()
        self.stream = stream
        self.live = any(t.live for t in stream.tracks)
        plan = make_plan(stream.tracks)
        for piece in (*plan.keys, *plan.pieces):   # before a work folder is made for nothing
            check_url(piece.url)
        ffmpeg = self._ffmpeg
        if ffmpeg is None and mux.needs_ffmpeg(plan.tracks):
            raise mux.no_ffmpeg()
        ext = ".mp4" if ffmpeg else ".ts"
        busy: set[str] = set()
        while True:
            output = self.output_path(ext, frozenset(busy))
            if output.exists() and not self.options.overwrite:
                raise UsageError(f"{output} exists already")
            work = output.with_name(output.name + WORK_SUFFIX)
            try:
                work.mkdir(parents=True, exist_ok=True)
            except FileExistsError:   # a file of the user's (naming passes such a name over)
                raise UsageError(f"{work} is in the way: paxel keeps a stream's segments in a "
                                 "folder of that name until its file is made") from None
            lock = os.open(work / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            if storage.lock_exclusive(lock):
                break
            os.close(lock)
            if self.options.output is not None:   # the name was asked for: it is this stream's
                raise UsageError(f"{output} is being downloaded by another paxel right now")
            busy.add(output.name)   # another stream chose the same name a moment ago: the next one
        self._path = output
        try:
            return self._run_locked(stream, plan, ffmpeg, output, work)
        finally:
            os.close(lock)

    def _run_locked(self, stream: Stream, plan: Plan, ffmpeg: str | None, output: Path,
                    work: Path) -> MediaResult:
        tracks = list(stream.tracks)
        if stream.kind == "hls":   # a recording killed while live: what it had is no longer listed
            tracks = live.resumed(tracks, self._recorded(work))
            plan = plan if tracks == list(stream.tracks) else make_plan(tracks)
        if self.live:
            plan, self._live_end = live.record(
                tracks, lambda p: self._fetch(p, work, None, work / "unused"), self._stop,
                lambda t: hls.parse_media(self._fetch_text(t.url)[0], t.url, t.kind))
            if not plan.segment_count and self._stop_reason not in ("pause", "cancel"):
                # (ffmpeg given no input says only "Invalid data found when processing input")
                why = f": {self._live_end}" if self._live_end else ""
                raise ServerMisbehaved(f"nothing was recorded from the live stream{why}")
        else:
            self._fetch(plan, work, ffmpeg, output)
        if self._stop_reason in ("pause", "cancel"):
            if self._stop_reason == "cancel":
                shutil.rmtree(work, ignore_errors=True)
                raise Cancelled("cancelled")
            return MediaResult(output, self._bytes, True, len(self._done), self._bytes)
        note = self._live_end
        if self.live or not self._overlapped:
            self._report_muxing()
            mux.mux_after(plan, work, ffmpeg, output, self.platform)
        if ffmpeg is None:
            plain = "saved as MPEG-TS: ffmpeg is not installed, so no MP4 was made"
            note = f"{note}; {plain}" if note else plain
        size = output.stat().st_size
        shutil.rmtree(work, ignore_errors=True)
        return MediaResult(output, size, False, plan.segment_count, self._bytes, note)

    _overlapped = False
    _live_end: str | None = None      # why a live recording ended by itself before ENDLIST
    _key_pieces: frozenset[Piece] = frozenset()

    def _recorded(self, work: Path) -> dict[str, Done]:
        try:
            return decode_state((work / STATE).read_bytes(), self.options.url)
        except FileNotFoundError:
            return {}

    def _prepare(self, plan: Plan, work: Path) -> list[Piece]:
        """Load the resume state, drop what it does not vouch for, fetch the keys; the pieces
        still to fetch."""
        recorded = self._recorded(work)
        sizes = {p.name: p.stat().st_size for p in work.iterdir() if p.is_file()}
        every = (*plan.keys, *plan.pieces)
        keep = still_done(every, recorded, sizes)
        for p in work.iterdir():
            if p.name not in (STATE, LOCK) and p.name not in keep and p.is_file():
                p.unlink()
        with self._lock:
            self._done = {n: recorded[n] for n in keep}
            self._present = set(keep)
            self._segs = sum(1 for n in keep if n.endswith(".seg"))
            self._total = plan.segment_count
        self._key_pieces = frozenset(plan.keys)
        missing_keys = [k for k in plan.keys if k.name not in keep]
        if missing_keys:
            self._run_units(missing_keys, work, {})
        for k in plan.keys:
            self._keys[k.name] = (work / k.name).read_bytes()
        with self._lock:   # the output's name and the counts are known from here: say so at once
            self._report(self._segs, self._bytes, 0.0)
        self._tell()
        return [p for p in plan.pieces if p.name not in keep]

    def _fetch(self, plan: Plan, work: Path, ffmpeg: str | None, output: Path) -> None:
        todo = self._prepare(plan, work)
        muxer = None
        single_run = all(len({s.discontinuity for s in t.segments}) <= 1 for t in plan.tracks)
        if ffmpeg is not None and single_run and mux.pipes_work(self.platform):
            # mux while fetching: ffmpeg reads the segments in order as they arrive
            muxer = mux.Muxer(ffmpeg, plan.tracks, mux.part_path(work),
                              lambda name: self._ready(work, name), mux.container_for(output))
            muxer.start()
            self._overlapped = True
        decrypt = plan.decrypt
        try:
            self._run_units(todo, work, decrypt)
            # (in the try: the MP4 still being made may have taken the room meanwhile; then it
            # goes and the state is written again below, or a rerun fetched every segment again)
            self._save_state(work)
        except BaseException as exc:
            with self._cond:
                self._failed = exc
                self._cond.notify_all()
            if muxer is not None:
                muxer.abort()
                with contextlib.suppress(BaseException):
                    muxer.wait()
                storage.remove_quietly(mux.part_path(work))
            # Recorded after the unfinished MP4 is gone: on a full disk it held the room the
            # state needs, the write failed, and a rerun fetched every segment again. Should
            # it still fail, the error that stopped the fetch is the one to report.
            with contextlib.suppress(OSError, DiskError):   # write_atomic's refusal is a DiskError
                self._save_state(work)
            if isinstance(exc, Cancelled) and self._stop_reason in ("pause", "cancel"):
                return
            raise
        if muxer is not None:
            self._report_muxing()
            try:
                muxer.wait()
            except BaseException:
                storage.remove_quietly(mux.part_path(work))
                raise
            storage.place(mux.part_path(work), output)

    def _ready(self, work: Path, name: str) -> Path:
        with self._cond:
            while name not in self._present:
                if self._failed is not None or self._stop_reason in ("pause", "cancel"):
                    raise Cancelled("stopped")
                self._cond.wait(0.5)
        return work / name

    def _run_units(self, pieces: Sequence[Piece], work: Path, decrypt: Decrypt) -> None:
        if not pieces:
            return
        units = [Unit(p.url, work / (p.name + ".enc" if p.name in decrypt else p.name), p.byte_range)
                 for p in pieces]
        by_path = {u.path: p for u, p in zip(units, pieces, strict=True)}
        job = UnitJob(units, self.options,
                      on_unit=lambda d: self._on_unit(d, by_path[d.unit.path], work, decrypt))
        self._unit_job = job
        if self._stop.is_set() and self._stop_reason != "stop":
            raise Cancelled("stopped")
        job.run()

    def _on_unit(self, done: UnitDone, piece: Piece, work: Path, decrypt: Decrypt) -> None:
        keyed = decrypt.get(piece.name)
        size = arrival.accept(piece.url, done.path, done.size, work / piece.name,
                              is_key=piece in self._key_pieces,
                              decrypt=None if keyed is None else (keyed[0], self._keys[keyed[1]]))
        with self._cond:
            self._done[piece.name] = Done(piece.url, piece.byte_range, size)
            self._segs += piece.name not in self._present and piece.name.endswith(".seg")
            self._present.add(piece.name)
            self._bytes += done.size
            if time.monotonic() - self._state_written >= STATE_EVERY:
                self._save_state(work)
            self._cond.notify_all()
            segs = self._segs
            now = time.monotonic()
            self._samples.append((now, self._bytes))
            while len(self._samples) > 2 and now - self._samples[1][0] >= SPEED_WINDOW:
                self._samples.popleft()
            (t0, b0), done_bytes = self._samples[0], self._bytes
            self._report(segs, done_bytes, (done_bytes - b0) / max(now - t0, 1e-3))
        self._tell()

    def _save_state(self, work: Path) -> None:
        """Record the finished pieces (every STATE_EVERY s, and when a fetch ends or stops: a
        piece missing from it after a crash is only fetched again)."""
        with self._lock:
            storage.write_atomic(work / STATE, encode_state(self.options.url, self._done))
            self._state_written = time.monotonic()

    def _report(self, segs: int, done: int, speed: float, muxing: bool = False) -> None:
        """The progress from now on (told by _tell, once out of the lock)."""
        with self._lock:
            self._last = MediaProgress(
                state="downloading", url=self.options.url, final_url=None,
                filename=self._path.name if self._path else None, path=self._path, total=None,
                done=done, speed=speed, eta=None, segments=(), connections=self.options.connections,
                segments_done=segs, segments_total=self._total, muxing=muxing, live=self.live)

    def _tell(self) -> None:
        """Hand the latest progress to the callback, never with self._lock held: the service's
        callback takes the service's lock, and the service holds that lock while it pauses this
        job (_halt takes self._lock): a worker telling a segment under self._lock deadlocked a
        pause that came just then. One at a time and always the latest, so the callback still
        sees the counts in order."""
        if self._on_progress is None:
            return
        with self._telling:
            with self._lock:
                last = self._last
            self._on_progress(last)

    def _report_muxing(self) -> None:
        """Every segment is in: what is left is ffmpeg's (the phase a client shows as muxing)."""
        with self._lock:
            self._report(self._segs, self._bytes, 0.0, muxing=True)
        self._tell()
