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

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paxel import resume, storage
from paxel.engine.connection import stream_body
from paxel.engine.finish import place
from paxel.engine.options import MAX_CONNECTIONS, DownloadOptions
from paxel.engine.shared import Reply, Shared, Stop, Transport
from paxel.errors import Cancelled, PaxelError, ServerMisbehaved, UsageError
from paxel.headers import parse_content_range
from paxel.transport import check_url


@dataclass(frozen=True)
class Unit:
    url: str
    path: Path          # where the unit's bytes end up
    byte_range: tuple[int, int] | None = None   # first, last byte (HLS EXT-X-BYTERANGE, DASH mediaRange)


class _RangeReply:
    """A 206 for exactly the asked range, shown to stream_body as the whole body it expects."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        self.status = 200
        self.headers = reply.headers
        self.url = reply.url
        self.body_end = reply.body_end

    def readinto(self, buf: memoryview) -> int:
        return self._reply.readinto(buf)

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
        if not matches:
            reply.close()
            raise ServerMisbehaved(f"{url}: asked for bytes {self._first}-{self._last}, "
                                   f"got {reply.headers.get('Content-Range')!r}")
        return _RangeReply(reply)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class UnitDone:
    unit: Unit
    path: Path          # the name it got (another if `unit.path` was taken)
    size: int


class UnitJob:
    """Fetch `units` over `options.connections` connections (headers, cookies, proxy, retry,
    speed limit and host slots from `options`; its url/output/folder are not used)."""

    def __init__(self, units: Sequence[Unit], options: DownloadOptions,
                 on_unit: Callable[[UnitDone], None] | None = None) -> None:
        self.units = tuple(units)
        self.options = options
        self._s = Shared(options, None, 0.25)
        self._on_unit = on_unit
        self._done: dict[int, UnitDone] = {}

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
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(self.units)):
            todo.put(i)
        s, slots = self._s, self.options.host_slots
        wanted = min(self.options.connections, max(1, len(self.units)))
        first_url = self.units[0].url if self.units else self.options.url
        if slots is not None:
            wanted = slots.acquire(first_url, wanted)
        threads = [threading.Thread(target=self._worker, args=(todo,), name=f"paxel-unit-{i}", daemon=True)
                   for i in range(wanted)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            if slots is not None:
                slots.release(first_url, wanted)
        if s.fatal is not None:
            raise s.fatal
        if len(self._done) < len(self.units):
            raise Cancelled(f"{len(self.units) - len(self._done)} of {len(self.units)} units not fetched "
                            f"({s.stop_reason or 'stopped'})")
        return [self._done[i] for i in range(len(self.units))]

    def _worker(self, todo: queue.SimpleQueue[int]) -> None:
        s = self._s
        transport = s.transport()
        try:
            while not s.stop.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                unit = self.units[index]
                try:
                    done = self._fetch(transport, unit)
                except PaxelError as exc:   # which unit failed (a live recording skips a gone one)
                    exc.unit_url = unit.url
                    raise
                with s.lock:
                    self._done[index] = done
                if self._on_unit is not None:
                    self._on_unit(done)
        except Stop:
            pass
        except Exception as exc:
            s.fail(exc)
        finally:
            transport.close()

    def _fetch(self, transport: Transport, unit: Unit) -> UnitDone:
        s = self._s
        unit.path.parent.mkdir(parents=True, exist_ok=True)
        part = storage.PartFile.claim(resume.part_path(unit.path))
        if part is None:
            raise UsageError(f"{unit.path} is being downloaded by another paxel right now")
        try:
            # a ranged unit's every request, the first too, goes through stream_body's status
            # and retry rules (an error page answered to the first was once saved as the unit)
            via = transport if unit.byte_range is None else _RangeTransport(transport, *unit.byte_range)
            size = stream_body(s, via, unit.url, None, part, lambda _total: None)
            part.sync()
            path = place(part, unit.path)
            return UnitDone(unit, path, size)
        except BaseException:
            if part.fd >= 0 and part.path == resume.part_path(unit.path):
                part.discard()
            raise
        finally:
            part.close()
