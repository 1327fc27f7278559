"""One download: probe, plan, worker threads, checkpoints, verification, rename.

Threads: `run()`'s thread is the coordinator (probe, checkpoints, progress, slow-connection
watch); each worker thread owns one Transport (keep-alive session) and fetches one segment at a
time into the shared `.part` file. All segment bookkeeping happens under `self._lock` through
paxel.segments; the lock is never held across network or disk I/O.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from paxel import resume, storage
from paxel.checksum import file_digests, parse_checksum
from paxel.cookies import Cookie
from paxel.errors import (
    Cancelled,
    ChecksumMismatch,
    DiskError,
    HTTPStatusError,
    NetworkError,
    PaxelError,
    ServerMisbehaved,
    UsageError,
)
from paxel.filenames import choose_name, safe_filename, unique_name
from paxel.headers import parse_retry_after
from paxel.probe import (
    DECODABLE,
    FileChanged,
    ProbeResult,
    RangesUntrusted,
    check_full,
    check_partial,
    encoding,
    interpret,
    range_validator,
)
from paxel.ratelimit import TokenBucket
from paxel.retry import RetryPolicy, made_progress, retryable_status
from paxel.segments import Segment, SegmentTable, request_size, slow_owners
from paxel.transport import HttpTransport, Reply, Transport, check_url

log = logging.getLogger("paxel.engine")

MiB = 1 << 20
READ_SIZE = MiB            # one readinto per MiB: large enough that Python overhead vanishes
MIN_READ = 64 * 1024       # ...but a slow connection reads less at a time (see _read_size)
READ_SECONDS = 0.25
MAX_CONNECTIONS = 32
MAX_RESTARTS = 3           # the file changed / ranges broke this often: give up
CHECKPOINT_BYTES = MiB     # per connection: at most this much is re-fetched after a crash
BACKGROUND_PREALLOCATE = 16 * MiB  # reserve larger files while downloading (see _preallocate)
CHECKPOINT_INTERVAL = 0.5  # seconds: and at least this often while bytes arrive
REQUEST_SECONDS = 1.5      # a connection asks for the whole rest of its segment once it is this near
DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class DownloadOptions:
    url: str
    folder: Path | None = None
    filename: str | None = None
    output: Path | None = None
    connections: int = 8
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cookies: Sequence[Cookie] = ()
    max_speed: int | None = None
    checksum: str | None = None
    proxy: str | None = None
    # additions beyond the published contract
    overwrite: bool = False          # -o onto an existing file replaces it instead of failing
    timeout: float = 30.0            # seconds without a byte before a connection counts as dead
    retry: RetryPolicy = DEFAULT_RETRY
    min_split: int = MiB             # never split a range into pieces smaller than this


@dataclass(frozen=True)
class Progress:
    state: str
    url: str
    final_url: str | None
    filename: str | None
    path: Path | None
    total: int | None
    done: int
    speed: float
    eta: float | None
    segments: tuple[tuple[int, int, int], ...]
    connections: int
    note: str | None = None          # last notable event ("server file changed, restarting")


@dataclass(frozen=True)
class Result:
    path: Path
    size: int
    paused: bool
    sha256: str | None
    renamed_from: Path | None = None  # the name it was meant to have, taken meanwhile by another file


class _Stop(Exception):
    """Internal: pause or cancel was requested; unwinds a worker quietly."""


class Download:
    """A single download; `run()` blocks, `pause()`/`cancel()` may come from any thread."""

    def __init__(self, options: DownloadOptions, on_progress: Callable[[Progress], None] | None = None,
                 progress_interval: float = 0.25) -> None:
        self.options = options
        self._on_progress = on_progress
        self._interval = progress_interval
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self._state = "probing"
        self._note: str | None = None
        self._path: Path | None = None
        self._state_saved = False                    # a resume-state file was written
        self._part: storage.PartFile | None = None   # claimed (locked) `.part` while we run
        self._probe: ProbeResult | None = None
        self._table: SegmentTable | None = None
        self._streamed = 0                      # bytes written when the size is unknown
        self._replies: dict[int, Reply] = {}
        self._seg_started: dict[int, tuple[float, int]] = {}   # worker -> (since, written then)
        self._finished_rates: list[float] = []                 # speeds of recently completed segments
        self._fatal: PaxelError | None = None
        self._live = 0
        self._no_ranges = False
        self._furthest = 0      # without ranges: the most bytes any try from byte 0 reached
        self._restarts = 0      # without ranges: tries that started over from byte 0
        self._bucket = TokenBucket(options.max_speed) if options.max_speed else None
        self._samples: list[tuple[float, int]] = []
        self._speed = 0.0

    # ---- public surface ------------------------------------------------------------------

    def pause(self) -> None:
        self._request_stop("pause")

    def cancel(self) -> None:
        self._request_stop("cancel")

    @property
    def progress(self) -> Progress:
        with self._lock:
            table, probe = self._table, self._probe
            total = table.total if table else (probe.size if probe else None)
            if table is not None:
                done = total if self._state == "completed" and total is not None else table.durable
                segments, active = table.snapshot(), len(table.active())
            else:
                done, segments, active = self._streamed, (), self._live
            remaining = None if total is None else total - done
            eta = remaining / self._speed if remaining is not None and self._speed > 0 else None
            return Progress(self._state, self.options.url, probe.url if probe else None,
                            self._path.name if self._path else None, self._path, total, done,
                            self._speed, eta, segments, active, self._note)

    def run(self) -> Result:
        """Download to the end; returns Result(paused=True) after pause(); raises PaxelError."""
        try:
            result = self._run()
        except Cancelled:
            self._set_state("cancelled")
            raise
        except PaxelError as exc:
            self._set_state("failed")
            exc.part_path = self._leftover_part()
            raise
        except Exception as exc:  # a bug must still leave a clear state and message behind
            self._set_state("failed")
            error = PaxelError(f"internal error: {exc!r}")
            error.part_path = self._leftover_part()
            raise error from exc
        return result

    def _leftover_part(self) -> Path | None:
        """The `.part` a failed run left behind (for whoever removes the download), if any."""
        if self._path is None:
            return None
        part = resume.part_path(self._path)
        return part if os.path.lexists(part) and not part.is_symlink() else None

    # ---- the download ----------------------------------------------------------------------

    def _run(self) -> Result:
        opts = self.options
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
                        self._say(f"{exc}; falling back to one plain connection")
                        self._no_ranges = True
                    except FileChanged as exc:
                        self._say(f"{exc}; restarting from scratch")
                    self._reset_for_restart()
            except _Stop:
                return self._stopped()
            self._discard_part()  # bytes of several versions: nothing worth keeping
            raise ServerMisbehaved("the server kept changing the file or its ranges; giving up")
        finally:
            self._release_part()

    def _release_part(self) -> None:
        """Unlock the `.part` (closing it); one we created and never wrote to goes away too."""
        part, self._part = self._part, None
        if part is None:
            return
        try:
            state = part.path.with_name(part.path.name + resume.SUFFIX)
            if part.created and part.size() == 0 and not state.exists():
                part.discard()
        finally:
            part.close()

    def _discard_part(self) -> None:
        """Delete our `.part` through the handle we hold (Windows cannot delete an open file)."""
        part, self._part = self._part, None
        if part is not None:
            part.discard()
        elif self._path is not None:
            storage.remove_quietly(resume.part_path(self._path))

    def _stopped(self) -> Result:
        """After pause(): keep `.part` + state and report; after cancel(): remove both."""
        path = self._path
        if self._stop_reason == "cancel":
            self._discard_part()
            if path is not None:
                storage.remove_quietly(resume.state_path(path))
            raise Cancelled(f"download of {self.options.url} cancelled")
        self._set_state("paused")
        self._emit(time.monotonic())
        return Result(path or Path(), self.progress.done, True, None)

    def _attempt(self, expected: tuple[str, str] | None) -> Result:
        opts = self.options
        main = self._transport()
        try:
            state: resume.ResumeState | None = None
            if opts.output is not None and self._part is None:
                self._path = self._check_output(opts.output)
                self._part = self._claim_output(self._path)
            if self._path is not None and self._part is not None and not self._part.created:
                # (a state beside a .part we just made is void)
                state = self._trusted(self._load_state(self._path))
            reply, probe = self._probe_request(main, state)
            try:
                if state is not None and not _same_file(state, probe):
                    self._say("the file on the server changed since the last run; starting over")
                    state = None
                    if probe.first != 0 or probe.status == 200:  # ask again without If-Range
                        reply.close()
                        reply, probe = self._probe_request(main, None)
                if self._path is None:
                    self._path, state = self._choose_path(probe)
            except BaseException:
                reply.close()
                raise
            reply_for_first: Reply | None = reply
            if probe.status == 416 or (state is not None and probe.first != resume.first_missing(state)):
                reply.close()  # nothing useful in this body: no bytes or bytes already on disk
                reply_for_first = None
            with self._lock:
                self._probe = probe
                self._state = "running"
            self._emit(time.monotonic())   # the path is known from here: say so at once
            if probe.size is None:
                return self._stream_unknown(main, reply_for_first, expected)
            return self._segmented(main, probe, state, reply_for_first, expected)
        finally:
            main.close()

    def _segmented(self, main: Transport, probe: ProbeResult, state: resume.ResumeState | None,
                   reply: Reply | None, expected: tuple[str, str] | None) -> Result:
        assert self._path is not None and probe.size is not None
        size = probe.size
        ranged = probe.ranges and not self._no_ranges
        if state is not None:
            table = SegmentTable(size, [Segment.fresh(a, b, d) for a, b, d in state.ranges])
            self._say(f"resuming: {state.done} of {size} bytes already on disk")
        else:
            parts = min(self.options.connections, max(1, size // self.options.min_split)) if ranged else 1
            table = SegmentTable.plan(size, parts)
        workers: list[threading.Thread] = []
        part = self._part
        assert part is not None
        try:
            if state is None:
                part.truncate(0)
            with self._lock:
                self._table = table
            self._checkpoint(part, probe)
            if size > BACKGROUND_PREALLOCATE:
                workers.append(threading.Thread(target=self._preallocate, name="paxel-preallocate",
                                                args=(part, size), daemon=True))
            else:
                part.preallocate(size)
            first_seg = None
            if reply is not None:
                first_seg = next(s for s in table.segments if s.pos == probe.first)
                first_seg.owner = 0
                first_seg.requested = min(first_seg.end, reply.body_end or first_seg.end)
                self._seg_started[0] = (time.monotonic(), first_seg.written)
            # a resumed file may have one range left: the other connections split it
            left = size - table.written
            wanted = min(self.options.connections,
                         max(len(table.segments), left // self.options.min_split)) if ranged else 1
            # a tiny file is all in the first reply: no thread, no coordinator round trips
            inline = reply is not None and wanted == 1 and size <= CHECKPOINT_BYTES
            if not inline:
                workers.append(threading.Thread(target=self._worker, name="paxel-worker-0",
                                                args=(0, main, part, first_seg, reply), daemon=True))
            for wid in range(1, wanted):
                workers.append(threading.Thread(target=self._worker, name=f"paxel-worker-{wid}",
                                                args=(wid, None, part, None, None), daemon=True))
            self._live = wanted
            for t in workers:
                t.start()
        except BaseException:
            if not any(t.ident for t in workers) and reply is not None:  # nobody else cleans up
                reply.close()
            raise
        if inline:
            self._worker(0, main, part, first_seg, reply)
        self._coordinate(part, probe, workers)
        return self._finish(part, probe, expected)

    def _coordinate(self, part: storage.PartFile, probe: ProbeResult,
                    workers: list[threading.Thread]) -> None:
        """Checkpoints, progress and the slow-connection watch until every worker has ended."""
        table = self._table
        assert table is not None
        last_checkpoint = last_progress = last_watch = time.monotonic()
        try:
            while self._live > 0:
                self._wake.wait(min(self._interval, CHECKPOINT_INTERVAL))
                self._wake.clear()
                now = time.monotonic()
                with self._lock:
                    unsynced = table.written - table.durable
                    active = max(1, len(table.active()))
                if unsynced and (unsynced >= CHECKPOINT_BYTES * active
                                 or now - last_checkpoint >= CHECKPOINT_INTERVAL):
                    self._checkpoint(part, probe)
                    last_checkpoint = now
                if now - last_watch >= 1.0:
                    self._give_up_slow(now)
                    last_watch = now
                if now - last_progress >= self._interval:
                    self._emit(now)
                    last_progress = now
        except BaseException:  # e.g. a checkpoint hit a full disk: the workers stop too, not finish
            self._request_stop(None)
            raise
        finally:
            for t in workers:
                t.join()
        finishing = self._fatal is None and not self._stop.is_set() and table.finished
        if not finishing and not isinstance(self._fatal, FileChanged | RangesUntrusted):
            try:
                self._checkpoint(part, probe)
            except DiskError:
                if self._fatal is None:
                    raise
        if self._fatal is not None:
            raise self._fatal
        if self._stop.is_set():
            raise _Stop
        if not table.finished:  # never rename a file with holes as if it were complete
            raise PaxelError(f"internal error: every connection ended with {table.total - table.written} "
                             "bytes missing")

    def _finish(self, part: storage.PartFile, probe: ProbeResult, expected: tuple[str, str] | None) -> Result:
        """All bytes are on disk: fsync, verify, rename, forget the state."""
        assert self._path is not None
        wanted = self._path
        part.sync()
        sha256 = self._verify(part, probe, expected)
        # still locked (POSIX): nobody takes the name for a leftover meanwhile
        path = self._place(part, wanted, replace=self.options.overwrite and self.options.output is not None)
        storage.remove_quietly(resume.state_path(wanted))
        if self._state_saved:  # the data was fsync'd above; this makes the rename durable too
            _sync_folder(path.parent)
        self._release_part()
        size = probe.size if probe.size is not None else self._streamed
        if path != wanted:
            self._say(f"{wanted.name} was taken meanwhile by another file; saved as {path.name}")
        with self._lock:
            self._path = path
            self._state = "completed"
        self._emit(time.monotonic())
        return Result(path, size, False, sha256, wanted if path != wanted else None)

    def _place(self, part: storage.PartFile, wanted: Path, *, replace: bool = False) -> Path:
        """Give the finished file the name `wanted`, or `wanted (1).ext`... when a file took it
        meanwhile: never replaces anything unless `replace` (explicit overwrite)."""
        path, folder = wanted, wanted.parent

        def taken(name: str) -> bool:
            return os.path.lexists(folder / name) or os.path.lexists(resume.part_path(folder / name))

        while True:
            try:
                part.move_to(path, replace=replace)
                return path
            except FileExistsError:
                path = folder / unique_name(wanted.name, taken)

    def _verify(self, part: storage.PartFile, probe: ProbeResult,
                expected: tuple[str, str] | None) -> str | None:
        """Check the user's and the server's digests; a mismatch moves the file aside."""
        wanted: dict[str, str] = dict(probe.digests)
        if expected is not None:
            wanted[expected[0]] = expected[1]
        try:
            got = file_digests(part.path, wanted)
        except OSError as exc:
            raise storage.disk_error("read back", part.path, exc) from None
        for name, hexdigest in wanted.items():
            if got[name] != hexdigest:
                assert self._path is not None
                aside = self._place(part, self._path.with_name(self._path.name + ".checksum-mismatch"))
                storage.remove_quietly(resume.state_path(self._path))
                source = "expected" if expected and expected[0] == name else "the server's digest says"
                raise ChecksumMismatch(f"{name} of the download is {got[name]} but {source} {hexdigest}; "
                                       f"kept as {aside}")
        return got.get("sha256")

    # ---- probe, names, state ---------------------------------------------------------------

    def _transport(self) -> Transport:
        o = self.options
        return HttpTransport(o.url, o.headers, o.cookies, o.proxy, o.timeout)

    def _probe_request(self, transport: Transport,
                       state: resume.ResumeState | None) -> tuple[Reply, ProbeResult]:
        """The first request (with retries): its answer is the probe and feeds the first segment.

        It asks for a bounded range (the first min_split bytes, or of the first missing range when
        resuming): the 206's Content-Range still tells the size, a small file is still one request,
        and a large one does not stream past what its first segment needs."""
        if_range = first = last = None
        if state is not None:
            if_range = range_validator(state.etag, state.last_modified)
        if not self._no_ranges:
            first, end = resume.resume_bounds(state) if state is not None else (0, None)
            last = first + self.options.min_split - 1
            if end is not None:
                last = min(last, end - 1)
        url = state.final_url if state is not None else self.options.url
        failures = 0
        while True:
            self._check_stop()
            try:
                reply = transport.get(url, first, last, if_range)
                if reply.status in (200, 206, 416):
                    try:
                        probe = interpret(reply.url, reply.status, reply.headers, first, last)
                    except BaseException:
                        reply.close()
                        raise
                    if probe.status == 200 and first:
                        probe = replace(probe, first=0)
                    if probe.status == 206 and probe.size is not None and last is not None:
                        reply.body_end = min(last + 1, probe.size)
                    else:
                        reply.body_end = probe.size
                    return reply, probe
                reply.close()
                self._raise_status(reply, first_request=True)
            except (NetworkError, _Retry) as exc:
                failures += 1
                self._retry_or_raise(exc, failures)

    def _raise_status(self, reply: Reply, *, first_request: bool) -> None:
        status = reply.status
        what = f"{reply.url} answered {status}"
        if retryable_status(status):
            raise _Retry(what, status, parse_retry_after(reply.headers.get("Retry-After"), time.time()))
        if status in (401, 403):
            what += " (access denied: cookies or login missing or expired?)"
        elif status == 404:
            what += " (not found)"
        if not first_request and status == 416:
            raise FileChanged(f"{what}: the file got shorter on the server")
        raise HTTPStatusError(what, status=status)

    def _check_output(self, output: Path) -> Path:
        path = output.expanduser().absolute()
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give a file name or use the folder option")
        if path.exists() and not self.options.overwrite:
            raise UsageError(f"{path} already exists; not overwriting it")
        _make_folder(path.parent)
        return path

    def _choose_path(self, probe: ProbeResult) -> tuple[Path, resume.ResumeState | None]:
        """Safe unique name in the folder; an unfinished `.part` of this same URL is resumed."""
        folder = (self.options.folder or Path.cwd()).expanduser().absolute()
        _make_folder(folder)
        wanted = safe_filename(self.options.filename) if self.options.filename else \
            choose_name(probe.filename, probe.url)
        found: dict[str, resume.ResumeState] = {}
        busy: set[str] = set()   # names whose `.part` another running download holds

        def taken(name: str) -> bool:
            final = folder / name
            if name in busy or os.path.lexists(final):
                return True
            if not os.path.lexists(resume.part_path(final)):
                return False
            state = self._load_state(final)
            if state is not None and _same_file(state, probe):
                found[name] = state
                return False
            return state is None or state.url != self.options.url

        while True:
            name = unique_name(wanted, taken)
            try:
                part = storage.PartFile.claim(resume.part_path(folder / name))
            except storage.NotAPart as exc:  # e.g. a dangling symlink: not ours, leave it be
                self._say(f"{exc}; choosing another name")
                busy.add(name)
                continue
            if part is not None and not os.path.lexists(folder / name):
                self._part, self._path = part, folder / name
                if part.created:
                    return folder / name, None
                state = self._trusted(found.get(name))
                self._path = None
                if self._part is not None:   # trusted, or started clean on a fresh `.part`
                    return folder / name, state
                continue
            if part is not None:  # finished by another download since we looked: not ours
                if part.created:
                    part.discard()
                part.close()
            busy.add(name)

    def _claim_output(self, path: Path) -> storage.PartFile:
        """Claim `-o FILE`'s `.part`. A symlink there (dangling or not) is removed, never
        followed (the link only: its target is untouched), and the download starts clean."""
        for _ in range(3):
            try:
                part = storage.PartFile.claim(resume.part_path(path))
            except storage.NotAPart:
                if not resume.part_path(path).is_symlink():
                    raise
                self._say(f"{resume.part_path(path).name} was a symlink; removed it (not its target), "
                          "starting clean")
                storage.remove_quietly(resume.part_path(path), resume.state_path(path))
                continue
            if part is None:
                raise UsageError(f"{path} is being downloaded by another paxel right now")
            return part
        raise DiskError(f"cannot claim {resume.part_path(path)}: something keeps replacing it")

    def _trusted(self, state: resume.ResumeState | None) -> resume.ResumeState | None:
        """The part of `state` our claimed `.part` can be trusted with (resume.trusted). When it
        can be trusted with nothing, the `.part` is deleted (its name only: a hard link elsewhere
        keeps its data) and a fresh one is claimed in its place; with -o that must succeed,
        otherwise self._part is None afterwards and the caller chooses again."""
        part, path = self._part, self._path
        if state is None or part is None or path is None:
            return None
        kept, why = resume.trusted(state, part.identity(), part.read_at)
        if why:
            self._say(f"{part.path.name}: {why}" + ("" if kept else "; starting clean"))
        if kept is None:
            self._discard_part()
            storage.remove_quietly(resume.state_path(path))
            if self.options.output is not None:
                self._part = self._claim_output(path)
        return kept

    def _load_state(self, path: Path) -> resume.ResumeState | None:
        try:
            data = resume.state_path(path).read_bytes()
            if not resume.part_path(path).exists():
                return None
            state = resume.decode(data)
        except FileNotFoundError:
            return None
        except ValueError as exc:
            self._say(f"ignoring unreadable resume state of {path.name}: {exc}")
            return None
        except OSError as exc:
            raise storage.disk_error("read", resume.state_path(path), exc) from None
        return state if state.url == self.options.url else None

    def _checkpoint(self, part: storage.PartFile, probe: ProbeResult) -> None:
        """fdatasync, then record what is now durable (never the other way round). A file of at
        most CHECKPOINT_BYTES gets no state: it is cheaper to fetch again than to track."""
        table, path = self._table, self._path
        if table is None or path is None or probe.size is None or not probe.ranges or self._no_ranges \
                or probe.size <= CHECKPOINT_BYTES:
            return
        with self._lock:
            marks = table.written_marks()
        part.sync()
        with self._lock:
            table.mark_durable(marks)
            ranges = tuple(table.durable_ranges())
        now = part.identity()
        record = resume.PartRecord(now.device, now.inode, now.size, resume.samples(ranges, part.read_at))
        state = resume.ResumeState(self.options.url, probe.url, probe.size, probe.etag,
                                   probe.last_modified, ranges, record)
        storage.write_atomic(resume.state_path(path), resume.encode(state))
        self._state_saved = True

    def _reset_for_restart(self) -> None:
        """Forget the failed attempt; the stop that ended its workers was ours, not the user's."""
        with self._lock:
            if self._stop_reason is not None:
                raise _Stop
            self._stop.clear()
            self._table, self._probe, self._fatal = None, None, None
            self._state = "probing"
            self._streamed = self._furthest = self._restarts = 0
            self._replies.clear()
            self._seg_started.clear()
        if self._path is not None:
            storage.remove_quietly(resume.state_path(self._path))
            if self.options.output is None:  # the name is chosen afresh (the server's may change)
                self._discard_part()
                self._path = None

    # ---- workers ---------------------------------------------------------------------------

    def _worker(self, wid: int, transport: Transport | None, part: storage.PartFile,
                seg: Segment | None, reply: Reply | None) -> None:
        own = transport is None
        transport = transport or self._transport()
        buf = memoryview(bytearray(READ_SIZE))
        failures = 0
        rate: float | None = None   # this connection's speed over its last request
        counted = False             # already subtracted from self._live
        try:
            while not self._stop.is_set():
                if seg is None:
                    with self._lock:
                        seg = self._table.next_for(wid, self.options.min_split) if self._table else None
                        if seg is None:
                            # counted out under the same lock: a failing connection that hands
                            # its range back must see that nobody is left to take it
                            self._live -= 1
                            counted = True
                            return
                        self._seg_started[wid] = (time.monotonic(), seg.written)
                asked = 0
                try:
                    began, before = time.monotonic(), seg.written
                    if reply is None:
                        reply = self._open_range(transport, seg, rate)
                    asked = (reply.body_end or seg.end) - before
                    complete = self._pump(wid, seg, reply, buf, part, rate)
                    if seg.written > before:
                        failures = 0
                        rate = (seg.written - before) / max(time.monotonic() - began, 1e-6)
                    reply.close(reusable=complete)
                    reply = None
                    with self._lock:
                        if seg.written >= seg.end:
                            self._record_rate(wid, seg)
                            seg.owner = None
                            seg = None
                except (NetworkError, _Retry) as exc:
                    assert seg is not None
                    if reply is not None:
                        reply.close()
                        reply = None
                    with self._lock:
                        self._replies.pop(wid, None)
                        if seg.written >= seg.end:  # given away meanwhile: not a failure
                            seg.owner, seg = None, None
                            continue
                        single = self._no_ranges or not (self._probe and self._probe.ranges)
                        if single:
                            # every try starts at byte 0: beating the last drop point is no
                            # progress (drops that vary would retry forever), only new ground is
                            progressed = seg.written > self._furthest
                            self._furthest = max(self._furthest, seg.written)
                        else:   # a try that brought far less than it asked for is no progress
                            progressed = made_progress(asked, seg.written - before)
                        self._seg_started[wid] = (time.monotonic(), seg.written)
                    if self._stop.is_set():
                        return
                    failures = 1 if progressed else failures + 1
                    if single:
                        self._restart_single(seg, exc)
                    if self.options.retry.gives_up(failures) and self._give_up_worker(wid, seg, exc):
                        seg = None
                        return
                    self._retry_or_raise(exc, failures)
        except _Stop:
            pass
        except Exception as exc:  # a bug too must fail the download, not leave its bytes missing
            self._fail(exc)
        finally:
            if reply is not None:
                reply.close()
            with self._lock:
                if seg is not None:
                    self._table_release(seg)
                self._replies.pop(wid, None)
                if not counted:
                    self._live -= 1
            if own:
                transport.close()
            self._wake.set()

    def _preallocate(self, part: storage.PartFile, size: int) -> None:
        """Reserve the whole file while the first bytes already arrive (on tmpfs reserving means
        zeroing memory, which would otherwise delay the start); a full disk stops everything."""
        try:
            part.preallocate(size)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """A worker thread's error ends the download; the first one is what run() raises."""
        if not isinstance(exc, PaxelError):
            log.error("internal error in a worker", exc_info=exc)
            exc = PaxelError(f"internal error: {exc!r}")
        with self._lock:
            if self._fatal is None:
                self._fatal = exc
        self._request_stop(None)

    def _record_rate(self, wid: int, seg: Segment) -> None:
        """Remember how fast a finished segment came (caller holds the lock)."""
        started, base = self._seg_started.get(wid, (0.0, seg.written))
        # a segment done within a few ms still counts (as at most its bytes per 50 ms): on a fast
        # link every other segment may end that quickly, and a lone slow one must still be judged
        took = max(time.monotonic() - started, 0.05)
        if seg.written > base:
            self._finished_rates = [*self._finished_rates[-7:], (seg.written - base) / took]

    def _table_release(self, seg: Segment) -> None:
        if self._table is not None:
            self._table.release(seg)

    def _give_up_worker(self, wid: int, seg: Segment, exc: Exception) -> bool:
        """A connection that keeps failing while others work hands its range back and ends
        (servers that limit connections per client); the last one standing fails the download."""
        with self._lock:
            if self._live <= 1:
                return False
            self._table_release(seg)
        log.info("connection %d gives up (%s); others continue", wid, exc)
        return True

    def _restart_single(self, seg: Segment, exc: NetworkError | _Retry) -> None:
        """Without ranges a dropped stream can only start over from byte 0; even tries that
        reach new ground each time are bounded in number by the retry policy."""
        with self._lock:
            seg.pos = seg.written = seg.durable = seg.start
            self._restarts += 1
            restarts = self._restarts
        if restarts > self.options.retry.restarts:
            raise NetworkError(f"{exc} (gave up after {restarts} tries from byte 0: "
                               "the server does not support ranges)") from None

    def _open_range(self, transport: Transport, seg: Segment, rate: float | None) -> Reply:
        """Ask for the next piece of `seg` (see segments.request_size); without ranges, all of it."""
        probe, table = self._probe, self._table
        assert probe is not None and probe.size is not None and table is not None
        ranged = probe.ranges and not self._no_ranges
        with self._lock:
            first = seg.pos
            size = request_size(seg.remaining, rate, self.options.min_split, REQUEST_SECONDS) \
                if ranged else seg.remaining
            last = table.request(seg, size) - 1
        reply = transport.get(probe.url, first if ranged else None, last if ranged else None,
                              probe.if_range if ranged else None)
        reply.body_end = last + 1
        try:
            if reply.status == 206 and ranged:
                check_partial(reply.headers, first, last, probe.size, probe.etag)
            elif reply.status == 200:
                if ranged:
                    check_full(reply.headers, probe.etag, probe.last_modified)
                if interpret(reply.url, 200, reply.headers, None).size != probe.size:
                    raise FileChanged("the file changed on the server (size differs)")
            else:
                self._raise_status(reply, first_request=False)
        except BaseException:
            reply.close()
            raise
        return reply

    def _pump(self, wid: int, seg: Segment, reply: Reply, buf: memoryview, part: storage.PartFile,
              rate: float | None) -> bool:
        """Stream `reply` into the file at seg.pos until the segment's (possibly shrunk) end.

        Returns True when the body was read to its very end (the connection can be reused)."""
        table = self._table
        assert table is not None
        with self._lock:
            self._replies[wid] = reply
        began, got = time.monotonic(), 0
        size = _read_size(rate, self._bucket)
        while True:
            self._check_stop()
            with self._lock:
                want = min(size, seg.end - seg.pos, (reply.body_end or seg.end) - seg.pos)
            if want <= 0:
                break
            n = reply.readinto(buf[:want])
            if n <= 0:
                raise NetworkError(f"{reply.url} closed the connection early")
            got += n
            if size < READ_SIZE:
                size = _read_size(got / max(time.monotonic() - began, 1e-3), self._bucket)
            with self._lock:
                offset = seg.pos
                allowed = table.claim(seg, n)
            if allowed:
                part.write_at(buf[:allowed], offset)
                with self._lock:
                    table.commit(seg, allowed)
                    lagging = seg.written - seg.durable >= CHECKPOINT_BYTES
                if lagging:
                    self._wake.set()
            if allowed < n:
                break
            if self._bucket is not None:
                delay = self._bucket.reserve(n)
                if delay > 0 and self._stop.wait(delay):
                    raise _Stop
        with self._lock:
            self._replies.pop(wid, None)
            return reply.body_end == seg.pos

    def _give_up_slow(self, now: float) -> None:
        """A connection far slower than the others hands its remainder to a new connection."""
        with self._lock:
            table = self._table
            if table is None or self._no_ranges:
                return
            running = {s.owner: s for s in table.active() if s.owner is not None and s.remaining > 0}
            rates, elapsed, remaining = {}, {}, {}
            for owner, seg in running.items():
                started, base = self._seg_started.get(owner, (now, seg.written))
                elapsed[owner] = now - started
                rates[owner] = (seg.written - base) / max(elapsed[owner], 1e-6)
                remaining[owner] = seg.remaining
            victims = slow_owners(rates, elapsed, remaining, self._finished_rates)
            replies = []
            for owner in victims:
                if table.take_over(running[owner]) is not None:
                    replies.append(self._replies.get(owner))
        for owner, reply in zip(victims, replies, strict=True):
            log.info("connection %d is far slower than the others; its remainder moves on", owner)
            if reply is not None:
                reply.abort()

    # ---- single stream of unknown length ---------------------------------------------------

    def _stream_unknown(self, main: Transport, reply: Reply | None,
                        expected: tuple[str, str] | None) -> Result:
        """No length: one connection, written to the end; a drop restarts from byte 0. A body
        compressed despite `Accept-Encoding: identity` is decoded here, as one whole stream."""
        assert self._path is not None and self._probe is not None and self._part is not None
        probe, part = self._probe, self._part
        buf = memoryview(bytearray(READ_SIZE))
        failures = 0
        self._live = 1
        try:
            while True:
                try:
                    if reply is None:
                        reply = main.get(probe.url)
                        if reply.status != 200:
                            self._raise_status(reply, first_request=False)
                    decoder = _decoder(reply)
                    part.truncate(0)
                    self._streamed = 0
                    began = last_emit = time.monotonic()
                    size = _read_size(None, self._bucket)
                    got = 0
                    while True:
                        self._check_stop()
                        # a read returns only once its buffer is full: sized to the speed, like
                        # _pump's, so progress and the file move on a slow link too
                        n = reply.readinto(buf[:size])
                        if n == 0:
                            break
                        got += n
                        took = time.monotonic() - began
                        if size < READ_SIZE and took >= READ_SECONDS:  # (the first reads come
                            size = _read_size(got / took, self._bucket)  # from buffers: too fast)
                        self._write_stream(part, decoder.decompress(buf[:n]) if decoder else buf[:n])
                        now = time.monotonic()
                        if now - last_emit >= self._interval:
                            self._emit(now)
                            last_emit = now
                        if self._bucket is not None and self._stop.wait(self._bucket.reserve(n)):
                            raise _Stop
                    if decoder is not None:
                        self._write_stream(part, decoder.flush())
                        if not decoder.eof:
                            raise NetworkError(f"{reply.url}: the compressed body ended early")
                    reply.close(reusable=True)
                    reply = None
                    break
                except (NetworkError, _Retry) as exc:
                    if reply is not None:
                        reply.close()
                        reply = None
                    failures += 1
                    self._retry_or_raise(exc, failures)
                except zlib.error as exc:
                    raise ServerMisbehaved(f"{probe.url}: the compressed body does not decode "
                                           f"({exc})") from None
            probe = replace(probe, size=self._streamed)
            with self._lock:
                self._probe = probe
            return self._finish(part, probe, expected)
        except BaseException:
            if reply is not None:
                reply.close()
            raise

    def _write_stream(self, part: storage.PartFile, data: bytes | memoryview) -> None:
        if data:
            part.write_at(memoryview(data), self._streamed)
            with self._lock:
                self._streamed += len(data)

    # ---- small helpers ---------------------------------------------------------------------

    def _retry_or_raise(self, exc: NetworkError | _Retry, failures: int) -> None:
        """Wait out the backoff (or the server's Retry-After) before try `failures + 1`; once the
        policy gives up, raise the final error naming the cause."""
        if self.options.retry.gives_up(failures):
            if isinstance(exc, _Retry):
                raise HTTPStatusError(f"{exc.message} (gave up after {failures} tries)",
                                      status=exc.status) from None
            raise NetworkError(f"{exc} (gave up after {failures} tries)") from None
        delay = self.options.retry.delay(failures, random.random(),
                                         exc.retry_after if isinstance(exc, _Retry) else None)
        self._say(f"{exc}; retrying in {delay:.1f}s")
        if self._stop.wait(delay):
            raise _Stop

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stop

    def _request_stop(self, reason: str | None) -> None:
        with self._lock:
            if reason is not None and self._stop_reason is None:
                self._stop_reason = reason
            replies = list(self._replies.values())
        self._stop.set()
        for reply in replies:
            reply.abort()
        self._wake.set()

    def _say(self, note: str) -> None:
        log.warning("%s", note)
        with self._lock:
            self._note = note

    def _set_state(self, state: str) -> None:
        with self._lock:
            self._state = state

    def _emit(self, now: float) -> None:
        with self._lock:
            written = self._table.written if self._table else self._streamed
        self._samples.append((now, written))
        while len(self._samples) > 2 and now - self._samples[0][0] > 3.0:
            self._samples.pop(0)
        t0, w0 = self._samples[0]
        if now > t0:
            self._speed = (written - w0) / (now - t0)
        if self._on_progress is not None:
            self._on_progress(self.progress)


