"""A job whose units are many URLs of unknown size, each written to a file of its own (media
segments of an HLS/DASH stream): the same connection machinery as a download (transport per
worker thread, retry policy, speed limit, host slots, decoding, rename without replacing), with
a queue of units instead of a table of byte ranges.

    job = UnitJob(units, DownloadOptions(first_url, connections=4, headers=...))
    paths = job.run()          # blocks; job.pause()/cancel() from any thread stop it

Each unit is streamed whole into `path.part` (a drop starts that unit over, with the retry
policy's backoff; the budget is per unit) and moved to `path` without replacing a file (taken:
`path (1).ext`). A unit that fails for good fails the job with its error; units already done stay.
This is the interface the media job (playlists, mux) builds on; resuming a half-done job is the
media job's business (units whose file exists are skipped by it, not here).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paxel import resume, storage
from paxel.engine.finish import place
from paxel.engine.options import MAX_CONNECTIONS, DownloadOptions
from paxel.engine.pump import READ_SIZE, pump
from paxel.engine.rules import raise_status, retry_or_raise
from paxel.engine.shared import Reply, RetryableStatus, Shared, Stop, Transport, log
from paxel.engine.stream import stream_body
from paxel.engine.unitpieces import Running, may_steal_later, running, steal
from paxel.errors import Cancelled, NetworkError, PaxelError, ServerMisbehaved, UsageError
from paxel.headers import parse_content_range
from paxel.lowspeed import SlowWatch
from paxel.probe import FileChanged, RangesUntrusted, check_partial
from paxel.segments import Segment
from paxel.transport import check_url


@dataclass(frozen=True)
class Unit:
    url: str
    path: Path          # where the unit's bytes end up
    byte_range: tuple[int, int] | None = None   # first, last byte (HLS EXT-X-BYTERANGE, DASH mediaRange)


class _RangeReply:
    """A 206 for exactly the asked range, shown to stream_body as the whole body it expects.
    Its body must be exactly the range's length: a chunked one is counted as it comes."""

    def __init__(self, reply: Reply, length: int) -> None:
        self._reply = reply
        self._left = length
        self.status = 200
        self.headers = reply.headers
        self.url = reply.url
        self.body_end = reply.body_end

    def readinto(self, buf: memoryview) -> int:
        n = self._reply.readinto(buf)
        self._left -= n
        if self._left < 0:
            raise ServerMisbehaved(f"{self.url} sent more bytes than the range it announced")
        if n == 0 and self._left:
            raise NetworkError(f"{self.url} closed the connection early ({self._left} bytes short)")
        return n

    def close(self, *, reusable: bool = False) -> None:
        self._reply.close(reusable=reusable)

    def abort(self) -> None:
        self._reply.abort()


class _RangeTransport:
    """Every GET of a ranged unit asks for its range and accepts only that range back."""

    def __init__(self, transport: Transport, first: int, last: int) -> None:
        self._t, self._first, self._last = transport, first, last

    def get(self, url: str, first: int | None = None, last: int | None = None,
            if_range: str | None = None, *, fresh: bool = False) -> Reply:
        reply = self._t.get(url, self._first, self._last, fresh=fresh)
        if reply.status == 200:   # the whole resource instead of the range: never save that
            reply.close()
            raise ServerMisbehaved(f"{url} ignored the Range header of a byte-range segment")
        if reply.status != 206:
            return reply          # an error status: stream_body's rules (retry or fail) apply
        try:
            got = parse_content_range(reply.headers.get("Content-Range", ""))
            matches = (got.start, got.end) == (self._first, self._last)
        except ValueError:
            matches = False
        length = self._last - self._first + 1
        raw = (reply.headers.get("Content-Length") or "").strip()
        if matches and raw and raw != str(length):   # the body would run into the next segment
            matches = False
        if not matches:
            reply.close()
            raise ServerMisbehaved(f"{url}: asked for bytes {self._first}-{self._last}, got "
                                   f"{reply.headers.get('Content-Range')!r} ({raw or 'no'} Content-Length)")
        return _RangeReply(reply, length)

    def abort(self) -> None:
        self._t.abort()

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class UnitDone:
    unit: Unit
    path: Path          # the name it got (another if `unit.path` was taken)
    size: int


IDLE_POLL = 0.02   # s: an idle connection looks again for a tail worth taking (engine.unitpieces)


