"""The service process: socket server, authentication and broadcast.

The serving (main) thread runs the gate (paxel.service.gate): it accepts, and holds every
connection that has not authenticated yet with no thread of its own (a deadline, a bound). Each
authenticated client then gets one thread that reads frames, validates them with
paxel.schema and hands each request to the router (paxel.service.router), which decides what
it does; a slow request (SLOW) gets a thread of its own. A thread that cannot start (a thread
limit, no memory) costs that one client or request, never the service. Events are broadcast
to every authenticated client through its outbox (paxel.service.peer): a client that does not
read is dropped, never waited for, and a client has at most peer.MAX_SLOW slow requests in
flight. Desktop actions (open, panel, notifications) live in paxel.service.desktop.

Start-up order makes two simultaneous starts safe: take the service lock (the loser exits), then
write a fresh secret, bind the socket (0600; or the loopback port, then its endpoint file, see
paxel.service.ipc), write the pid file, and only then accept.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import logging
import os
import signal
import socket
import sys
import threading
import time
from types import FrameType
from typing import Any

from paxel import __version__, logs, paths
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.protocol import make_event, read_frame, reply_error, reply_ok
from paxel.schema import Request, request_id_of, validate_request
from paxel.service import ipc
from paxel.service import settings as settings_mod
from paxel.service.announce import announcer
from paxel.service.desktop import Desktop
from paxel.service.gate import Gate, PrefixedReader
from paxel.service.peer import Client
from paxel.service.router import SLOW, Context, Router
from paxel.service.scheduler import Scheduler
from paxel.service.store import Store

log = logging.getLogger(__name__)


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave the accept loop on the main thread."""


class Service:
    def __init__(self) -> None:
        self.settings = settings_mod.load()
        self.store = Store(paths.data_dir() / "paxel.sqlite3")
        self.desktop = Desktop(self.broadcast_to_panel)
        self.scheduler = Scheduler(self.store, self.settings, self._on_event, opener=self.desktop.open)
        self.router = Router(Context(self.scheduler, self.settings, self.desktop, _shutdown_soon))
        self._clients: set[Client] = set()
        self._clients_lock = threading.Lock()
        self._secret = ""
        self._socket_id: tuple[int, int] | None = None
        self._port = 0

    # --- serving ---------------------------------------------------------------------------------

    def serve(self, lock: ipc.ServiceLock, address: ipc.Endpoint) -> None:
        self._secret = ipc.new_secret()
        server = ipc.listen_at(address)
        self._socket_id = ipc.file_id(address.path) if address.transport == ipc.UNIX else None
        self._port = server.getsockname()[1] if address.transport == ipc.TCP else 0
        ipc.write_private(ipc.pid_path(), f"{os.getpid()}\n")
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        log.info("service %s (pid %d) listening on %s", __version__, os.getpid(), address)
        greet = (lambda sock: ipc.greeting(self._secret, sock)) if address.transport == ipc.TCP else None
        door = Gate(server, self._check_auth, self._admit, greet, tick=lambda: self._heal(address))
        try:
            self.scheduler.start()
            door.run()
        except (_Stop, KeyboardInterrupt):
            log.info("service stopping")
        finally:
            signal.signal(signal.SIGTERM, previous)
            door.close()
            server.close()
            self.scheduler.stop()
            with self._clients_lock:
                clients = list(self._clients)
            flushed_by = time.monotonic() + 1.0  # `shutdown`'s reply, the last events
            for client in clients:
                client.drain(flushed_by)
                client.close()
            for leftover in (address.path, ipc.pid_path()):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            self.store.close()
            lock.release()
            log.info("service stopped")

    def _admit(self, sock: socket.socket, auth: Request, rest: bytes) -> None:
        """The gate's hand-over: a client that authenticated gets its reply and a reader thread."""
        client = Client(sock)
        client.authenticated = True
        with self._clients_lock:
            self._clients.add(client)
        client.send(reply_ok(auth.id, {}))
        try:
            client.start()
            threading.Thread(target=self._serve_client, args=(client, rest), daemon=True,
                             name="paxel-client").start()
        except RuntimeError as exc:  # "can't start new thread": refuse this one, keep serving
            log.warning("no thread for a new client (%s); it is disconnected", exc)
            with self._clients_lock:
                self._clients.discard(client)
            client.close()
            sock.close()

    def _serve_client(self, client: Client, rest: bytes) -> None:
        stream = io.BufferedReader(PrefixedReader(rest, client.sock))
        try:
            while True:
                try:
                    message = read_frame(stream)
                except EOFError:
                    break
                except ProtocolError as exc:
                    client.send(reply_error(None, exc))
                    continue
                self._handle(client, message)
        except OSError:
            pass
        finally:
            with self._clients_lock:
                self._clients.discard(client)
            client.close()  # its writer stops before the socket goes
            stream.close()
            client.sock.close()

    def _handle(self, client: Client, message: dict[str, Any]) -> None:
        request_id = request_id_of(message)
        try:
            request = validate_request(message)
            if request.type in SLOW:  # network I/O: do not hold up this client's other requests
                if not client.slow.acquire(blocking=False):
                    raise PaxelError(f"too many slow requests in flight; {request.type} again later",
                                     code=ErrorCode.SERVICE_UNAVAILABLE)
                try:
                    threading.Thread(target=self._answer_slow, args=(client, request), daemon=True).start()
                except RuntimeError as exc:
                    client.slow.release()
                    raise PaxelError(f"the service is too busy for a {request.type} now ({exc})",
                                     code=ErrorCode.SERVICE_UNAVAILABLE) from None
                return
            self._answer(client, request)
        except PaxelError as exc:
            client.send(reply_error(request_id, exc))

    def _answer(self, client: Client, request: Request) -> None:
        client.send(self.router.reply(client, request))

    def _answer_slow(self, client: Client, request: Request) -> None:
        try:
            self._answer(client, request)
        finally:
            client.slow.release()

    def _heal(self, address: ipc.Endpoint) -> None:
        """Every second: a secret file that is gone or not ours (deleted by a cleaner, garbled)
        is replaced by a new secret, so new clients can authenticate again within a second
        (connected ones stay). A Unix socket that is gone cannot be listened on again: stop, and
        the next client starts a fresh service. A lost TCP endpoint file is written again."""
        if ipc.read_secret_quietly() != self._secret:
            self._secret = ipc.new_secret()
            log.warning("the secret file was gone or changed: wrote a new secret")
        if address.transport == ipc.UNIX and not ipc.is_our_socket(address.path, self._socket_id):
            log.warning("the socket %s is gone: stopping so the next client starts a service", address.path)
            raise _Stop
        if address.transport == ipc.TCP and ipc.read_port_quietly(address.path) != self._port:
            ipc.write_private(address.path, f"{self._port}\n")
            log.warning("the endpoint file was gone or changed: wrote it again")

    def _check_auth(self, request: Request) -> None:
        """The gate's test of a connection's first frame: `auth` with this service's secret."""
        if request.type != "auth" or not hmac.compare_digest(
                str(request.fields["secret"]).encode(), self._secret.encode()):
            raise PaxelError("authenticate first with the secret from the runtime dir",
                             code=ErrorCode.UNAUTHORIZED)

    def broadcast(self, event: str, data: dict[str, Any]) -> None:
        message = make_event(event, data)
        with self._clients_lock:
            clients = list(self._clients)
        for client in clients:
            client.send(message)

    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        """The scheduler's events to every client; an outcome (completed, failed) is announced
        exactly once: by the browser that started it if connected, else on the desktop
        (service/announce.py)."""
        if event not in ("completed", "failed"):
            if event == "removed":
                self.router.context.starters.forget(str(data.get("download_id")))
            self.broadcast(event, data)
            return
        download_id = str(data["download"]["download_id"])
        starters = self.router.context.starters
        with self._clients_lock:
            clients = list(self._clients)
        chosen = announcer(starters.get(download_id), clients)
        if event == "completed":
            starters.forget(download_id)
        for client in clients:
            client.send(make_event(event, {**data, "notify": client is chosen}))
        if chosen is None:
            self.desktop.notify_outcome(event, data["download"])

    def broadcast_to_panel(self) -> bool:
        """Ask a connected panel to come to the front; False when none is connected."""
        message = make_event("show_panel", {})
        with self._clients_lock:
            panels = [c for c in self._clients if c.name == "panel"]
        for panel in panels:
            panel.send(message)
        return bool(panels)


