"""One connection worker: open a range, pump its body into the `.part`, retry what can be retried.

`Worker.run` is a thread's body; it shares only `Shared` (and the PartFile, whose positional
writes need no lock). The status and retry rules every request obeys are in engine.rules, the
single stream of unknown length in engine.stream (both re-exported here for their old
importers). Whether a failed try counts as progress is pure: `retry.made_progress`.
"""

from __future__ import annotations

import threading
import time

from paxel import storage
from paxel.engine.coordinator import steal_tail
from paxel.engine.pump import READ_SIZE, pump
from paxel.engine.rules import raise_status, retry_or_raise
from paxel.engine.shared import Reply, RetryableStatus, Shared, Stop, TooSlow, Transport, log
from paxel.engine.stream import stream_body, stream_unknown
from paxel.errors import NetworkError
from paxel.lowspeed import SlowWatch
from paxel.probe import FileChanged, check_full, check_partial, interpret
from paxel.retry import made_progress
from paxel.segments import Segment, request_size

__all__ = ["Worker", "open_range", "raise_status", "retry_or_raise", "stream_body", "stream_unknown"]

REQUEST_SECONDS = 1.5      # a connection asks for the whole rest of its segment once it is this near
REFUSALS = frozenset({429, 503})  # what servers answer a connection beyond their per-client limit


class Worker:
    """One connection: takes segments from the table until none is left (or a stop)."""

    def __init__(self, s: Shared, wid: int, part: storage.PartFile, transport: Transport | None = None,
                 seg: Segment | None = None, reply: Reply | None = None,
                 gate: threading.Event | None = None) -> None:
        self.s, self.wid, self.part = s, wid, part
        self.transport, self.seg, self.reply = transport, seg, reply
        self.gate = gate   # set once every worker thread has started (see job._segmented)

    def run(self) -> None:
        s, wid = self.s, self.wid
        if self.gate is not None:
            self.gate.wait()
        own = self.transport is None
        transport = self.transport or s.transport(wid)
        seg, reply = self.seg, self.reply
        # Made once this connection's first request is out, not before: a fresh 1 MiB bytearray
        # (mmap, zeroing, page faults) costs ~1 ms under the GIL, and at the start 15 workers
        # made theirs one after another before any of them could send its request.
        buf: memoryview | None = None
        failures = 0
        rate: float | None = None   # this connection's speed over its last request
        counted = False             # already subtracted from s.live
        proven = False              # this TCP connection has brought bytes
        share = True                # the next request is the first for its planned share
        kept = False                # the last reply was read to its end: its connection is kept
        floor = s.options.speed_floor
        watch: SlowWatch | None = None   # this TCP connection against the speed floor
        try:
            while not s.stop.is_set():
                if seg is None:
                    with s.lock:
                        if wid in s.shed:   # the host's cap was lowered (coordinator.shed_over_cap)
                            s.live -= 1
                            counted = True
                            own = True   # no kept-alive socket stays open (worker 0's: the job's)
                            return
                        seg = s.table.next_for(wid, s.options.min_split) if s.table else None
                        if seg is None:
                            seg = steal_tail(s, wid, time.monotonic(), connected=kept)
                        if seg is None:
                            # counted out under the same lock: a failing connection that hands
                            # its range back must see that nobody is left to take it
                            s.live -= 1
                            counted = True
                            return
                        s.seg_started[wid] = (time.monotonic(), seg.written)
                asked = 0
                began, before = time.monotonic(), seg.written
                try:
                    if reply is None:
                        with s.lock:
                            # the rest went to another connection while this one waited (a
                            # retry's backoff, a replacement): an empty range would be a 416
                            if seg.remaining <= 0:
                                seg.owner, seg = None, None
                                continue
                            fresh = wid in s.replaced
                            s.replaced.discard(wid)
                        if fresh:  # replaced as slow: a new TCP connection, judged afresh
                            rate, proven, watch = None, False, None
                        reply = open_range(s, transport, seg, rate, fresh=fresh,
                                           own_share=share and not fresh)
                        share = False
                    asked = (reply.body_end or seg.end) - before
                    if watch is None and floor is not None:
                        watch = SlowWatch(floor, began)
                    if buf is None:
                        buf = memoryview(bytearray(READ_SIZE))
                    complete = pump(s, wid, seg, reply, buf, self.part, rate, watch)
                    if seg.written > before:
                        failures, proven = 0, True
                        rate = (seg.written - before) / max(time.monotonic() - began, 1e-6)
                    reply.close(reusable=complete)
                    kept = complete
                    reply = None
                    with s.lock:
                        if seg.written >= seg.end:
                            record_rate(s, wid, seg)
                            seg.owner = None
                            seg = None
                except (NetworkError, RetryableStatus) as exc:
                    kept = False
                    assert seg is not None
                    if reply is not None:
                        reply.close()
                        reply = None
                    watch = None
                    with s.lock:
                        s.replies.pop(wid, None)
                        if isinstance(exc, TooSlow):  # (a trickling path tends to stay one)
                            s.replaced.add(wid)
                        if seg.written >= seg.end:  # given away meanwhile: not a failure
                            seg.owner, seg = None, None
                            continue
                        single = s.no_ranges or not (s.probe and s.probe.ranges)
                        if single:
                            # every try starts at byte 0: beating the last drop point is no
                            # progress (drops that vary would retry forever), only new ground is
                            progressed = seg.written > s.furthest
                            s.furthest = max(s.furthest, seg.written)
                        else:   # a try that brought far less than it asked for is no progress
                            progressed = made_progress(asked, seg.written - before)
                        s.seg_started[wid] = (time.monotonic(), seg.written)
                    if s.stop.is_set():
                        return
                    failures = 1 if progressed else failures + 1
                    if single:
                        restart_single(s, seg, exc)
                    # a server that refuses one more connection while others transfer has a
                    # per-client limit: back off to the connections that work, at once. Some
                    # say so (429/503); others close or reset the connection before answering
                    # (asked is still 0): that counts from its second time in a row, so one
                    # passing glitch does not cost a connection for the whole download
                    refused = not proven and (
                        (isinstance(exc, RetryableStatus) and exc.status in REFUSALS)
                        or (asked == 0 and isinstance(exc, NetworkError) and failures >= 2))
                    ends = (refused and others_transfer(s, wid)) or s.options.retry.gives_up(failures)
                    if ends and give_up_worker(s, wid, seg, exc):
                        seg = None
                        return
                    if not single:
                        # its range is free while it waits out the backoff: a connection that
                        # works takes it (a server refusing this connection would otherwise hold
                        # those bytes back for seconds); after the wait it takes whatever is left
                        with s.lock:
                            if s.table is not None:
                                s.table.release(seg)
                        seg = None
                    retry_or_raise(s, exc, failures)
        except Stop:
            pass
        except Exception as exc:  # a bug too must fail the download, not leave its bytes missing
            s.fail(exc)
        finally:
            if reply is not None:
                reply.close()
            with s.lock:
                if seg is not None and s.table is not None:
                    s.table.release(seg)
                s.replies.pop(wid, None)
                if not counted:
                    s.live -= 1
            if own:
                transport.close()
            s.wake.set()