class UnitJob:
    """Fetch `units` over `options.connections` connections (headers, cookies, proxy, retry,
    speed limit and host slots from `options`; its url/output/folder are not used).

    A connection with no unit left to start takes the tail of a running unit as a byte range
    (engine.unitpieces), so the last units end together."""

    def __init__(self, units: Sequence[Unit], options: DownloadOptions,
                 on_unit: Callable[[UnitDone], None] | None = None) -> None:
        self.units = tuple(units)
        self.options = options
        self._s = Shared(options, None, 0.25)
        self._on_unit = on_unit
        self._done: dict[int, UnitDone] = {}
        # under self._s.lock: units to start (an index) or to fetch again whole; units in pieces
        self._todo: deque[int | Running] = deque()
        self._running: list[Running] = []
        self._split = True      # until a server mishandles a piece: then units go whole only
        self._starting = 0      # units whose first answer is awaited (they may give pieces soon)
        self.pieces = 0         # pieces taken from running units (tests, logs)
        self._slot_url = options.url   # the host its connection slots count against (run())
        self._held = 0          # workers holding a slot (under the lock): the last never sheds

    def pause(self) -> None:
        self._s.request_stop("pause")

    def cancel(self) -> None:
        self._s.request_stop("cancel")

    def set_max_speed(self, rate: int | None) -> None:
        """This job's own limit from now on (None: unlimited), as Download.set_max_speed."""
        self._s.limit.set_rate(rate)

    def run(self) -> list[UnitDone]:
        """Every unit, in order, once all are done; Cancelled when stopped before that."""
        if not 1 <= self.options.connections <= MAX_CONNECTIONS:
            raise UsageError(f"connections must be 1..{MAX_CONNECTIONS}, not {self.options.connections}")
        for unit in self.units:
            check_url(unit.url)
        self._todo.extend(range(len(self.units)))
        s, slots = self._s, self.options.host_slots
        wanted = self.options.connections   # more than units: the others take pieces of them
        first_url = self.units[0].url if self.units else self.options.url
        if slots is not None:
            wanted = slots.acquire(first_url, wanted)
        self._slot_url = first_url
        self._held = wanted
        threads = [threading.Thread(target=self._worker, args=(i,), name=f"paxel-unit-{i}", daemon=True)
                   for i in range(wanted)]
        started = 0
        try:
            for t in threads:
                t.start()
                started += 1
            for t in threads:
                t.join()
        finally:
            if slots is not None and started < wanted:   # (each worker gives its own back)
                slots.release(first_url, wanted - started)
            for r in self._running:   # stopped or failed mid-unit: nothing of it counts
                r.part.discard()
                r.part.close()
            for task in self._todo:
                if isinstance(task, Running):
                    task.part.discard()
                    task.part.close()
        if s.fatal is not None:
            raise s.fatal
        if len(self._done) < len(self.units):
            raise Cancelled(f"{len(self.units) - len(self._done)} of {len(self.units)} units not fetched "
                            f"({s.stop_reason or 'stopped'})")
        return [self._done[i] for i in range(len(self.units))]

    def _worker(self, wid: int) -> None:
        s = self._s
        transport = s.transport(wid)
        buf = memoryview(bytearray(READ_SIZE))
        slots = self.options.host_slots
        try:
            while not s.stop.is_set():
                with s.lock:
                    task: int | Running | tuple[Running, Segment] | None
                    # the host's cap was lowered below what it holds (HostSlots.set_cap): a
                    # connection between two units ends, its slot released by give_back
                    if slots is not None and self._held > 1 and slots.give_back(self._slot_url):
                        self._held -= 1
                        slots = None   # (released: not again as it ends)
                        return
                    if self._todo:
                        task = self._todo.popleft()
                        self._starting += isinstance(task, int)
                    elif self._split:
                        task = steal(self._running, wid, time.monotonic())
                        if task is not None:
                            s.seg_started[wid] = (time.monotonic(), task[1].written)
                            self.pieces += 1
                        elif self._starting or may_steal_later(self._running):
                            task = -1
                    else:
                        task = None
                if task is None:
                    return
                if task == -1:
                    s.stop.wait(IDLE_POLL)
                    continue
                unit_of = task if isinstance(task, int | Running) else task[0]
                index = unit_of if isinstance(unit_of, int) else unit_of.index
                try:
                    if isinstance(task, int):
                        self._start(transport, wid, task, buf)
                    elif isinstance(task, Running):
                        self._whole(transport, wid, task.index, task.part)
                    else:
                        self._piece(transport, wid, *task, buf)
                except PaxelError as exc:   # which unit failed (a live recording skips a gone one)
                    exc.unit_url = self.units[index].url
                    raise
        except Stop:
            pass
        except Exception as exc:
            s.fail(exc)
        finally:
            transport.close()
            # its slot goes back as it ends, not with the job: a connection that found nothing
            # to take leaves at once, and another download may use that slot meanwhile
            if slots is not None:
                with s.lock:
                    self._held -= 1
                slots.release(self._slot_url, 1)

    def _via(self, transport: Transport, unit: Unit) -> Transport:
        # a ranged unit's every request, the first too, goes through stream_body's status
        # and retry rules (an error page answered to the first was once saved as the unit)
        return transport if unit.byte_range is None else _RangeTransport(transport, *unit.byte_range)

    def _start(self, transport: Transport, wid: int, index: int, buf: memoryview) -> None:
        """A unit's first request; read in pieces when its answer allows (unitpieces.running),
        else whole by stream_body."""
        unit = self.units[index]
        unit.path.parent.mkdir(parents=True, exist_ok=True)
        part = storage.PartFile.claim(resume.part_path(unit.path))
        if part is None:
            raise UsageError(f"{unit.path} is being downloaded by another paxel right now")
        reply: Reply | None = None
        r = None
        try:
            if self._split:
                try:
                    reply = self._via(transport, unit).get(unit.url)
                except NetworkError:
                    reply = None   # stream_body asks again, with the retry policy
                if reply is not None and reply.status != 200:
                    answer, reply = reply, None
                    try:   # stream_body's status rules: an error fails, a 503 waits and asks again
                        raise_status(answer, first_request=False)
                    except RetryableStatus as exc:
                        retry_or_raise(self._s, exc, 1)
                    finally:
                        answer.close()
            if reply is not None:
                r = running(self._s, index, part, reply, wid, unit.byte_range[0] if unit.byte_range else 0)
        except BaseException:
            if reply is not None:
                reply.close()
            part.discard()
            part.close()
            raise
        finally:
            with self._s.lock:
                self._starting -= 1
                if r is not None:   # (in the same lock section: an idle one never sees neither)
                    self._running.append(r)
                    self._s.seg_started[wid] = (time.monotonic(), 0)
        if r is None:
            self._whole(transport, wid, index, part, reply)
        else:
            assert reply is not None
            self._pump(r, wid, r.table.segments[0], reply, buf)

    def _piece(self, transport: Transport, wid: int, r: Running, seg: Segment, buf: memoryview) -> None:
        """A stolen tail: exactly its range of the same resource, or not one byte of it."""
        with self._s.lock:
            start, end = seg.start, seg.end
        first, last = r.offset + start, r.offset + end - 1
        try:
            reply = transport.get(r.url, first, last, r.if_range)
        except NetworkError as exc:
            log.info("a piece of %s failed (%s): the unit is fetched again whole", r.url, exc)
            self._leave(r, seg, ok=False)
            return
        try:
            if reply.status != 206:
                raise RangesUntrusted(f"answered {reply.status} to a Range request")
            size = r.total if r.total is not None else last + 1   # (a '*' total: not compared)
            check_partial(reply.headers, first, last, size, r.etag, r.last_modified)
        except (RangesUntrusted, FileChanged) as exc:
            reply.close()
            log.info("%s: %s; its units are fetched whole from now on", r.url, exc)
            with self._s.lock:
                self._split = False
            self._leave(r, seg, ok=False)
            return
        reply.body_end = end
        self._pump(r, wid, seg, reply, buf)

    def _pump(self, r: Running, wid: int, seg: Segment, reply: Reply, buf: memoryview) -> None:
        s = self._s
        floor = s.options.speed_floor
        watch = SlowWatch(floor, time.monotonic()) if floor is not None else None
        try:
            complete = pump(r.shared, wid, seg, reply, buf, r.part, None, watch)
        except NetworkError as exc:
            reply.close()
            log.info("a piece of %s failed (%s): the unit is fetched again whole", r.url, exc)
            self._leave(r, seg, ok=False)
            return
        except BaseException:
            reply.close()
            raise
        reply.close(reusable=complete)
        self._leave(r, seg, ok=True)

    def _leave(self, r: Running, seg: Segment, *, ok: bool) -> None:
        """A piece ended: the last one of a complete unit places it; the last one of a unit that
        must go whole queues it to be fetched again from byte 0."""
        s = self._s
        with s.lock:
            if not ok or seg.written < seg.end:
                r.whole = True
            seg.owner = None
            # all bytes in is not enough: a piece whose last bytes are committed may not have
            # left yet, and it would place (and take out of _running) the same unit again
            complete = not r.whole and r.table.finished and not r.owned()
            if not complete and not (r.whole and not r.owned()):
                return
            self._running.remove(r)
            if not complete:
                self._todo.append(r)
                return
        try:
            r.part.sync()
            path = place(r.part, self.units[r.index].path)
        except BaseException:
            r.part.discard()
            raise
        finally:
            r.part.close()
        self._record(r.index, UnitDone(self.units[r.index], path, r.table.total))

    def _whole(self, transport: Transport, wid: int, index: int, part: storage.PartFile,
               reply: Reply | None = None) -> None:
        """The unit from byte 0 on this connection (`reply`: its answer already)."""
        unit = self.units[index]
        try:
            size = stream_body(self._s, self._via(transport, unit), unit.url, reply, part,
                               lambda _n: None, wid)
            part.sync()
            path = place(part, unit.path)
        except BaseException:
            if part.fd >= 0 and part.path == resume.part_path(unit.path):
                part.discard()
            raise
        finally:
            part.close()
        self._record(index, UnitDone(unit, path, size))

    def _record(self, index: int, done: UnitDone) -> None:
        with self._s.lock:
            self._done[index] = done
        if self._on_unit is not None:
            self._on_unit(done)