class _Retry(Exception):
    """Internal: a retryable HTTP status (5xx, 429, ...) with the server's Retry-After."""

    def __init__(self, message: str, status: int, retry_after: float | None) -> None:
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def _read_size(rate: float | None, bucket: TokenBucket | None) -> int:
    """Bytes per readinto: about READ_SECONDS at the connection's speed, MIN_READ..READ_SIZE.

    A readinto returns only when its buffer is full, so on a slow link a fixed 1 MiB read would
    hold bytes back from the file (and from progress and crash safety) for seconds; a fast one
    still reads 1 MiB at a time, where per-read Python overhead vanishes."""
    size = MIN_READ if rate is None else min(READ_SIZE, max(MIN_READ, int(rate * READ_SECONDS)))
    return bucket.read_size(size) if bucket is not None else size


def _decoder(reply: Reply) -> Any:
    """A zlib decompressor for a gzip/deflate body (None for raw bytes); ServerMisbehaved for an
    encoding paxel cannot decode (the bytes would not be the file)."""
    coding = encoding(reply.headers)
    if coding is None:
        return None
    if coding not in DECODABLE:
        reply.close()
        raise ServerMisbehaved(f"{reply.url} sent the file encoded as {coding!r} although paxel "
                               "asked for identity, and paxel cannot decode that")
    # gzip: wbits 31; deflate: 47 accepts a zlib or a gzip header (servers send either)
    return zlib.decompressobj(31 if coding in ("gzip", "x-gzip") else 47)


def _same_file(state: resume.ResumeState, probe: ProbeResult) -> bool:
    """Validators say the server still has the file the `.part` bytes came from."""
    if probe.size != state.size or not probe.ranges:
        return False
    if state.etag and probe.etag:
        return state.etag == probe.etag
    if state.last_modified and probe.last_modified:
        return state.last_modified == probe.last_modified
    return not (state.etag or state.last_modified)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage.disk_error("create folder", folder, exc) from None
    if not os.access(folder, os.W_OK):
        raise DiskError(f"cannot write to {folder}: permission denied")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only: Windows cannot open folders this way)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def download(url: str, **options: Any) -> Path:
    """Convenience: download `url` with DownloadOptions(url, **options) and return the path."""
    result = Download(DownloadOptions(url, **options)).run()
    if result.paused:  # nobody can pause this job, so this would be a bug: never return a .part
        raise PaxelError(f"download of {url} stopped before the end")
    return result.path
