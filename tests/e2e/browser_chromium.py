"""Debian's Chromium with paxel's extension, driven over CDP on --remote-debugging-pipe.

The pipe (fd 3 in, fd 4 out, NUL-separated JSON) needs no WebSocket library and no open port.
The extension's service worker is a CDP target like a page: tests evaluate code in it to read
storage or call its context-menu handler, and in pages to click links like a user.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paxel.ids import CHROMIUM_DEV_EXTENSION_ID

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXTENSION = Path(__file__).resolve().parents[2] / "extension"
# How long a freshly started Chromium may take to answer its first browser-level command. Measured
# on 2 cores: median 0.35 s idle, 1.0 s at load 17, never over 1.8 s in 290 starts; one CI start
# never answered at all (15 s) with nothing in its log. The second attempt may take longer: a
# machine slow enough to miss the first deadline must not fail a test on speed alone.
FIRST_ANSWER = 10.0
SECOND_ANSWER = 30.0


class CdpError(RuntimeError):
    pass


class Chromium:
    """One Chromium process (own user-data-dir and HOME), ended by PID in close()."""

    def __init__(self, root: Path, env: dict[str, str], headless: bool = True,
                 command: str = CHROMIUM) -> None:
        self.root = root
        self.profile = root / "chromium-profile"
        self.downloads = root / "chromium-downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self._write_preferences()
        self.log_path = root / "chromium.log"
        self.command = command
        self.args = [
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--password-store=basic", f"--user-data-dir={self.profile}",
            f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
            "--remote-debugging-pipe",
        ]
        if headless:
            self.args.insert(0, "--headless")
        else:
            self.args += ["--window-position=0,0", "--window-size=1200,760"]
        self.args.append("about:blank")
        self.env = env
        self.attempts = 0
        self._launch()

    def _launch(self) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._resp_r, resp_w = os.pipe()

        def child_fds() -> None:
            # Via high copies: a pipe may already sit on fd 3 or 4, and dup2 onto itself would
            # keep its close-on-exec flag.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_r, resp_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)
            for fd in high:
                os.close(fd)

        with self.log_path.open("wb") as log:
            # close_fds=False keeps fds 3/4 made in child_fds; everything else of ours is
            # close-on-exec already (PEP 446).
            self.process = subprocess.Popen([self.command, *self.args], env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            close_fds=False, preexec_fn=child_fds, start_new_session=True)
        os.close(cmd_r)
        os.close(resp_w)
        self.attempts += 1
        self._buffer = b""
        self._next_id = 1
        self.events: list[dict[str, Any]] = []
        self._worker_session: str | None = None
        self._targets: dict[str, str] = {}

    def first_answer(self, timeout: float) -> float:
        """Seconds until the browser itself answered (Browser.getVersion: nothing of paxel's)."""
        began = time.monotonic()
        self.send("Browser.getVersion", timeout=timeout)
        return time.monotonic() - began

    def restart(self) -> str:
        """Close by PID and start again with a fresh profile that keeps its native-messaging
        registration (`paxel install --user-data-dir` wrote it); the first attempt's log is kept
        beside the new one as chromium-attempt-N.log. Returns that log's tail."""
        tail = self.log_tail()
        self.close()
        self.log_path.replace(self.log_path.with_name(f"chromium-attempt-{self.attempts}.log"))
        for entry in self.profile.iterdir():
            if entry.name == "NativeMessagingHosts":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        self._write_preferences()
        self._launch()
        return tail

    def _write_preferences(self) -> None:
        default = self.profile / "Default"
        default.mkdir(parents=True, exist_ok=True)
        # The browser's own download folder, apart from paxel's, so "kept nothing" is checkable.
        (default / "Preferences").write_text(json.dumps({
            "download": {"default_directory": str(self.downloads), "prompt_for_download": False,
                         "directory_upgrade": True},
            "savefile": {"default_directory": str(self.downloads)},
        }))

    # ---- protocol ----
    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 15.0) -> dict[str, Any]:
        msg_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline - time.monotonic())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def _read(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if timeout <= 0 or not select.select([self._resp_r], [], [], timeout)[0]:
                raise TimeoutError(f"no CDP message; see {self.log_path}:\n{self.log_tail()}")
            chunk = os.read(self._resp_r, 1 << 16)
            if not chunk:
                raise CdpError(f"Chromium closed the pipe; see {self.log_path}:\n{self.log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(raw)
        return decoded

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # ---- targets ----
    def wait_target(self, kind: str, url_prefix: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for info in self.send("Target.getTargets")["targetInfos"]:
                if info["type"] == kind and info["url"].startswith(url_prefix):
                    return str(info["targetId"])
            time.sleep(0.1)
        raise TimeoutError(f"no {kind} target at {url_prefix}; log:\n{self.log_tail()}")

    def attach(self, target_id: str) -> str:
        return str(self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"])

    def evaluate(self, session: str, expression: str, timeout: float = 15.0) -> Any:
        """Run JS (awaiting a promise) and return its JSON value; a thrown error fails the test."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True}, session, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def extension(self) -> str:
        """A CDP session in paxel's service worker, once its module has run (globalThis.paxel)."""
        if self._worker_session is None:
            self.send("Target.setDiscoverTargets", {"discover": True})
            target = self.wait_target("service_worker", f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/")
            session = self.attach(target)
            deadline = time.monotonic() + 10
            while self.evaluate(session, "typeof globalThis.paxel") != "object":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"background.js did not finish loading; log:\n{self.log_tail()}")
                time.sleep(0.05)
            self._worker_session = session
        return self._worker_session

    def in_extension(self, expression: str, timeout: float = 15.0) -> Any:
        return self.evaluate(self.extension(), expression, timeout)

    def downloads_listed(self) -> list[dict[str, Any]]:
        """The browser's own downloads list (what the user sees in chrome://downloads)."""
        items: list[dict[str, Any]] = self.in_extension(
            "chrome.downloads.search({}).then(a => a.map(d => ({url: d.url, state: d.state,"
            " filename: d.filename, exists: d.exists})))")
        return items

    def open_page(self, url: str) -> str:
        """A new tab at url, loaded; returns its CDP session."""
        target = str(self.send("Target.createTarget", {"url": "about:blank"})["targetId"])
        session = self.attach(target)
        self._targets[session] = target
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": url}, session)
        deadline = time.monotonic() + 15
        while self.evaluate(session, "document.readyState") != "complete" or \
                self.evaluate(session, "location.href") != url:
            if time.monotonic() > deadline:
                raise TimeoutError(f"page {url} did not load")
            time.sleep(0.05)
        return session

    def target_of(self, session: str) -> str:
        return self._targets[session]

    def screen_point(self, session: str, selector: str) -> tuple[int, int]:
        """Where the element's middle is on the X screen (headful; the browser chrome is on top)."""
        x, y = self.evaluate(session, f"""(() => {{
            const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
            return [screenX + (outerWidth - innerWidth) / 2 + r.left + r.width / 2,
                    screenY + (outerHeight - innerHeight) + r.top + r.height / 2]; }})()""")
        return round(x), round(y)

    def click(self, session: str, selector: str, button: str = "left") -> None:
        """A real mouse click (Input.dispatchMouseEvent) in the middle of the element."""
        box = self.evaluate(session, f"""(() => {{
            const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": button, "clickCount": 1}, session)

    def close(self) -> None:
        # Chromium's singleton socket lives in a /tmp/org.chromium.Chromium.* folder that a
        # SIGTERMed browser leaves behind: thousands piled up in /tmp over a day of test runs.
        socket = self.profile / "SingletonSocket"
        singleton = Path(os.readlink(socket)).parent if socket.is_symlink() else None
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                os.killpg(self.process.pid, signal.SIGCONT)  # a frozen browser would hold the TERM
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                self.process.wait()
        if singleton is not None and singleton.name.startswith("org.chromium.Chromium."):
            shutil.rmtree(singleton, ignore_errors=True)
        # close() may run twice (fixture teardown after a test closed it): a second os.close of
        # the same number could close a pipe or socket that has reused it meanwhile.
        for fd in (self._cmd_w, self._resp_r):
            if fd >= 0:
                os.close(fd)
        self._cmd_w = self._resp_r = -1


def answering(browser: Chromium, note: Callable[[str], None], first: float = FIRST_ANSWER,
              second: float = SECOND_ANSWER) -> float:
    """Seconds until a just started browser answered a browser-level command. One that does not
    within `first` s is closed by PID and started once more (`note` gets why, with the first
    attempt's log tail); a second silence fails. Only this step is retried: paxel's own start
    (the extension's worker, background.js) comes after it and must not need a second chance."""
    try:
        return browser.first_answer(first)
    except TimeoutError:
        pid, kept = browser.process.pid, f"chromium-attempt-{browser.attempts}.log"
        tail = browser.restart()
        note(f"Chromium (pid {pid}) did not answer Browser.getVersion within {first} s of its start;"
             f" closed it and started it once more. Its log (kept as {kept}) ended:\n{tail}")
        return browser.first_answer(second)
