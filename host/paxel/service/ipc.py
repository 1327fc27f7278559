"""The local IPC seam: where the service listens, who may connect, and the one-service lock.

Two transports, chosen by `transport_for(platform)`:
- `unix` (Linux, macOS): a Unix socket `paxel.sock` (0600) in the user-only runtime dir.
- `tcp` (Windows): a socket on 127.0.0.1, port chosen by the OS; the service writes that port
  atomically to the file `endpoint` (0600) in the same user-only runtime dir, next to the secret.
  Why not a named pipe or AF_UNIX: both differ per OS and Windows version (Python has no
  AF_UNIX on Windows, pipes need pywin32 or ctypes), while loopback TCP works on every Windows
  and the very same code runs in the tests on Linux (`PAXEL_IPC_TRANSPORT=tcp`). Other local
  users can connect to the port but cannot authenticate: they cannot read the secret. Nor can
  one pose as the service on a port a dead service left in a stale endpoint file: on `tcp` the
  service speaks first, with `service_proof` (an HMAC of the secret bound to this connection's
  two ports), and a client sends nothing, not even the secret, before it checked that proof.

The secret file (0600) is what proves a client is this user, on both transports.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import secrets
import socket
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from paxel import paths
from paxel.errors import ErrorCode, PaxelError
from paxel.protocol import make_event

SOCKET_NAME = "paxel.sock"
PORT_FILE_NAME = "endpoint"
UNIX, TCP = "unix", "tcp"
TRANSPORT_ENV = "PAXEL_IPC_TRANSPORT"  # "tcp" forces loopback TCP on POSIX too (tests, debugging)
LOOPBACK = "127.0.0.1"
GREETING = "service"  # the event the service sends first on tcp
MAX_GREETING = 1024


def transport_for(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> str:
    """`tcp` on Windows, `unix` elsewhere unless the environment forces `tcp`."""
    default = TCP if platform.startswith("win") else UNIX
    forced = environ.get(TRANSPORT_ENV, "")
    if forced in ("", default) or forced == TCP:
        return forced or default
    raise PaxelError(f"{TRANSPORT_ENV}={forced!r} is not usable on {platform} (use {TCP!r} or unset it)",
                     code=ErrorCode.SERVICE_UNAVAILABLE)


@dataclass(frozen=True)
class Endpoint:
    """Where this user's service listens: a Unix socket, or the file holding its loopback port."""

    transport: str
    path: Path

    def __str__(self) -> str:
        return f"{self.transport}:{self.path}"


def endpoint(platform: str = sys.platform, runtime: Path | None = None,
             environ: Mapping[str, str] = os.environ) -> Endpoint:
    transport = transport_for(platform, environ)
    return Endpoint(transport, (runtime or paths.runtime_dir()) / (SOCKET_NAME if transport == UNIX
                                                                   else PORT_FILE_NAME))


def secret_path() -> Path:
    return paths.runtime_dir() / "secret"


def pid_path() -> Path:
    return paths.runtime_dir() / "service.pid"


def write_private(path: Path, text: str) -> None:
    """Atomically replace path with text, readable by this user only (0600 from creation on)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def new_secret() -> str:
    secret = secrets.token_hex(32)
    write_private(secret_path(), secret)
    return secret


def read_secret() -> str:
    try:
        return secret_path().read_text().strip()
    except OSError as exc:
        raise PaxelError(f"cannot read the service secret: {exc}",
                         code=ErrorCode.SERVICE_UNAVAILABLE) from None


def read_secret_quietly() -> str | None:
    try:
        return secret_path().read_text().strip()
    except OSError:
        return None


def read_port_quietly(path: Path) -> int | None:
    try:
        return parse_port(path.read_text(encoding="ascii", errors="replace"))
    except (OSError, ValueError):
        return None


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of path: tells the socket we bound from one bound there later."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def is_our_socket(path: Path, our_id: tuple[int, int] | None) -> bool:
    return our_id is not None and file_id(path) == our_id


def listen(path: str) -> socket.socket:
    """Bind a Unix socket with 0600 permissions from the start (umask), replacing a stale one."""
    if sys.platform == "win32":  # transport_for never picks unix there
        raise OSError(errno.EAFNOSUPPORT, "no Unix sockets on Windows")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # only ever called while holding the service lock: nobody else owns it
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(socket.SOMAXCONN)
    return server


def listen_at(where: Endpoint) -> socket.socket:
    """The service's listening socket; for `tcp` the port file is written once it listens."""
    if where.transport == UNIX:
        return listen(str(where.path))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: no other process may bind our port too
        server.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    server.bind((LOOPBACK, 0))
    server.listen(socket.SOMAXCONN)
    write_private(where.path, f"{server.getsockname()[1]}\n")  # replaces a stale one atomically
    return server


