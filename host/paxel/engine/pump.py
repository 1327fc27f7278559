"""The data path: one reply's body into the `.part` at its segment's position.

This loop runs once per read on every connection, so it keeps to the minimum: two short lock
sections per read (the claim of these bytes, their commit once in the file), one clock read (the
speed floor, paxel.lowspeed), the stop flag read without a call into Python code. The
transport's `readinto` fills the whole buffer with one system call where it can
(paxel.transport), so a fast connection costs one read, two locks and one `pwrite` per MiB.
"""

from __future__ import annotations

import time

from paxel import storage
from paxel.engine.shared import Reply, Shared, Stop, TooSlow
from paxel.errors import NetworkError
from paxel.lowspeed import SlowWatch
from paxel.ratelimit import SpeedLimit
from paxel.segments import Segment

MiB = 1 << 20
READ_SIZE = MiB            # one readinto per MiB: large enough that Python overhead vanishes
MIN_READ = 64 * 1024       # ...but a slow connection reads less at a time (see read_size)
READ_SECONDS = 0.25
CHECKPOINT_BYTES = MiB     # per connection: at most this much is re-fetched after a crash


def pump(s: Shared, wid: int, seg: Segment, reply: Reply, buf: memoryview, part: storage.PartFile,
         rate: float | None, watch: SlowWatch | None = None) -> bool:
    """Stream `reply` into the file at seg.pos until the segment's (possibly shrunk) end.

    Returns True when the body was read to its very end (the connection can be reused).
    `watch`: this connection's speed floor (TooSlow once it stays below it)."""
    table, lock, stop, limit = s.table, s.lock, s.stop, s.limit
    assert table is not None
    body_end = reply.body_end or seg.end
    with lock:
        s.replies[wid] = reply
    size = read_size(rate, limit)
    began, got = time.monotonic(), 0
    checkpointing = s.checkpointing   # else nobody needs a wake-up per read
    try:
        while True:
            # seg.end may shrink meanwhile (a split): read unlocked, the claim below re-checks
            left = seg.end - seg.pos
            # near its end a segment is read in quarters of what is left: a read returns only
            # once full, and a tail steal (coordinator.steal_tail) cannot cut inside it
            want = min(size, left, body_end - seg.pos, max(MIN_READ, left // 4))
            if want <= 0:   # (before the stop: a segment all in is done, not stopped)
                break
            if stop.is_set():
                raise Stop
            if limit.active:  # charged before the read, in small steps (paxel.ratelimit)
                want = min(want, limit.read_size(want))
                delay = limit.reserve(want)
                if delay > 0:
                    slept = time.monotonic()
                    with lock:   # not the server's time either (coordinator.replace_slow):
                        s.pacing[wid] = slept   # which connection waits on the bucket is chance
                    try:
                        if limit.pace(delay, stop):
                            raise Stop
                    finally:
                        with lock:
                            del s.pacing[wid]
                            slept = time.monotonic() - slept   # as slept: a loaded machine wakes
                            since = s.seg_started.get(wid)     # us late, not the server
                            if since is not None:
                                s.seg_started[wid] = (since[0] + slept, since[1])
                    if watch is not None:
                        watch.waited(slept)
            seg.reading = seg.pos + want   # (no lock: a hint for a tail steal, segments.steal)
            n = reply.readinto(buf[:want])
            if n <= 0:
                raise NetworkError(f"{reply.url} closed the connection early")
            # too slow: these bytes are still kept (written below), then the connection goes
            too_slow = watch is not None and watch.brought(time.monotonic(), n)
            with lock:
                offset = seg.pos
                allowed = table.claim(seg, n)
            if allowed:
                part.write_at(buf[:allowed], offset)
                # committed at once, not with the next read: a 1 MiB read takes up to
                # READ_SECONDS, and bytes in the file but not in the table are lost to a crash
                with lock:
                    table.commit(seg, allowed)
                    lagging = checkpointing and seg.written - seg.durable >= CHECKPOINT_BYTES
                if lagging:
                    s.wake.set()
            if allowed < n:
                break
            if too_slow:
                assert watch is not None
                raise TooSlow(f"{reply.url} sent {watch.describe()}")
            if size < READ_SIZE:  # a slow or new connection: grow reads with its speed, measured
                got += n          # over READ_SECONDS (the first read comes from a buffer: too fast,
                took = time.monotonic() - began  # and a 1 MiB read on a slow link holds its bytes
                if took >= READ_SECONDS:         # back from the file for seconds)
                    size = read_size(got / took, limit)
    finally:
        with lock:
            s.replies.pop(wid, None)
    with lock:
        return reply.body_end == seg.pos


def read_size(rate: float | None, limit: SpeedLimit | None) -> int:
    """Bytes per readinto: about READ_SECONDS at the connection's speed, MIN_READ..READ_SIZE.

    A readinto returns only when its buffer is full, so on a slow link a fixed 1 MiB read would
    hold bytes back from the file (and from progress and crash safety) for seconds; a fast one
    still reads 1 MiB at a time, where per-read Python overhead vanishes."""
    size = MIN_READ if rate is None else min(READ_SIZE, max(MIN_READ, int(rate * READ_SECONDS)))
    return limit.read_size(size) if limit is not None and limit.active else size