def others_transfer(s: Shared, wid: int) -> bool:
    with s.lock:
        return any(other != wid for other in s.replies)


def open_range(s: Shared, transport: Transport, seg: Segment, rate: float | None, *,
               fresh: bool = False, own_share: bool = False) -> Reply:
    """Ask for the next piece of `seg` (see segments.request_size); without ranges, all of it.
    `fresh`: on a new TCP connection (a slow one keeps its bad path when kept alive)."""
    probe, table = s.probe, s.table
    assert probe is not None and probe.size is not None and table is not None
    ranged = probe.ranges and not s.no_ranges
    with s.lock:
        first = seg.pos
        size = request_size(seg.remaining, rate, s.options.min_split, REQUEST_SECONDS,
                            own_share=own_share) if ranged else seg.remaining
        last = table.request(seg, size) - 1
    asked = time.monotonic()
    reply = transport.get(probe.url, first if ranged else None, last if ranged else None,
                          probe.if_range if ranged else None, fresh=fresh)
    s.latency = min(s.latency, time.monotonic() - asked)   # (a hint: no lock, see Shared)
    reply.body_end = last + 1
    try:
        if reply.status == 206 and ranged:
            check_partial(reply.headers, first, last, probe.size, probe.etag, probe.last_modified)
        elif reply.status == 200:
            if ranged:
                check_full(reply.headers, probe.etag, probe.last_modified)
            if interpret(reply.url, 200, reply.headers, None).size != probe.size:
                raise FileChanged("the file changed on the server (size differs)")
        else:
            raise_status(reply, first_request=False)
    except BaseException:
        reply.close()
        raise
    return reply


def record_rate(s: Shared, wid: int, seg: Segment) -> None:
    """Remember how fast a finished segment came (caller holds the lock)."""
    started, base = s.seg_started.get(wid, (0.0, seg.written))
    # a segment done within a few ms still counts (as at most its bytes per 50 ms): on a fast
    # link every other segment may end that quickly, and a lone slow one must still be judged
    took = max(time.monotonic() - started, 0.05)
    if seg.written > base:
        s.finished_rates = [*s.finished_rates[-7:], (seg.written - base) / took]


def give_up_worker(s: Shared, wid: int, seg: Segment, exc: Exception) -> bool:
    """A connection that keeps failing while others work hands its range back and ends
    (servers that limit connections per client); the last one standing fails the download."""
    with s.lock:
        if s.live <= 1:
            return False
        if s.table is not None:
            s.table.release(seg)
    log.info("connection %d gives up (%s); others continue", wid, exc)
    return True


def restart_single(s: Shared, seg: Segment, exc: NetworkError | RetryableStatus) -> None:
    """Without ranges a dropped stream can only start over from byte 0; even tries that
    reach new ground each time are bounded in number by the retry policy."""
    with s.lock:
        seg.pos = seg.written = seg.durable = seg.start
        s.restarts += 1
        restarts = s.restarts
    if restarts > s.options.retry.restarts:
        raise NetworkError(f"{exc} (gave up after {restarts} tries from byte 0: "
                           "the server does not support ranges)") from None
