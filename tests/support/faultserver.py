"""paxel's own misbehaving HTTP/1.1 server, for the fault tests (and anyone who needs one).

Two listeners share one state: the primary on 127.0.0.1 and an "other host" on 127.0.0.2 (a
different origin, so a cross-host redirect can be checked for leaked cookies). Every request is
recorded (method, target, headers, Range, Host, which listener, connection number, status, body
bytes sent) for assertions.

The body of any path is deterministic: bytes derived from a seed (the path's CRC unless `seed=`
is given) and the content version, so a test computes any range without storing the file.

Faults are chosen per URL with query parameters (see `Faults`), e.g.
    /a.bin?size=4194304&drop=100000&drop_times=2      the first 2 GETs die after 100000 body bytes
    /a.bin?status=429&retry_after=1                   the first request gets 429, Retry-After: 1
Counters ("the first K requests") are kept per request target (path + query), so a download
and all its retries and extra connections share them.

Signed links (`FaultServer.signed_url`, `signed_page`): `?exp=MS&sig=HMAC` is valid until the
Unix time MS (milliseconds) and/or for `exp_gets` GETs, then answers `exp_status` (403; 410 also
seen in the wild); a wrong or missing signature is 403 at once. The file is the path's, whatever
the signature, so a fresh link names the same bytes and validators. `/signed-page/NAME?...` is
the page a user would reload: a link (#dl) to NAME signed anew at each load.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import hmac
import random
import secrets
import select
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

PRIMARY_HOST = "127.0.0.1"
OTHER_HOST = "127.0.0.2"  # all of 127/8 is loopback on Linux: a second origin without DNS
PERIOD = 1_048_573  # prime: a misplaced range never lines up with the pattern by accident
BASE_MTIME = 1_700_000_000.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Faults:
    """What one URL does wrong; every field is a query parameter of the same name."""

    size: int = 1 << 20
    seed: int | None = None          # default: CRC32 of the path
    drop: int | None = None          # close the connection after this many body bytes...
    drop_times: int = 1              # ...for the first K GETs
    drop_alt: int | None = None      # odd-numbered GETs drop here instead (a drop point that varies)
    norange: int = 0                 # 1: ignore Range, always 200 with the whole body;
                                     # 2: the same while advertising Accept-Ranges (a liar)
    badrange: int = 0                # shift the served range by this many bytes (honest Content-Range)
    badtotal: int = 0                # add this to the total in Content-Range
    badrange_times: int = 1_000_000  # how many ranged GETs get badrange/badtotal
    change_after: int | None = None  # after this many GETs the content changes (new ETag, Last-Modified)
    ignore_if_range: int = 0         # 1: serve the new content to a stale If-Range (a broken server)
    noetag: int = 0                  # 1: validators are Last-Modified only
    delay: int = 0                   # wait this many ms before answering (each request, each hop)
    ctype: str | None = None         # the file's Content-Type (default application/octet-stream)
    nolm: int = 0                    # 1: no Last-Modified (with noetag: no validator, a generated export)
    status: int | None = None        # answer this status (e.g. 503, 429, 404)...
    status_times: int = 1            # ...to K requests (any method)...
    status_from: int = 0             # ...from request number N on (0: the first one)
    retry_after: str | None = None   # Retry-After value sent with `status`
    trickle: int | None = None       # send the body at this many bytes/s...
    trickle_times: int = 1_000_000   # ...for the first K GETs of more than one byte (not a probe)
    redirect: str | None = None      # "other": 302 to the same target on the other host; "same": same host
    redirect_status: int = 302
    redirect_ranged: int = 0         # 1: only GETs with a Range are redirected, to the other host
    ranged_status: int | None = None  # answer this status (e.g. 416) to every GET with a Range
    set_cookie: str | None = None    # the redirect also answers `Set-Cookie: VALUE` (a login hop)
    location: str | None = None      # a redirect (redirect_status) with exactly this Location value
    cl_delta: int = 0                # announce Content-Length + delta, send the real bytes, then close...
    cl_times: int = 1                # ...for the first K GETs
    nolength: int = 0                # 1: no Content-Length, close-delimited, no ranges
    chunked: int = 0                 # 1: Transfer-Encoding: chunked, no ranges
    head: str | None = None          # "405" / "403": refuse HEAD; "nolength": HEAD without length;
                                     # "wrongsize": HEAD claims twice the size
    cd: str | None = None            # Content-Disposition value, sent as UTF-8 bytes on the wire
    digest: str | None = None        # "right" / "wrong": send Repr-Digest (sha-256)
    legacy_digest: str | None = None  # "right" / "wrong": send Digest (RFC 3230, SHA-256)
    encode: str | None = None        # "gzip" / "deflate" / "br": compress every 206 body (ignoring
                                     # Accept-Encoding: identity), sent with Content-Encoding; "br"
                                     # bodies are gzip bytes mislabelled (nothing decodes them)
    encode_full: int = 0             # 1: 200 answers (no Range) are compressed the same way
    encode_every: int = 1            # with `encode`: only every K-th ranged GET is encoded
                                     # ("identity" labels raw bytes Content-Encoding: identity)
    slow_conn: int | None = None     # the K-th connection (1-based, per target) sends at...
    slow_rate: int = 100_000         # ...this many bytes/s, whatever `trickle` says for the others
    trickle_conn: int | None = None  # only the K-th connection (1-based, per target) trickles,
                                     # at `trickle` bytes/s, for its whole life (a bad CDN path)
    overrun: int = 0                 # after a 206 body, send this many bytes nobody announced
    cl_extra: int = 0                # 206 with Content-Length (and body) this much past the range
    chunked_cl: int = 0              # 1: 206 bodies chunked AND carrying Content-Length
    resize_after: int | None = None  # after this many GETs the file's size changes...
    resize_delta: int = 0            # ...by this much (same bytes, new ETag: it is a new file)
    full_at: int | None = None       # the GET with this number (0-based) ignores its Range: 200
    exp: int | None = None           # a signed link valid until this Unix time in ms...
    exp_gets: int | None = None      # ...and/or for this many GETs (per link)...
    sig: str | None = None           # ...if this is its signature (sign()); else 403
    nonce: str | None = None         # makes each signed link new (its own counters)
    exp_status: int = 403            # what an expired link answers
    exp_cut: int = 0                 # 1: a body still being sent when the link expires is cut
    ttl: int | None = None           # /signed-page/ only: the links it makes last this many ms
    chunked_ranges: int = 0          # 1: 206 bodies chunked (no Content-Length), as some proxies send
    http10: int = 0                  # 1: answer as HTTP/1.0, no Content-Length: close-delimited bodies
    stall_at: int | None = None      # pause the body after this many bytes...
    stall_ms: int = 0                # ...this long, then send the rest at full speed...
    stall_times: int = 1             # ...for the first K GETs of more than one byte
    maxconn: int | None = None       # at most K requests of this target served at once; one more
                                     # is cut before any reply (a per-client limit enforced by
                                     # closing the TCP connection, not by a 429/503)
    hdr_trickle: int | None = None   # send the status line and headers one byte every this many ms...
    hdr_trickle_times: int = 1_000_000  # ...for the first K GETs...
    hdr_trickle_conn: int | None = None  # ...or only on the K-th connection (1-based, per target)
    ts: int = 0                      # 1: a sync byte 0x47 every 188 bytes (passes as an MPEG-TS segment)
    silent: int = 0                  # 1: read the GET, then never answer (not a byte) until the
                                     # client closes the connection (a server hung after accept)...
    silent_times: int = 1_000_000    # ...for K GETs...
    silent_from: int = 0             # ...from GET number N on (0: the first one)

    @classmethod
    def parse(cls, query: str) -> Faults:
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for key, raw in parse_qsl(query, keep_blank_values=True):
            if key not in types:
                raise ValueError(f"unknown fault parameter {key!r}")
            values[key] = raw if "str" in str(types[key]) else int(raw)
        return cls(**values)  # type: ignore[arg-type]


SIGNING_KEY = b"paxel-faultserver"


def sign(path: str, exp: int | None, exp_gets: int | None, nonce: str | None) -> str:
    """The signature of a link to `path` valid until `exp` (ms) / for `exp_gets` GETs."""
    message = f"{path}|{exp}|{exp_gets}|{nonce}".encode()
    return hmac.new(SIGNING_KEY, message, "sha256").hexdigest()[:20]


def _signed_query(path: str, ttl_ms: int | None, gets: int | None, faults: Mapping[str, object]) -> str:
    exp = int(time.time() * 1000) + ttl_ms if ttl_ms is not None else None
    nonce = secrets.token_hex(4)
    extra = {"exp": exp, "exp_gets": gets, "nonce": nonce, "sig": sign(path, exp, gets, nonce)}
    return urlencode({k: v for k, v in {**faults, **extra}.items() if v is not None})


@functools.lru_cache(maxsize=16)
def _pattern(seed: int) -> bytes:
    return random.Random(seed).randbytes(PERIOD)


@functools.lru_cache(maxsize=256)
def _xor_table(key: int) -> bytes:
    return bytes(b ^ key for b in range(256))


def body_chunks(seed: int, start: int, end: int, chunk: int = CHUNK, ts: bool = False) -> Iterator[bytes]:
    """Bytes [start, end) of the body for `seed`: a prime-period pattern XORed per period
    (`ts`: with 0x47 at every multiple of 188, as MPEG-TS packets start)."""
    pattern = _pattern(seed)
    pos = start
    while pos < end:
        cycle, offset = divmod(pos, PERIOD)
        n = min(end - pos, PERIOD - offset, chunk)
        piece = pattern[offset:offset + n]
        key = (cycle * 167) & 0xFF
        piece = piece.translate(_xor_table(key)) if key else piece
        if ts:
            marked = bytearray(piece)
            first = -pos % 188
            marked[first::188] = b"\x47" * len(range(first, n, 188))
            piece = bytes(marked)
        yield piece
        pos += n


def body(seed: int, start: int, end: int, ts: bool = False) -> bytes:
    return b"".join(body_chunks(seed, start, end, chunk=PERIOD, ts=ts))


@dataclass
class Recorded:
    """One request as the server saw it; status and bytes are filled in when it is answered."""

    method: str
    target: str
    headers: dict[str, str]          # lower-case names
    server: str                      # "primary" or "other"
    connection: int
    time: float
    status: int = 0
    sent: int = 0

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def range(self) -> str | None:
        return self.headers.get("range")

    @property
    def cookie(self) -> str | None:
        return self.headers.get("cookie")

    @property
    def host(self) -> str | None:
        return self.headers.get("host")


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[Recorded] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (target, kind) -> n
    connections: int = 0
    changed: dict[str, int] = field(default_factory=dict)  # path -> versions added by change()
    conns: dict[str, list[int]] = field(default_factory=dict)  # target -> connection ids, in order
    sockets: set[socket.socket] = field(default_factory=set)
    stopping: threading.Event = field(default_factory=threading.Event)
    expired: set[str] = field(default_factory=set)  # signatures expired by FaultServer.expire()
    serving: dict[str, int] = field(default_factory=dict)  # target -> requests being answered now

    def bump(self, target: str, kind: str) -> int:
        """Count one more request of `kind` for `target`; return how many came before it."""
        with self.lock:
            n = self.counts.get((target, kind), 0)
            self.counts[(target, kind)] = n + 1
            return n

    def conn_number(self, target: str, conn_id: int) -> int:
        """1-based number of connection `conn_id` among those that asked for `target`."""
        with self.lock:
            seen = self.conns.setdefault(target, [])
            if conn_id not in seen:
                seen.append(conn_id)
            return seen.index(conn_id) + 1

    def peek(self, target: str, kind: str) -> int:
        with self.lock:
            return self.counts.get((target, kind), 0)


class _Dropped(Exception):
    """The handler cut the connection on purpose."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # a client that vanishes does not pin a thread forever

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1
            self.conn_id = self.server.state.connections
            self.server.state.sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.state.lock:
                self.server.state.sockets.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Silence: the records are the log."""

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _reject(self) -> None:
        self._record()
        self._simple(405, b"method not allowed\n")

    do_POST = do_PUT = do_DELETE = do_OPTIONS = _reject

    # -- helpers ----------------------------------------------------------------------------

    def _record(self) -> Recorded:
        rec = Recorded(
            method=self.command, target=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            server=self.server.name, connection=self.conn_id, time=time.monotonic(),
        )
        with self.server.state.lock:
            self.server.state.records.append(rec)
        self.rec = rec
        return rec

    def _simple(self, status: int, payload: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.rec.status = status
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
            self.rec.sent = len(payload)

    def _header_bytes(self, name: str, value: str) -> None:
        """Send a header whose value may hold raw UTF-8 (http.server only takes latin-1)."""
        self.send_header(name, value.encode("utf-8").decode("latin-1"))

    def _serve(self, head: bool) -> None:
        rec = self._record()
        state = self.server.state
        split = urlsplit(self.path)
        try:
            faults = Faults.parse(split.query)
        except (ValueError, TypeError) as exc:
            self._simple(400, f"bad fault query: {exc}\n".encode())
            return
        target = self.path
        if faults.maxconn is not None:
            with state.lock:
                busy = state.serving.get(target, 0)
                if busy < faults.maxconn:
                    state.serving[target] = busy + 1
            if busy >= faults.maxconn:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            try:
                self._serve_counted(rec, state, split, faults, head)
            finally:
                with state.lock:
                    state.serving[target] -= 1
            return
        self._serve_counted(rec, state, split, faults, head)

    def _serve_counted(self, rec: Recorded, state: _State, split: SplitResult, faults: Faults,
                       head: bool) -> None:
        target = self.path
        any_n = state.bump(target, "any")
        if faults.delay and state.stopping.wait(faults.delay / 1000):
            return

        if faults.redirect and self.server.name == "primary":
            query = urlencode([(k, v) for k, v in parse_qsl(split.query) if k not in
                               ("redirect", "redirect_status")])
            host = self.server.other_base if faults.redirect == "other" else ""
            location = f"{host}{split.path}" + (f"?{query}" if query else "")
            cookie = {"Set-Cookie": faults.set_cookie} if faults.set_cookie else {}
            self._simple(faults.redirect_status, b"", {"Location": location} | cookie)
            return
        if self.headers.get("Range") and self.server.name == "primary" and faults.redirect_ranged:
            self._simple(faults.redirect_status, b"", {"Location": f"{self.server.other_base}{target}"})
            return
        if self.headers.get("Range") and faults.ranged_status is not None:
            self._simple(faults.ranged_status, b"", {})
            return
        if faults.location is not None and self.server.name == "primary":
            self._simple(faults.redirect_status, b"", {"Location": faults.location})
            return
        if split.path.startswith("/signed-page/"):
            self._signed_page(split.path.removeprefix("/signed-page"), split.query, faults)
            return
        if faults.sig is not None or faults.exp is not None or faults.exp_gets is not None:
            if faults.sig != sign(split.path, faults.exp, faults.exp_gets, faults.nonce):
                self._simple(403, b"bad signature\n")
                return
            uses = state.bump(target, "signed")
            if self._expired(faults) or (faults.exp_gets is not None and uses >= faults.exp_gets):
                self._simple(faults.exp_status, b"link expired\n")
                return
        if faults.status is not None and 0 <= any_n - faults.status_from < faults.status_times:
            extra = {"Retry-After": faults.retry_after} if faults.retry_after else {}
            self._simple(faults.status, f"fault status {faults.status}\n".encode(), extra)
            return
        if head and faults.head in ("403", "405"):
            self._simple(int(faults.head), b"", {"Allow": "GET"} if faults.head == "405" else None)
            return

        get_n = 0 if head else state.bump(target, "get")
        if not head and faults.silent and 0 <= get_n - faults.silent_from < faults.silent_times:
            self.close_connection = True
            self._wait_or_gone(None)   # no status line, no header: the client's to give up
            return
        # The version this request sees: GETs counted up to and including this one.
        gets_so_far = state.peek(target, "get") if head else get_n + 1
        version = int(faults.change_after is not None and gets_so_far > faults.change_after)
        with state.lock:
            version += state.changed.get(split.path, 0)
        seed = self.server.seed_for(split.path, faults, version)
        size = faults.size
        if faults.resize_after is not None and gets_so_far > faults.resize_after:
            size += faults.resize_delta
        etag = f'"{seed:x}-{size:x}-{version}"'
        mtime = formatdate(BASE_MTIME + version * 3600, usegmt=True)

        headers: dict[str, str] = {"Content-Type": faults.ctype or "application/octet-stream"}
        if not faults.nolm:
            headers["Last-Modified"] = mtime
        if not faults.noetag:
            headers["ETag"] = etag
        ranges_ok = not (faults.norange or faults.nolength or faults.chunked)
        if ranges_ok or faults.norange == 2:
            headers["Accept-Ranges"] = "bytes"

        start, end, status = 0, size, 200
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        stale = if_range is not None and if_range not in (etag, mtime) and not faults.ignore_if_range
        ignore_range = faults.full_at is not None and get_n == faults.full_at
        if wanted and ranges_ok and not stale and not head and not ignore_range:
            parsed = _parse_range(wanted, size)
            if parsed is None:
                self._simple(416, b"", {"Content-Range": f"bytes */{size}"})
                return
            start, end = parsed
            status = 206
            shift = faults.badrange if get_n < faults.badrange_times else 0
            total = size + (faults.badtotal if get_n < faults.badrange_times else 0)
            start = max(0, min(size, start + shift))
            end = max(start, min(size, end + shift))
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{total}"

        full = body(seed, 0, size, bool(faults.ts)) if faults.digest or faults.legacy_digest else b""
        for kind, header, fmt in (("digest", "Repr-Digest", "sha-256=:{}:"),
                                  ("legacy_digest", "Digest", "SHA-256={}")):
            mode = getattr(faults, kind)
            if mode:
                data = full if mode == "right" else full + b"x"
                headers[header] = fmt.format(base64.b64encode(hashlib.sha256(data).digest()).decode())

        length: int | None = end - start
        close_after = False
        if faults.nolength or (head and faults.head == "nolength"):
            length = None
            close_after = not head
        if head and faults.head == "wrongsize":
            length = size * 2
        if not head and faults.cl_delta and get_n < faults.cl_times:
            assert length is not None
            length += faults.cl_delta
            close_after = True
        chunked = bool(faults.chunked) and not head
        if faults.http10 and not head:   # HTTP/1.0: the body ends when the connection closes
            self.protocol_version = "HTTP/1.0"
            length, close_after = None, True
        encoded = None
        if faults.encode and not head and (status == 206 or faults.encode_full) and (
                status != 206 or state.bump(target, "encode") % faults.encode_every == 0):
            if faults.encode != "identity":
                encoded = _compress(faults.encode, body(seed, start, end, bool(faults.ts)))
                length = len(encoded)
            headers["Content-Encoding"] = faults.encode
        extra = b""
        if status == 206 and not head:
            if faults.cl_extra:
                assert length is not None
                extra = body(seed ^ 0x5A5A, 0, faults.cl_extra)  # announced, but not the file
                length += len(extra)
            chunked = chunked or bool(faults.chunked_cl) or bool(faults.chunked_ranges)

        rec.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if faults.cd is not None:
            self._header_bytes("Content-Disposition", faults.cd)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            if faults.chunked_cl and status == 206:   # both: HTTP/1.1 says chunked wins
                self.send_header("Content-Length", str((length or 0) + 100))
        elif length is not None:
            self.send_header("Content-Length", str(length))
        if close_after and self.protocol_version == "HTTP/1.0":
            self.close_connection = True
        elif close_after:
            self.send_header("Connection", "close")
            self.close_connection = True
        if not head and self._trickles_headers(faults, state, target, get_n):
            if not self._trickle_headers(faults.hdr_trickle or 0):
                return
        else:
            self.end_headers()
        if head:
            return

        drop_at = faults.drop if faults.drop is not None and get_n < faults.drop_times else None
        if drop_at is not None and faults.drop_alt is not None and get_n % 2:
            drop_at = faults.drop_alt
        big_n = state.bump(target, "big-get") if end - start > 1 else faults.trickle_times
        stall = None
        if faults.stall_at is not None and end - start > 1 and \
                state.bump(target, "stall") < faults.stall_times:
            stall = (faults.stall_at, faults.stall_ms / 1000)
        rate = faults.trickle if faults.trickle and big_n < faults.trickle_times else None
        if faults.trickle_conn is not None:
            slow = state.conn_number(target, self.conn_id) == faults.trickle_conn
            rate = faults.trickle if slow and faults.trickle else None
        if faults.slow_conn is not None and state.conn_number(target, self.conn_id) == faults.slow_conn:
            rate = faults.slow_rate
        try:
            if encoded is not None:
                self._write(encoded, chunked)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
                return
            cut = functools.partial(self._expired, faults) if faults.exp_cut else None
            self._send_body(seed, start, end, chunked, drop_at, rate, extra, cut, stall, bool(faults.ts))
            if faults.overrun and status == 206:   # bytes past the announced end: garbage
                self.wfile.write(body(seed ^ 0xA5A5, 0, faults.overrun))
        except _Dropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _trickles_headers(self, faults: Faults, state: _State, target: str, get_n: int) -> bool:
        if not faults.hdr_trickle:
            return False
        if faults.hdr_trickle_conn is not None:
            return state.conn_number(target, self.conn_id) == faults.hdr_trickle_conn
        return get_n < faults.hdr_trickle_times

    def _trickle_headers(self, every_ms: int) -> bool:
        """Send the buffered status line and headers one byte at a time: never silent for long,
        never done (a server or middlebox that trickles its answer). False: the client left."""
        buffered: list[bytes] = getattr(self, "_headers_buffer", [])
        data = b"".join([*buffered, b"\r\n"])
        self._headers_buffer = []
        began = time.monotonic()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                # byte i+1 is due at began + (i+1) × every_ms: a wait that overslept (a loaded
                # machine) is caught up on, so the headers take the time asked for, not 2-3 times
                # it (seen: "about 2 s" passed a 5 s deadline in a whole-suite run at load 20+)
                due = began + (i + 1) * every_ms / 1000
                if self.server.state.stopping.wait(max(0.0, due - time.monotonic())):
                    raise BrokenPipeError
        except OSError:   # BrokenPipe, reset: the client gave up on us (what it should do)
            self.close_connection = True
            return False
        return True

    def _expired(self, faults: Faults) -> bool:
        """A signed link past its time, or expired by FaultServer.expire()."""
        with self.server.state.lock:
            if faults.sig is not None and faults.sig in self.server.state.expired:
                return True
        return faults.exp is not None and time.time() * 1000 >= faults.exp

    def _signed_page(self, name: str, query: str, faults: Faults) -> None:
        """A page with a link (#dl) to `name`, signed now for `ttl` ms (the other faults kept)."""
        kept = {k: v for k, v in parse_qsl(query) if k not in ("ttl", "exp_gets", "nonce")}
        href = f"{name}?{_signed_query(name, faults.ttl, faults.exp_gets, kept)}"
        html = (f'<!doctype html><meta charset=utf-8><title>signed</title><p style="margin:40px">'
                f'<a id="dl" href="{href}" style="font-size:40px">download</a></p>').encode()
        self._simple(200, html, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})

    def _send_body(self, seed: int, start: int, end: int, chunked: bool, drop_at: int | None,
                   rate: int | None, extra: bytes = b"", cut: Callable[[], bool] | None = None,
                   stall: tuple[int, float] | None = None, ts: bool = False) -> None:
        stopping = self.server.state.stopping
        piece = CHUNK if rate is None else max(1, rate // 20)
        began = time.monotonic()
        for data in body_chunks(seed, start, end, chunk=piece, ts=ts):
            if stall is not None and self.rec.sent + len(data) >= stall[0]:
                self._write(data[:max(0, stall[0] - self.rec.sent)], chunked)
                data = data[max(0, stall[0] - self.rec.sent):]
                self.wfile.flush()
                if self._wait_or_gone(stall[1]):
                    raise _Dropped
                stall = None
            if cut is not None and cut():
                raise _Dropped   # the link expired under this transfer
            if drop_at is not None and self.rec.sent + len(data) >= drop_at:
                data = data[:max(0, drop_at - self.rec.sent)]
                self._write(data, chunked)
                raise _Dropped
            self._write(data, chunked)
            if rate is not None:
                ahead = began + self.rec.sent / rate - time.monotonic()
                if ahead > 0 and stopping.wait(ahead):
                    raise _Dropped
        self._write(extra, chunked)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _wait_or_gone(self, seconds: float | None) -> bool:
        """Stay silent for `seconds` (None: for ever); True as soon as the client closed its end
        (or the server stops): a silent server still sees a client that gave up, so the tests can
        tell whether paxel left a connection open."""
        stopping, sock = self.server.state.stopping, self.connection
        until = None if seconds is None else time.monotonic() + seconds
        while not stopping.is_set():
            left = 0.05 if until is None else min(0.05, until - time.monotonic())
            if left <= 0:
                return False
            readable, _, _ = select.select([sock], [], [], left)
            if readable:
                try:
                    if not sock.recv(65536):   # end of stream: the client closed or shut down
                        return True
                except OSError:
                    return True
        return True

    def _write(self, data: bytes, chunked: bool) -> None:
        if chunked and data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        elif data:
            self.wfile.write(data)
        self.rec.sent += len(data)


def _compress(encoding: str, data: bytes) -> bytes:
    """`data` as a server that ignores `Accept-Encoding: identity` would send it."""
    if encoding == "deflate":
        return zlib.compress(data)
    return gzip.compress(data, mtime=0)


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """First range of a `bytes=` header as [start, end); None when unsatisfiable."""
    unit, _, spec = value.partition("=")
    first = spec.split(",")[0].strip()
    if unit.strip() != "bytes" or "-" not in first:
        return None
    a, _, b = first.partition("-")
    try:
        if not a:
            n = int(b)
            return (max(0, size - n), size) if n > 0 and size else None
        start = int(a)
        end = min(size, int(b) + 1) if b else size
    except ValueError:
        return None
    return (start, end) if start < size and start < end else None


class _Server(ThreadingHTTPServer):
    daemon_threads = False   # tracked, so stop() can join every handler thread
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, host: str, name: str, state: _State) -> None:
        super().__init__((host, 0), _Handler)
        self.name = name
        self.state = state
        self.other_base = ""

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that resets or drops a connection is what these tests provoke: stay quiet."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    @staticmethod
    def seed_for(path: str, faults: Faults, version: int) -> int:
        base = faults.seed if faults.seed is not None else zlib.crc32(path.encode())
        return base ^ (version * 0x9E3779B1)