def _shutdown_soon() -> None:
    """`shutdown`: SIGTERM to ourselves once the reply is on its way (the main thread stops)."""
    threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()


def _acquire_or_defer(lock: ipc.ServiceLock, address: ipc.Endpoint, patience: float = 5.0) -> bool:
    """Take the service lock, or return False once another service answers on the socket.

    The lock may also be held by a service that is still shutting down: then keep trying for a
    while rather than leave the user with no service at all.
    """
    deadline = time.monotonic() + patience
    while not lock.acquire():
        try:
            ipc.connect(address, timeout=1.0).close()
            return False
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    return True


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run() -> int:
    """`paxel service run`: serve in the foreground until SIGTERM or `shutdown`.

    Exit 0 also when another service already holds the lock (it serves; nothing to do).
    """
    logs.log_to_file("service.log",
                     "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s")
    lock = ipc.ServiceLock()
    try:
        address = ipc.endpoint()
    except PaxelError as exc:
        return _failed(lock, exc)
    if not _acquire_or_defer(lock, address):
        sys.stderr.write("paxel service: another service is already running\n")
        return 0
    try:
        Service().serve(lock, address)
    except OSError as exc:
        return _failed(lock, PaxelError(f"{exc.strerror or exc}: {exc.filename or ''}", code=ErrorCode.DISK))
    except PaxelError as exc:
        return _failed(lock, exc)
    return 0


def _failed(lock: ipc.ServiceLock, error: PaxelError) -> int:
    log.error("service failed: %s", error.message)
    sys.stderr.write(f"paxel service: {error.message}\n")
    lock.release()
    return error.exit_status


__all__ = ["Service", "run"]
