"""A real nginx on 127.0.0.1 for tests and the benchmark, started and stopped by PID.

Locations (all serve the same data folder):
  /files/     plain static files with Range support
  /capped/    `limit_rate` per connection (imitates a CDN cap)
  /noranges/  `max_ranges 0`: 200 with the whole body, no Accept-Ranges
  /private/   403 unless the request carries the cookie `paxel_session=letmein`
  /form/      the file only to a POST (an "Export" form); a GET gets 405
  /see-other/ 303 to the same name under /files/ (a POST answered by a redirect to a GET)
  /uneven/    `limit_rate` from a `map` on `$connection`: every 4th TCP connection (by nginx's
              serial number) gets `slow_rate` for its whole life, the others `rate` (a CDN where
              some paths are bad and a new connection usually lands on a good one), sent in
              `uneven_chunk` pieces (nginx sleeps chunk/rate after each: 256k at 300k is a burst
              every 0.85 s, too coarse for a speed measured over a couple of seconds)
  /limited/   like /capped/, but at most `conn_limit` connections at once per client address;
              nginx answers 503 to the others (a server that refuses extra connections)
  /gated/     the file to a browser navigation, a 200 "please log in" HTML page to anything else
  /nginx-status  stub_status (not logged): how many answers are being sent (Nginx.sending)
Any URL with `?slow=RATE` (nginx size, e.g. `2m`) is served at RATE per connection.
The access log records connection, status, bytes sent, Range, Cookie, method and the headers a
browser identifies itself with, so tests can count requests, connections and bytes actually
sent, and compare what paxel sent with what the browser sent.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PRIVATE_COOKIE = ("paxel_session", "letmein")
LOG_FIELDS = ("connection", "status", "bytes_sent", "range", "cookie", "method", "referer", "user_agent",
              "accept_language", "origin", "request")

CONFIG = """
daemon off;
worker_processes 2;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    # The method as the client sent it: an error_page redirect turns $request_method into GET.
    map $request $client_method {{ ~^([A-Z]+) $1; }}
    log_format paxel '$connection|$status|$body_bytes_sent|$http_range|$http_cookie|$client_method|'
                     '$http_referer|$http_user_agent|$http_accept_language|$http_origin|$request_uri';
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ application/octet-stream bin; text/plain txt; application/zip zip; text/html html; }}
    default_type application/octet-stream;
    sendfile on;
    sendfile_max_chunk 256k;
    tcp_nopush on;
    keepalive_requests 10000;
    absolute_redirect off;
    # connection numbers divisible by 4: the last two digits are, i.e. [even][048] or [odd][26]
    map $connection $uneven_rate {{
        "~^([0-9]*[02468])?[048]$" {slow_rate};
        "~[13579][26]$" {slow_rate};
        default {rate};
    }}
    limit_conn_zone $binary_remote_addr zone=perclient:1m;
    server {{
        listen 127.0.0.1:{port}{reuseport};
        server_name localhost;
        access_log {tmp}/access.log paxel;
        # `?slow=RATE` (e.g. 2m) on any URL caps each connection at RATE: a browser's single
        # connection cannot finish before paxel has taken the download (Firefox keeps its copy
        # until then), while paxel's several connections still finish quickly.
        if ($arg_slow) {{ set $limit_rate $arg_slow; }}
        location /files/ {{ alias {data}/; }}
        location /capped/ {{ alias {data}/; limit_rate {rate}; }}
        location /noranges/ {{ alias {data}/; max_ranges 0; }}
        # small files at slow_rate too (sendfile sends a file under sendfile_max_chunk at once)
        location /trickle/ {{ alias {data}/; sendfile off; output_buffers 1 8k; limit_rate {slow_rate}; }}
        # every file answered as an HLS playlist: a stream found by its type, not its extension
        location /typed-hls/ {{ alias {data}/; types {{ }} default_type application/vnd.apple.mpegurl; }}
        location /uneven/ {{ alias {data}/; limit_rate $uneven_rate; sendfile_max_chunk {uneven_chunk}; }}
        location /limited/ {{ alias {data}/; limit_rate {rate}; limit_conn perclient {conn_limit}; }}
        location /private/ {{
            alias {data}/;
            if ($cookie_{cookie_name} != "{cookie_value}") {{ return 403; }}
        }}
        # The static module answers a POST with 405; error_page turns that into a GET of the file.
        location /form/ {{
            if ($request_method = GET) {{ return 405 "GET not allowed\n"; }}
            alias {data}/;
            error_page 405 =200 /form-body$uri;
        }}
        location /form-body/form/ {{ internal; alias {data}/; }}
        location ~ ^/see-other/(.*)$ {{ return 303 /files/$1$is_args$args; }}
        # The file only to a browser's navigation (Sec-Fetch-Mode: navigate, which paxel does not
        # send); anything else gets a "please log in" HTML page with status 200.
        location /gated/ {{
            alias {data}/;
            if ($http_sec_fetch_mode != "navigate") {{ rewrite ^ /login-page last; }}
        }}
        # connections by state (stub_status): `Writing` counts the answers being sent, this one too
        location = /nginx-status {{ stub_status; access_log off; }}
        location = /login-page {{
            internal;
            types {{ }}
            default_type text/html;
            return 200 "<!doctype html><title>Log in</title>please log in\n";
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LogLine:
    connection: int
    status: int
    bytes_sent: int
    range: str
    cookie: str
    request: str
    method: str = "GET"
    referer: str = ""
    user_agent: str = ""
    accept_language: str = ""
    origin: str = ""


def dash(value: str) -> str:
    """nginx logs an absent header as "-"."""
    return "" if value == "-" else value


class Nginx:
    """One nginx process with its own prefix in a temporary folder."""

    def __init__(self, rate: str = "8m", root: Path | None = None, slow_rate: str = "819k",
                 conn_limit: int = 4, uneven_chunk: str = "256k", reuseport: bool = False) -> None:
        """`reuseport`: the kernel spreads new connections over the workers by a hash of their
        ports (bench/: see bench/README.md); without it the worker idle at that moment takes
        each one, so the split follows the client's timing."""
        self.tmp = Path(tempfile.mkdtemp(prefix="paxel-nginx-"))
        self.data = root or self.tmp / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        for folder in (self.tmp, self.data):
            folder.chmod(0o755)  # nginx workers run as nobody when we are root
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        for attempt in range(3):
            # free_port() only finds a port free a moment ago: another process (other tests run
            # beside these) may bind it before nginx does; nginx then exits, and a new port is tried
            self.port = free_port()
            conf = CONFIG.format(
                user=user, tmp=self.tmp, port=self.port, reuseport=" reuseport" if reuseport else "",
                data=self.data, rate=rate, slow_rate=slow_rate,
                conn_limit=conn_limit, uneven_chunk=uneven_chunk,
                cookie_name=PRIVATE_COOKIE[0], cookie_value=PRIVATE_COOKIE[1],
            )
            (self.tmp / "nginx.conf").write_text(conf)
            self.process = subprocess.Popen(
                [NGINX, "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            try:
                self._wait_ready()
                return
            except RuntimeError as exc:
                if attempt == 2 or "Address already in use" not in str(exc):
                    raise
                if self.process.stderr:
                    self.process.stderr.close()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"nginx exited: {err}")
            # nginx writes its pid file once its sockets are bound: before that, a connection
            # may reach another process that took the port (and nginx exits a moment later)
            pid_file = self.tmp / "nginx.pid"
            if pid_file.exists() and pid_file.read_text().strip() == str(self.process.pid):
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("nginx did not start listening")

    def url(self, name: str, location: str = "files") -> str:
        return f"http://127.0.0.1:{self.port}/{location}/{name}"

    def add_file(self, name: str, size: int | None = None, content: bytes | None = None) -> str:
        """Write a file into the served folder (random bytes of `size`); return its sha256."""
        path = self.data / name
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with path.open("wb") as out:
            if content is not None:
                out.write(content)
                digest.update(content)
            else:
                assert size is not None
                remaining = size
                while remaining:
                    block = os.urandom(min(remaining, 1 << 20))
                    out.write(block)
                    digest.update(block)
                    remaining -= len(block)
        path.chmod(0o644)
        return digest.hexdigest()

    def log(self) -> list[LogLine]:
        path = self.tmp / "access.log"
        if not path.exists():
            return []
        lines = []
        for raw in path.read_text().splitlines():
            # The request URI is last: it may hold "|"; the headers before it are escaped by nginx
            # only for quotes and control bytes, so a "|" in a header would shift fields (none
            # of the tests' headers has one).
            conn, status, sent, rng, cookie, method, referer, agent, language, origin, request = \
                raw.split("|", 10)
            lines.append(LogLine(int(conn), int(status), int(sent), dash(rng), dash(cookie), request,
                                 method, dash(referer), dash(agent), dash(language), dash(origin)))
        return lines

    def sending(self) -> int:
        """How many answers nginx is sending right now (stub_status `Writing`, less the status
        request itself): seen at once, unlike the access log, which gets a request as it ends."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/nginx-status", timeout=10) as reply:
            status = reply.read().decode()
        found = re.search(r"Writing: (\d+)", status)
        assert found is not None, status
        return int(found.group(1)) - 1

    def clear_log(self) -> None:
        (self.tmp / "access.log").write_text("")
        os.kill(self.process.pid, signal.SIGUSR1)  # reopen the log file

    def stop(self) -> None:
        # SIGTERM, nginx's fast shutdown: SIGQUIT (graceful) waited for every transfer still
        # open, and a capped one at a test's end ran into the 5 s below (5 s per such test).
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
