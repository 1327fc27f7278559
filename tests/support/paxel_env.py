"""An isolated paxel for one test: its own HOME, XDG dirs, service, database, socket and secret.

Use (the `paxel_env` fixture in tests/conftest.py creates one and cleans it up):

    def test_something(paxel_env: PaxelEnv, nginx: Nginx) -> None:
        paxel_env.write_settings(max_concurrent=2)          # optional, before the service starts
        out = paxel_env.paxel("add", nginx.url("a.bin"))      # runs `python -m paxel ...` in the env
        subprocess.Popen(["paxel-host", ...], env=paxel_env.env)  # anything else: pass .env
        host = paxel_env.host("chrome")                      # a native host started like a browser does
        host.send({"id": 1, "type": "hello", "client": "test", "version": 1})
        reply = host.recv()                                  # next frame (reply or event), dict
        host.hello(); view = host.add(2, url=URL)            # shortcuts that assert success
        done = host.wait_event("completed", view["download_id"])
        pid = paxel_env.service_pid()                        # the live service's pid, or None

Layout (Linux): HOME=<tmp>/home, downloads land in <tmp>/home/Downloads (the default root),
XDG_{DATA,STATE,CONFIG,CACHE}_HOME under <tmp>, XDG_RUNTIME_DIR=<tmp>/run (0700) holding
paxel/paxel.sock (paxel/endpoint after use_tcp()), paxel/secret, paxel/service.pid. <tmp> is
short (/tmp/pxl-XXXX) because a Unix socket path must stay under 108 bytes. DISPLAY and
WAYLAND_DISPLAY are removed (headless) unless the test puts them back into `.env` before starting
anything.

cleanup() kills native hosts started through .host() and the service (SIGKILL to the pid in the
runtime dir; stop_service() is the graceful SIGTERM, SIGKILL after 5 s), then SIGTERM/SIGKILLs any
other process still running with this env's XDG_RUNTIME_DIR (a service still starting, a panel, a
launcher), and deletes the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
CHROME_ORIGIN = "chrome-extension://ndedhmmbihgfnaoijdppbfijdeleggmn/"
FIREFOX_ID = "paxel@paxel.io"


class NativeHost:
    """`paxel-host` spawned with a browser's argv; speaks native-messaging framing on its pipes."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # like Firefox: its own process group, killable as one
        )
        self._skipped: list[dict[str, Any]] = []

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_raw(struct.pack("=I", len(body)) + body)

    def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        """Next frame from the host (first those `reply()` read past); fails the test on a
        timeout, EOF or a non-framed byte."""
        if self._skipped:
            return self._skipped.pop(0)
        return self._recv_wire(timeout)

    def _recv_wire(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        header = self._read(4, timeout)
        (length,) = struct.unpack("=I", header)
        assert length <= 1024 * 1024, f"frame of {length} bytes exceeds the browsers' 1 MiB limit"
        message = json.loads(self._read(length, timeout).decode("utf-8"))
        assert isinstance(message, dict)
        return message

    def reply(self, request_id: int | str, timeout: float = 10.0) -> dict[str, Any]:
        """The reply to `request_id`; messages read past it stay queued for recv()/wait_event()."""
        for index, message in enumerate(self._skipped):
            if message.get("id") == request_id and "ok" in message:
                return self._skipped.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            message = self._recv_wire(max(0.1, deadline - time.monotonic()))
            if message.get("id") == request_id and "ok" in message:
                return message
            self._skipped.append(message)

    def hello(self, request_id: int = 1) -> dict[str, Any]:
        """Say hello (starts the service if needed); the hello result."""
        self.send({"id": request_id, "type": "hello", "client": "test", "version": 1})
        reply = self.reply(request_id, timeout=20.0)
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    def ask(self, request_id: int, **request: Any) -> dict[str, Any]:
        """Any request; its whole reply, ok or not."""
        self.send({"id": request_id, **request})
        return self.reply(request_id)

    def take(self, request_id: int, url: str, expect: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """A browser click's `take` that must be answered ok (taken or declined); its result."""
        self.send({"id": request_id, "type": "take", "url": url, "source": "click", "expect": expect,
                   **fields})
        reply = self.reply(request_id, timeout=20)
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    def add(self, request_id: int, **fields: Any) -> dict[str, Any]:
        """A `download` request that must succeed; its DownloadView."""
        self.send({"id": request_id, "type": "download", **fields})
        reply = self.reply(request_id)
        assert reply["ok"], reply
        view: dict[str, Any] = reply["result"]["download"]
        return view

    def wait_event(self, name: str, download_id: str, timeout: float = 30.0,
                   seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The first `name` event about `download_id` (a `failed` one fails the test instead);
        every message read on the way is appended to `seen`."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(0.1, deadline - time.monotonic()))
            if seen is not None:
                seen.append(message)
            data = message.get("data", {})
            about = data.get("download", {}).get("download_id") == download_id or any(
                d["download_id"] == download_id for d in data.get("downloads", []))
            if message.get("event") == "failed" and about and name != "failed":
                raise AssertionError(f"download failed: {data}")
            if message.get("event") == name and about:
                return message

    def wait_written(self, download_id: str, at_least: int) -> None:
        """Until a progress event says `at_least` bytes of the download are written."""
        while True:
            downloads = self.wait_event("progress", download_id)["data"]["downloads"]
            if any(d["download_id"] == download_id and d["done"] >= at_least for d in downloads):
                return

    def pause_written(self, download_id: str, at_least: int) -> None:
        """Pause once `at_least` bytes are written, and wait until the service has recorded them
        (its engine winds down after `paused`: a `list` at once may still show fewer)."""
        self.wait_written(download_id, at_least)
        assert self.ask(90, type="pause", download_id=download_id)["ok"]
        self.wait_event("paused", download_id)
        deadline = time.monotonic() + 10
        while True:
            listed = {v["download_id"]: v for v in self.ask(91, type="list")["result"]["downloads"]}
            if listed[download_id]["done"] >= at_least:
                return
            assert time.monotonic() < deadline, "the paused download never recorded its bytes"
            time.sleep(0.1)

    def _read(self, size: int, timeout: float) -> bytes:
        import selectors

        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        data = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(data) < size:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f"host sent {len(data)}/{size} bytes within {timeout}s")
                chunk = os.read(fd, size - len(data))
                if not chunk:
                    raise EOFError(f"host closed stdout after {len(data)}/{size} bytes")
                data += chunk
        return data

    def close(self, timeout: float = 5.0) -> int:
        """EOF on stdin (the browser closed the port); returns the exit status."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            return self.process.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream and not stream.closed:
                stream.close()


class PaxelEnv:
    """One isolated paxel user; see the module docstring."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pxl-", dir="/tmp"))
        self.home = self.root / "home"
        self.downloads = self.home / "Downloads"
        self.runtime = self.root / "run"
        for folder in (self.home, self.downloads, self.runtime):
            folder.mkdir(parents=True)
        self.runtime.chmod(0o700)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "PAXEL_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.root / "data"),
            XDG_STATE_HOME=str(self.root / "state"),
            XDG_CONFIG_HOME=str(self.root / "config"),
            XDG_CACHE_HOME=str(self.root / "cache"),
            XDG_RUNTIME_DIR=str(self.runtime),
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            PYTHONDONTWRITEBYTECODE="1",
        )
        self.env: dict[str, str] = env
        self.hosts: list[NativeHost] = []
        self.service_pids: set[int] = set()

    # Locations, as paxel.paths computes them on Linux for this env.
    @property
    def paxel_runtime(self) -> Path:
        return self.runtime / "paxel"

    @property
    def pid_file(self) -> Path:
        return self.paxel_runtime / "service.pid"

    @property
    def settings_file(self) -> Path:
        return self.root / "config" / "paxel" / "settings.json"

    @property
    def state_dir(self) -> Path:
        return self.root / "state" / "paxel"

    @property
    def port_file(self) -> Path:
        """The loopback transport's endpoint file (holds the service's port)."""
        return self.paxel_runtime / "endpoint"

    def use_tcp(self) -> None:
        """Everything started from now on talks to the service over loopback TCP (Windows' transport)."""
        self.env["PAXEL_IPC_TRANSPORT"] = "tcp"

    def write_settings(self, **settings: Any) -> None:
        self.settings_file.parent.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps(settings))

    def paxel(self, *args: str, timeout: float = 30.0,
              check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `python -m paxel ARGS` in this env; records any service pid it leaves behind."""
        done = subprocess.run([sys.executable, "-m", "paxel", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        self.note_service()
        if check and done.returncode != 0:
            raise AssertionError(f"paxel {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def host(self, browser: str = "chrome", extra_args: tuple[str, ...] = ()) -> NativeHost:
        """Start `paxel-host` as Chrome (origin) or Firefox (manifest path, add-on id) does."""
        exe = str(VENV_BIN / "paxel-host")
        if browser == "chrome":
            argv = [exe, CHROME_ORIGIN, *extra_args]
        else:
            manifest = self.home / ".mozilla" / "native-messaging-hosts" / "io.paxel.host.json"
            argv = [exe, str(manifest), FIREFOX_ID, *extra_args]
        host = NativeHost(argv, self.env)
        self.hosts.append(host)
        return host

    def service_pid(self) -> int | None:
        """Pid of the live service, from the pid file (None if none is running)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        self.service_pids.add(pid)
        return pid

    def note_service(self) -> None:
        self.service_pid()

    def wait_service(self, timeout: float = 10.0, other_than: int | None = None) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.service_pid()
            if pid is not None and pid != other_than:
                return pid
            time.sleep(0.02)
        raise TimeoutError("no paxel service came up")

    def start_service_without_auto_panel(self, display: str | None = None) -> int:
        """Start the service the way the panel and popup tests need it: its own "open the panel
        on a new download" off (each test opens the panel itself, or none), on `display` if given."""
        self.write_settings(open_panel_on_add=False)
        if display is not None:
            self.env["DISPLAY"] = display
        self.paxel("service", "start")
        return self.wait_service()

    def stop_service(self, timeout: float = 5.0) -> None:
        self.note_service()
        for pid in sorted(self.service_pids):
            _terminate(pid, timeout)
        self.service_pids.clear()

    def processes(self) -> list[int]:
        """Pids of every live process running in this env (found by its unique XDG_RUNTIME_DIR)."""
        marker = f"XDG_RUNTIME_DIR={self.runtime}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if marker in environ.read().split(b"\0") and _alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                continue
        return found

    def cleanup(self) -> None:
        """Stop everything this env started: hosts, the service, and any straggler still running
        in the env (e.g. a service that was still starting up). The service is killed, not
        stopped: its graceful stop (~0.25 s) only saved state into the folder deleted next, and
        every test paid it (a test of the stop itself calls stop_service)."""
        for host in self.hosts:
            host.kill()
        self.note_service()
        for pid in sorted(self.service_pids):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.service_pids.clear()
        for _ in range(3):  # a dying host may have spawned a service a moment ago
            stragglers = self.processes()
            if not stragglers:
                break
            for pid in stragglers:
                _terminate(pid, 3.0)
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    """True for a running process (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _terminate(pid: int, timeout: float) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


__all__ = ["CHROME_ORIGIN", "FIREFOX_ID", "NativeHost", "PaxelEnv"]