class FaultServer:
    """The two listeners, their shared records, and helpers to build URLs and expected bytes."""

    def __init__(self) -> None:
        self.state = _State()
        self.primary = _Server(PRIMARY_HOST, "primary", self.state)
        self.other = _Server(OTHER_HOST, "other", self.state)
        self.base = f"http://{PRIMARY_HOST}:{self.primary.server_address[1]}"
        self.other_base = f"http://{OTHER_HOST}:{self.other.server_address[1]}"
        self.primary.other_base = self.other_base
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                         name=f"faultserver-{s.name}", daemon=True)
                        for s in (self.primary, self.other)]
        for thread in self.threads:
            thread.start()

    def url(self, name: str = "file.bin", other: bool = False, **faults: object) -> str:
        """URL of `/name` with the given faults (keyword = query parameter)."""
        for key in faults:
            if key not in {f.name for f in fields(Faults)}:
                raise ValueError(f"unknown fault {key!r}")
        query = urlencode({k: v for k, v in faults.items() if v is not None})
        base = self.other_base if other else self.base
        return f"{base}/{name}" + (f"?{query}" if query else "")

    def signed_url(self, name: str = "file.bin", ttl: float | None = None, gets: int | None = None,
                   **faults: object) -> str:
        """A signed link to `/name`: valid for `ttl` seconds and/or `gets` GETs from now."""
        ttl_ms = None if ttl is None else int(ttl * 1000)
        return f"{self.base}/{name}?{_signed_query('/' + name, ttl_ms, gets, faults)}"

    def expire(self, url: str) -> None:
        """The signed link `url` expires now (with `exp_cut`, its transfers are cut too)."""
        sig = dict(parse_qsl(urlsplit(url).query)).get("sig")
        assert sig, f"not a signed link: {url}"
        with self.state.lock:
            self.state.expired.add(sig)

    def signed_page(self, name: str = "file.bin", ttl: float | None = None, gets: int | None = None,
                    **faults: object) -> str:
        """A page whose link (#dl) to `/name` is signed anew at each load (see signed_url)."""
        extra = {"ttl": None if ttl is None else int(ttl * 1000), "exp_gets": gets}
        query = urlencode({k: v for k, v in {**faults, **extra}.items() if v is not None})
        return f"{self.base}/signed-page/{name}" + (f"?{query}" if query else "")

    def content(self, url: str, version: int = 0) -> bytes:
        """The whole body `url` serves (at content `version`)."""
        split = urlsplit(url)
        faults = Faults.parse(split.query)
        return body(_Server.seed_for(split.path, faults, version), 0, faults.size, bool(faults.ts))

    def change(self, url: str) -> None:
        """The file behind `url`'s path changes now (new bytes, ETag and Last-Modified)."""
        path = urlsplit(url).path
        with self.state.lock:
            self.state.changed[path] = self.state.changed.get(path, 0) + 1

    def sha256(self, url: str, version: int = 0) -> str:
        return hashlib.sha256(self.content(url, version)).hexdigest()

    @property
    def records(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.records)

    def requests(self, method: str | None = None, server: str | None = None) -> list[Recorded]:
        return [r for r in self.records
                if (method is None or r.method == method) and (server is None or r.server == server)]

    def open_connections(self) -> int:
        """Client connections the server still has open (both listeners): after a pause, none."""
        with self.state.lock:
            return len(self.state.sockets)

    def reset(self) -> None:
        """Forget records and counters (between tests sharing one server)."""
        with self.state.lock:
            self.state.records.clear()
            self.state.counts.clear()

    def stop(self) -> None:
        """Stop both listeners, cut open connections, join every thread."""
        self.state.stopping.set()
        for server in (self.primary, self.other):
            server.shutdown()
        with self.state.lock:
            open_sockets = list(self.state.sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for server in (self.primary, self.other):
            server.server_close()  # joins the handler threads
        for thread in self.threads:
            thread.join()
