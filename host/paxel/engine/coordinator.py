"""The coordinator: while the workers run, the job thread takes checkpoints, replaces slow
connections and reports progress, until every worker has ended.

Checkpoint order is what makes `kill -9` safe: capture each segment's written position, fdatasync
the `.part`, then record exactly those positions (and the `.part`'s identity) in the state file.
"""

from __future__ import annotations

import threading
import time

from paxel import resume, storage
from paxel.engine.pump import CHECKPOINT_BYTES
from paxel.engine.shared import Shared, Stop, log
from paxel.errors import DiskError, PaxelError
from paxel.probe import FileChanged, ProbeResult, RangesUntrusted
from paxel.segments import Segment, slow_owners

CHECKPOINT_INTERVAL = 0.5  # seconds: and at least this often while bytes arrive
WATCH_INTERVAL = 0.25      # seconds between slow-connection checks (see replace_slow)
TAIL_SECONDS = 0.025       # a tail steal must save at least this much (see steal_tail)
MIN_STEAL = 128 * 1024     # ...and bring at least this many bytes
NEW_CONNECTION_TAIL_SECONDS = 0.25   # ...or this much when it needs a new connection


def coordinate(s: Shared, part: storage.PartFile, probe: ProbeResult,
               workers: list[threading.Thread]) -> None:
    """Checkpoints, progress and the slow-connection watch until every worker has ended; then
    raise what stopped them (a worker's error, Stop) or return with every byte written."""
    table = s.table
    assert table is not None
    last_checkpoint = last_progress = last_watch = time.monotonic()
    try:
        while s.live > 0:
            s.wake.wait(min(s.interval, CHECKPOINT_INTERVAL))
            s.wake.clear()
            now = time.monotonic()
            with s.lock:
                unsynced = table.written - table.durable
                active = max(1, len(table.active()))
            if unsynced and (unsynced >= CHECKPOINT_BYTES * active
                             or now - last_checkpoint >= CHECKPOINT_INTERVAL):
                checkpoint(s, part, probe)
                last_checkpoint = now
            if now - last_watch >= WATCH_INTERVAL:
                replace_slow(s, now)
                shed_over_cap(s)
                last_watch = now
            if now - last_progress >= s.interval:
                s.emit(now)
                last_progress = now
    except BaseException:  # e.g. a checkpoint hit a full disk: the workers stop too, not finish
        s.request_stop(None)
        raise
    finally:
        for t in workers:
            t.join()
    finishing = s.fatal is None and not s.stop.is_set() and table.finished
    if not finishing and not isinstance(s.fatal, FileChanged | RangesUntrusted):
        try:
            checkpoint(s, part, probe)
        except DiskError:
            if s.fatal is None:
                raise
    if s.fatal is not None:
        raise s.fatal
    if s.stop.is_set():
        raise Stop
    if not table.finished:  # never rename a file with holes as if it were complete
        raise PaxelError(f"internal error: every connection ended with {table.total - table.written} "
                         "bytes missing")


def checkpoint(s: Shared, part: storage.PartFile, probe: ProbeResult) -> None:
    """fdatasync, then record what is now durable (never the other way round). A file of at
    most CHECKPOINT_BYTES gets no state: it is cheaper to fetch again than to track."""
    table, path = s.table, s.path
    if table is None or path is None or probe.size is None or not probe.ranges or s.no_ranges \
            or probe.size <= CHECKPOINT_BYTES:
        return
    with s.lock:
        marks = table.written_marks()
    part.sync()
    with s.lock:
        table.mark_durable(marks)
        ranges = tuple(table.durable_ranges())
    now = part.identity()
    record = resume.PartRecord(now.device, now.inode, now.size, resume.samples(ranges, part.read_at))
    state = resume.ResumeState(s.options.url, probe.url, probe.size, probe.etag,
                               probe.last_modified, ranges, record)
    storage.write_atomic(resume.state_path(path), resume.encode(state), part.folder)
    s.state_saved = True


