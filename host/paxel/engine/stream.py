"""A single stream of unknown length (or one written whole from byte 0): one connection, written
to the end, a drop starting over from byte 0; a body compressed despite `Accept-Encoding:
identity` is decoded here, as one whole stream. Media units (engine.units) use `stream_body` too."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from paxel import storage
from paxel.engine.pump import READ_SECONDS, READ_SIZE, read_size
from paxel.engine.rules import raise_status, retry_or_raise
from paxel.engine.shared import Reply, RetryableStatus, Shared, Stop, TooSlow, Transport
from paxel.errors import NetworkError, ServerMisbehaved
from paxel.lowspeed import SlowWatch
from paxel.probe import DECODABLE, ProbeResult, encoding


def stream_unknown(s: Shared, main: Transport, reply: Reply | None, part: storage.PartFile) -> ProbeResult:
    """No length: one connection, written to the end (see stream_body); returns the probe with
    the size now known. Progress is reported while it runs."""
    probe = s.probe
    assert probe is not None
    s.live = 1
    last_emit = [time.monotonic()]

    def written(total: int) -> None:
        with s.lock:
            s.streamed = total
        now = time.monotonic()
        if now - last_emit[0] >= s.interval:
            s.emit(now)
            last_emit[0] = now

    size = stream_body(s, main, probe.url, reply, part, written)
    probe = replace(probe, size=size)
    with s.lock:
        s.probe = probe
    return probe


def stream_body(s: Shared, transport: Transport, url: str, reply: Reply | None, part: storage.PartFile,
                written: Callable[[int], None], wid: int = 0) -> int:
    """GET `url` (or take `reply`, its answer already) and write the whole body into `part` from
    byte 0; a drop starts over from byte 0 (with the retry policy's backoff). A body compressed
    despite `Accept-Encoding: identity` is decoded here, as one whole stream. `written(total)`
    is told the bytes on disk after every write. Returns the size. The reply is worker `wid`'s
    in `s.replies` while it is read: a pause aborts a read stalled on a silent server."""
    buf = memoryview(bytearray(READ_SIZE))
    failures = 0
    fresh = False
    try:
        while True:
            try:
                if reply is None:
                    reply = transport.get(url, fresh=fresh)
                    if reply.status != 200:
                        raise_status(reply, first_request=False)
                with s.lock:   # (a stop after this aborts it; one before is seen just below)
                    s.replies[wid] = reply
                decoder = _decoder(reply)
                part.truncate(0)
                total = 0
                written(0)
                began = time.monotonic()
                floor = s.options.speed_floor
                watch = SlowWatch(floor, began) if floor is not None else None
                size = read_size(None, s.limit)
                got = 0
                announced = _announced(reply)
                while True:
                    # every announced byte in: done, even if a pause came meanwhile (a read
                    # returns only once its buffer is full, so a small media segment's one read
                    # brings all of it; stopping now would throw a complete unit away)
                    if announced is not None and got >= announced:
                        break
                    s.check_stop()
                    # a read returns only once its buffer is full: sized to the speed, like
                    # pump's, so progress and the file move on a slow link too
                    n = reply.readinto(buf[:size])
                    if n == 0:
                        if s.stop.is_set():   # a body that ends at the close, cut by our own
                            raise Stop        # abort (pause, cancel): not its end
                        break
                    got += n
                    now = time.monotonic()
                    took = now - began
                    if size < READ_SIZE and took >= READ_SECONDS:  # (the first reads come
                        size = read_size(got / took, s.limit)     # from buffers: too fast)
                    total += _write(part, decoder.decompress(buf[:n]) if decoder else buf[:n], total)
                    written(total)
                    if watch is not None and watch.brought(now, n):
                        raise TooSlow(f"{reply.url} sent {watch.describe()}")
                    if s.limit.active:
                        delay = s.limit.reserve(n)
                        slept = time.monotonic()
                        if s.limit.pace(delay, s.stop) and (announced is None or got < announced):
                            raise Stop
                        if watch is not None:  # as slept: a loaded machine wakes us late
                            watch.waited(time.monotonic() - slept)
                if announced is not None and got < announced:  # (readinto just returns 0 then)
                    raise NetworkError(f"{reply.url} closed the connection early "
                                       f"({got} of {announced} bytes)")
                if decoder is not None:
                    total += _write(part, decoder.flush(), total)
                    written(total)
                    if not decoder.eof:
                        raise NetworkError(f"{reply.url}: the compressed body ended early")
                reply.close(reusable=True)
                return total
            except (NetworkError, RetryableStatus) as exc:
                if reply is not None:
                    reply.close()
                    reply = None
                fresh = isinstance(exc, TooSlow)   # (a trickling path tends to stay one)
                failures += 1
                retry_or_raise(s, exc, failures)
            except zlib.error as exc:
                raise ServerMisbehaved(f"{url}: the compressed body does not decode ({exc})") from None
            finally:
                with s.lock:
                    s.replies.pop(wid, None)
    except BaseException:
        if reply is not None:
            reply.close()
        raise


def _announced(reply: Reply) -> int | None:
    """The body's Content-Length as sent (of the encoded bytes, if encoded), when it is one."""
    raw = (reply.headers.get("Content-Length") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _write(part: storage.PartFile, data: bytes | memoryview, offset: int) -> int:
    if data:
        part.write_at(memoryview(data), offset)
    return len(data)


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
