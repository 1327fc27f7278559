"""`paxel-host`: the native messaging host a browser starts for paxel's extension.

It only relays: each browser message is validated (paxel.schema) and forwarded to the per-user
service (started detached if needed), replies come back with the browser's id, and service events
are pushed to the browser as they arrive. Downloads live in the service, so the browser closing
the port (EOF → we exit at once) or killing us never stops one.

stdout belongs to the protocol alone: fd 1 is duplicated for our frames and then pointed at
stderr, so a stray print or a library's output can never corrupt a frame. Logs go to
state_dir()/host.log (never message contents: cookies travel in them).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from paxel import ids, installed, logs
from paxel.client import Pending, ServiceClient
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.protocol import MAX_MESSAGE, RequestId, encode_frame, read_frame, reply_error
from paxel.schema import BROWSER_TYPES, request_id_of, validate_request

log = logging.getLogger("paxel.host")
EXTRA_IDS_ENV = "PAXEL_EXTENSION_IDS"  # comma-separated extra extension ids (development builds)
# Set by `paxel doctor`: check the host answers without starting the service as a side effect.
NO_START_ENV = "PAXEL_HOST_NO_START"


@dataclass(frozen=True)
class Caller:
    """Who started us, as the browser said; `client` is what the service is told."""

    browser: str  # "chromium", "firefox" or "unknown"
    extension_id: str | None
    manifest: Path | None

    @property
    def client(self) -> str:
        if self.browser == "chromium":
            return f"chrome-extension://{self.extension_id}/"
        return f"firefox:{self.extension_id}"


def parse_caller(argv: Sequence[str]) -> Caller:
    """Chrome: [origin, (--parent-window=N on Windows)]; Firefox: [manifest path, add-on id]."""
    args = [a for a in argv if not a.startswith("--parent-window")]
    if args and args[0].startswith("chrome-extension://"):
        return Caller("chromium", args[0][len("chrome-extension://"):].strip("/"), None)
    if len(args) >= 2:
        return Caller("firefox", args[1], Path(args[0]))
    return Caller("unknown", None, None)


def allowed_ids(caller: Caller, environ: Mapping[str, str], configured: Sequence[str]) -> set[str]:
    """paxel's own ids, plus extra ones from the env, settings, and the manifest we were started from."""
    allowed = {*ids.CHROMIUM_EXTENSION_IDS, ids.FIREFOX_EXTENSION_ID, *configured}
    allowed.update(i.strip() for i in environ.get(EXTRA_IDS_ENV, "").split(",") if i.strip())
    if caller.manifest is not None:
        allowed.update(_manifest_ids(caller.manifest))
    return allowed


def _manifest_ids(manifest: Path) -> set[str]:
    """Ids listed in our own host manifest (what `paxel install --extension-id` wrote)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("name") != ids.HOST_NAME:
        return set()
    found = {str(e) for e in data.get("allowed_extensions", []) if isinstance(e, str)}
    for origin in data.get("allowed_origins", []):
        if isinstance(origin, str) and origin.startswith("chrome-extension://"):
            found.add(origin[len("chrome-extension://"):].strip("/"))
    return found


class Host:
    def __init__(self, inbound: IO[bytes], outbound: IO[bytes], caller: Caller, allowed: bool) -> None:
        self._in = inbound
        self._out = outbound
        self._caller = caller
        self._allowed = allowed
        self._write_lock = threading.Lock()
        self._client: ServiceClient | None = None
        self._client_lock = threading.Lock()
        self._broken = threading.Event()
        # The browser's hello says whether this connection may start a stopped service: its own
        # reconnect polling must not (a service the user stopped stays stopped), a click may.
        self._start = True

    def serve(self) -> int:
        try:
            while not self._broken.is_set():
                try:
                    message = read_frame(self._in)
                except EOFError:
                    break
                except ProtocolError as exc:
                    log.info("bad frame: %s", exc.message)
                    self.write(reply_error(None, exc))
                    continue
                self._handle(message)
        finally:
            self._close()
        return 0

    def _handle(self, message: dict[str, Any]) -> None:
        try:
            request = validate_request(message, BROWSER_TYPES)
        except ProtocolError as exc:
            log.info("refused a message: %s", exc.message)
            self.write(reply_error(request_id_of(message), exc))
            return
        if not self._allowed:
            self.write(reply_error(request.id, PaxelError(
                f"paxel-host was started for {self._caller.browser} extension {self._caller.extension_id!r}, "
                "which is not one of paxel's", code=ErrorCode.CALLER_NOT_ALLOWED)))
            return
        off = installed.off_reason(os.environ, self._caller.manifest)
        if off is not None:  # checked before anything is relayed or started: uninstall means off
            log.info("refused %s: %s; exiting", request.type, off)
            self.write(reply_error(request.id, PaxelError(off, code=ErrorCode.NOT_INSTALLED)))
            self._broken.set()  # the browser's next connect finds no host: "not installed"
            return
        log.info("request %s", request.type)
        if request.type == "hello":  # the service trusts client names ("panel" gets show_panel)
            message = {**message, "client": self._caller.client}
            self._start = message.get("start") is not False
        try:
            pending = self._service().send(message)  # here, so requests keep the browser's order
        except PaxelError as exc:
            self.write(reply_error(request.id, exc))
            return
        pending.when_done(lambda done: self._deliver(done, request.id))

    def _deliver(self, pending: Pending, request_id: RequestId) -> None:
        """Called on the service client's reader thread as each reply comes, in any order: a
        slow request (a probe to a server that never answers) holds no thread and delays none."""
        try:
            reply = pending.settled()
        except PaxelError as exc:
            reply = reply_error(request_id, exc)
        self.write(reply)

    def _service(self) -> ServiceClient:
        with self._client_lock:
            if self._client is None or self._client.closed:
                if self._client is not None:
                    self._client.close()
                    log.info("service connection lost; reconnecting")
                start = os.environ.get(NO_START_ENV) != "1" and self._start
                self._client = ServiceClient.connect(self._caller.client, start=start, on_event=self.write)
            return self._client

    def write(self, message: Mapping[str, Any]) -> None:
        """The only writer of the protocol stream; replies over 1 MiB become an error reply."""
        frame = encode_frame(message)
        if len(frame) - 4 > MAX_MESSAGE:
            if "event" in message:
                log.warning("dropped a %d-byte %s event (over the 1 MiB limit)", len(frame), message["event"])
                return
            frame = encode_frame(reply_error(message.get("id"), PaxelError(
                f"reply of {len(frame)} bytes exceeds the 1 MiB native messaging limit")))
        try:
            with self._write_lock:
                self._out.write(frame)
                self._out.flush()
        except (OSError, ValueError):  # the browser is gone: stop reading too
            self._broken.set()

    def _close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()  # answers every request still in flight with SERVICE_UNAVAILABLE


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # The protocol gets its own copy of fd 1; fd 1 itself now goes to stderr.
    outbound = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    inbound = os.fdopen(os.dup(0), "rb", buffering=0)
    logs.log_to_file("host.log", "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    caller = parse_caller(args)
    try:
        from paxel.service import settings

        configured: Sequence[str] = settings.load().extension_ids
    except PaxelError as exc:
        log.warning("settings ignored for the caller check: %s", exc.message)
        configured = ()
    allowed = caller.extension_id in allowed_ids(caller, os.environ, configured)
    log.info("started by %s %s (%s)", caller.browser, caller.extension_id,
             "allowed" if allowed else "REFUSED")
    with inbound, outbound:
        return Host(inbound, outbound, caller, allowed).serve()