def replace_slow(s: Shared, now: float) -> None:
    """A connection several times slower than its peers hands its remainder on and reconnects.

    On real CDNs a TCP connection that is slow tends to stay slow for its life (a bad path, a
    loaded edge) while a new one usually lands on a good one; a kept-alive socket would keep the
    bad path. So the slow connection's reply is aborted, what it has not fetched becomes a free
    segment (taken by an idle connection or split by the others, see SegmentTable.next_for), and
    the worker's next request goes out on a NEW TCP connection (`Shared.replaced`), judged again
    from zero: replacement repeats as often as new connections land on slow paths, so the tail
    never waits on one. The rule is relative (segments.slow_owners): when every connection is
    slow, none is replaced. Only connections reading a body are judged: one waiting out a retry's
    backoff is no slower path. A server that refuses the extra connection (429/503) makes that
    worker end (connection.Worker): the download backs off to the connections that work.
    """
    with s.lock:
        table = s.table
        if table is None or s.no_ranges:
            return
        running = {seg.owner: seg for seg in table.active()
                   if seg.owner is not None and seg.remaining > 0 and seg.owner in s.replies}
        rates, elapsed, remaining = {}, {}, {}
        for owner, seg in running.items():
            started, base = s.seg_started.get(owner, (now, seg.written))
            started += now - s.pacing.get(owner, now)   # waiting on the user's limit: not slow
            elapsed[owner] = now - started
            rates[owner] = (seg.written - base) / max(elapsed[owner], 1e-6)
            remaining[owner] = seg.remaining
        victims = slow_owners(rates, elapsed, remaining, s.finished_rates)
        replies = []
        for owner in victims:
            if table.take_over(running[owner]) is not None:
                s.replaced.add(owner)
                replies.append(s.replies.get(owner))
    for owner, reply in zip(victims, replies, strict=True):
        log.info("connection %d is far slower than the others; its remainder moves on and it "
                 "reconnects", owner)
        if reply is not None:
            reply.abort()


def shed_over_cap(s: Shared) -> None:
    """The host's connection cap was lowered below what its downloads hold (HostSlots.set_cap):
    end one of this download's connections now rather than when its piece ends (a connection's
    first request asks for its whole share, which may be most of the file). As replace_slow, its
    reply is aborted and what it has not fetched becomes a free segment for the others; the
    worker then ends (connection.Worker, `Shared.shed`). One per check (every WATCH_INTERVAL);
    each download keeps one connection, so a cap below the number of downloads running from the
    host is reached only as they end (the scheduler starts no more meanwhile). A connection
    still waiting for its answer goes first (it has brought nothing of its piece): its request
    is hung up (paxel.hangup), or it would hold its slot until a silent server's deadline."""
    slots, probe = s.options.host_slots, s.probe
    if slots is None or probe is None:
        return
    with s.lock:
        table = s.table
        if table is None or s.host_held <= 1:
            return
        owned = [seg for seg in table.active() if seg.owner is not None and seg.owner not in s.shed]
        if not owned or not slots.give_back(probe.url):
            return
        # waiting before reading; then the newest (worker 0 holds the first reply's transport)
        victim = max(owned, key=lambda seg: (seg.owner not in s.replies, seg.owner or 0))
        owner = victim.owner
        assert owner is not None
        table.take_over(victim)
        s.shed.add(owner)
        s.host_held -= 1
        reply = s.replies.get(owner)
        transport = s.transports.get(owner)
    log.info("connection %d ends: %s is over its connection cap", owner, slots.host(probe.url))
    if reply is not None:
        reply.abort()
    elif transport is not None:   # no reply yet: a request in flight (or about to be sent)
        transport.abort()


def steal_tail(s: Shared, wid: int, now: float, *, connected: bool = True) -> Segment | None:
    """For a connection with nothing left to take: half of the range that will take longest to
    arrive, though its owner already asked for it (caller holds the lock).

    Without it the download's end waits for the connections that happen to be slower, while the
    others have finished: after a replacement, or when the server itself paces some connections
    a little slower than others (bench/README.md: nginx's `limit_rate` on the worker that holds
    most connections, 2-4 % slower, which makes a 0.1-0.3 s tail on a 1 GiB file). Each idle
    connection halves the longest tail, so the connections end within about TAIL_SECONDS of
    each other: a steal must save TAIL_SECONDS beyond a request's round trip (Shared.latency,
    measured), and bring MIN_STEAL bytes; a tail where every connection ends together is left
    alone. A connection that is not `connected` (its last reply was cut, so its socket closed)
    steals only what saves NEW_CONNECTION_TAIL_SECONDS: a new TCP (and TLS) connection costs
    round trips, and a chain of cut owners reconnecting for small pieces would be churn."""
    table = s.table
    if table is None or s.no_ranges:
        return None
    need = TAIL_SECONDS if connected else NEW_CONNECTION_TAIL_SECONDS
    best: tuple[float, Segment] | None = None
    for seg in table.active():
        if seg.owner is None or seg.owner == wid or seg.owner not in s.replies:
            continue
        started, base = s.seg_started.get(seg.owner, (now, seg.written))
        if now - started < WATCH_INTERVAL:
            continue  # too new to know its speed
        rate = (seg.written - base) / (now - started)
        free = seg.end - max(seg.pos, min(seg.reading, seg.end))   # not being read yet
        half = free / 2 / rate if rate > 0 else float("inf")
        latency = 0.0 if s.latency == float("inf") else s.latency   # (inf: none timed yet)
        if half - latency >= need and free >= 2 * MIN_STEAL and (best is None or half > best[0]):
            best = (half, seg)
    return None if best is None else table.steal(best[1], wid, MIN_STEAL)