def parse_port(text: str) -> int:
    """The port in an endpoint file; ValueError for anything but a decimal 1-65535."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or not 0 < int(stripped) < 65536:
        raise ValueError(f"not a port: {text[:20]!r}")
    return int(stripped)


def connect(where: Endpoint, timeout: float = 5.0) -> socket.socket:
    """A connection to the service; OSError when none listens there (absent, stale, garbled)."""
    if where.transport == UNIX:
        if sys.platform == "win32":  # transport_for never picks unix there
            raise ConnectionRefusedError(errno.EAFNOSUPPORT, "no Unix sockets on Windows")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(where.path))
        except OSError:
            sock.close()
            raise
    else:
        try:
            port = parse_port(where.path.read_text(encoding="ascii", errors="replace"))
        except ValueError as exc:  # a torn or foreign file: as good as no service
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"bad {where.path}: {exc}") from None
        sock = socket.create_connection((LOOPBACK, port), timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _check_greeting(sock, where)
        except BaseException:
            sock.close()
            raise
    sock.settimeout(None)
    return sock


def service_proof(secret: str, client_port: int, service_port: int) -> str:
    """Proof that the listener knows the secret, valid for one connection only (no replay)."""
    message = f"paxel-service {client_port}>{service_port}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def greeting(secret: str, conn: socket.socket) -> dict[str, Any]:
    """The service's first frame on a tcp connection it accepted."""
    proof = service_proof(secret, conn.getpeername()[1], conn.getsockname()[1])
    return make_event(GREETING, {"proof": proof})


def _check_greeting(sock: socket.socket, where: Endpoint) -> None:
    """Read the service's greeting and check its proof; OSError when the listener is not ours."""
    try:
        secret = read_secret()
        (length,) = struct.unpack("=I", _recv_exactly(sock, 4))
        if length > MAX_GREETING:
            raise ValueError(f"{length}-byte greeting")
        proof = json.loads(_recv_exactly(sock, length))["data"]["proof"]
    except (PaxelError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise ConnectionRefusedError(errno.ECONNREFUSED, f"no paxel service at {where.path}: {exc}") from None
    expected = service_proof(secret, sock.getsockname()[1], sock.getpeername()[1])
    if not isinstance(proof, str) or not hmac.compare_digest(proof.encode(), expected.encode()):
        raise ConnectionRefusedError(errno.ECONNREFUSED, f"the listener behind {where.path} is not "
                                     "this user's paxel service (wrong proof)")


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)}/{size} bytes")
        data += chunk
    return data


def send_timeout_option(seconds: float, platform: str = sys.platform) -> bytes:
    """SO_SNDTIMEO's value: a DWORD of milliseconds on Windows, a struct timeval elsewhere."""
    micros = round(seconds * 1_000_000)
    if platform.startswith("win"):
        return struct.pack("=L", micros // 1000)
    return struct.pack("ll", micros // 1_000_000, micros % 1_000_000)


class ServiceLock:
    """An exclusive lock held for the service's whole life: two starts at once → one service.

    The kernel drops it when the process dies (kill -9 too), so a stale lock file never blocks.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.runtime_dir() / "service.lock"
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        # 0600 like everything in the runtime dir (chmod: also a file an older paxel made 0644)
        handle = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        os.chmod(self.path, 0o600)
        try:
            if sys.platform.startswith("win"):  # pragma: no cover
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def held_elsewhere(self) -> bool:
        """True while another process holds this lock (a service starting or serving).

        Tested by taking it for a moment: a service starting in that very moment retries (see
        server._acquire_or_defer), so the test never costs the user their service."""
        if self._file is not None:
            return False
        if not self.acquire():
            return True
        self.release()
        return False

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
