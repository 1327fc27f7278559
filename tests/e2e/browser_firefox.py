"""Debian's firefox-esr with paxel's add-on (temporary, private browsing allowed), via Marionette.

There is no geckodriver here: Firefox is started by us with --marionette on a port it picks
(`marionette.port=0`, read back from MarionetteActivePort) and driven with marionette-driver.
Extension APIs are reached from one of the add-on's own pages opened in a tab.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # mozinfo calls distro.linux_distribution() when imported; a DeprecationWarning not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    from marionette_driver.marionette import ActionSequence, Marionette

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
EXTENSION = Path(__file__).resolve().parents[2] / "extension"
ADDON_ID = "paxel@paxel.io"
# How long a just started Firefox may take to give a Marionette session (port written, session
# made): measured 4-6 s at load 8-11 on 2 cores. The second attempt may take longer: a machine
# slow enough to miss the first deadline must not fail a test on speed alone.
FIRST_ANSWER = 30.0
SECOND_ANSWER = 60.0
CLICK_SANDBOX = "paxel-click"  # kept across calls: click() reads back what its listeners saw


class Firefox:
    """One firefox-esr process with its own profile (HOME is the caller's), ended by PID."""

    def __init__(self, root: Path, env: dict[str, str], command: str = FIREFOX) -> None:
        """Starts the process; session() then waits until Firefox itself answers."""
        self.profile = root / "firefox-profile"
        self.downloads = root / "firefox-downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.log_path = root / "firefox.log"
        self.command = command
        self.env = {**env, "MOZ_REMOTE_ALLOW_SYSTEM_ACCESS": "1"}
        self.attempts = 0
        self.extension_base = ""
        self._extension_tab = ""
        self._launch()

    def _launch(self) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in self._prefs().items()))
        args = [self.command, "--headless", "--marionette", "-no-remote", "-profile", str(self.profile)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log, start_new_session=True)
        self.attempts += 1
        self._in_session = False  # self.client exists once session() made it

    def _prefs(self) -> dict[str, Any]:
        return {
            "marionette.port": 0,
            "browser.download.folderList": 2,
            "browser.download.dir": str(self.downloads),
            "browser.download.useDownloadDir": True,
            "browser.download.always_ask_before_handling_new_types": False,
            "browser.download.alwaysOpenPanel": False,
            "browser.shell.checkDefaultBrowser": False,
            "network.trr.mode": 5,
            "devtools.console.stdout.chrome": True,
            "browser.aboutwelcome.enabled": False,
            "datareporting.policy.dataSubmissionEnabled": False,
            "toolkit.telemetry.reportingpolicy.firstRun": False,
            "app.update.disabledForTesting": True,
            "privacy.userContext.enabled": True,  # containers (cookie stores firefox-container-N)
        }

    def session(self, timeout: float) -> float:
        """Seconds until Firefox itself answered: its Marionette port written and a WebDriver
        session made (nothing of paxel's yet). TimeoutError after `timeout` s."""
        began = time.monotonic()
        port = self._wait_port(timeout)
        left = max(began + timeout - time.monotonic(), 1.0)
        # Only the session's start is bounded so: later commands keep the driver's long timeout.
        client = Marionette(host="127.0.0.1", port=port, socket_timeout=left, startup_timeout=int(left) + 1)
        try:
            client.start_session()
        except OSError as error:  # socket.timeout is TimeoutError; a refused connect is OSError
            raise TimeoutError(f"no Marionette session within {timeout} s ({error!r}); log:\n"
                               f"{self.log_tail()}") from error
        client.client.socket_timeout = client.socket_timeout = Marionette.DEFAULT_SOCKET_TIMEOUT
        self.client = client
        self._in_session = True
        return time.monotonic() - began

    def restart(self) -> str:
        """Close by PID and start again with a fresh profile (the host's registration is under
        HOME, not in it); the log is kept as firefox-attempt-N.log. Returns that log's tail."""
        tail = self.log_tail()
        self.close()
        self.log_path.replace(self.log_path.with_name(f"firefox-attempt-{self.attempts}.log"))
        shutil.rmtree(self.profile)
        self._launch()
        return tail

    def _wait_port(self, timeout: float) -> int:
        port_file = self.profile / "MarionetteActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"firefox exited {self.process.returncode}:\n{self.log_tail()}")
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text:
                return int(text)
            time.sleep(0.05)
        raise TimeoutError(f"no Marionette port within {timeout} s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def install_addon(self, path: Path = EXTENSION) -> str:
        """Temporary install with private browsing allowed (the driver's helper lacks the flag)."""
        params = {"path": str(path), "temporary": True, "allowPrivateBrowsing": True}
        addon_id = str(self.client._send_message("Addon:Install", params, key="value"))
        with self.client.using_context("chrome"):
            host = self.client.execute_script(
                "return WebExtensionPolicy.getByID(arguments[0]).mozExtensionHostname", [addon_id])
        self.extension_base = f"moz-extension://{host}/"
        # A background tab of its own for in_extension, opened now so that window handles do not
        # change under a test later. The tab the test drives is never navigated to read extension
        # state: that navigation cancelled a click's download whose response had not yet arrived
        # (a server answering in more than ~0.1 s), and Firefox then started nothing at all.
        self._extension_tab = str(self.client.open(type="tab", focus=False)["handle"])
        return addon_id

    def chrome(self, script: str, args: list[Any] | None = None) -> Any:
        with self.client.using_context("chrome"):
            return self.client.execute_script(script, args or [])

    def in_extension(self, script: str, args: list[Any] | None = None) -> Any:
        """Run `script` (a function body; may return a promise) in the add-on's options page, in
        its own background tab; the test's current tab stays where it is, undisturbed."""
        current = self.client.current_window_handle
        self.client.switch_to_window(self._extension_tab, focus=False)
        try:
            page = f"{self.extension_base}options/options.html"
            if self.client.get_url() != page:
                self.client.navigate(page)
            return self.client.execute_script(script, args or [], sandbox=None)
        finally:
            self.client.switch_to_window(current, focus=False)

    def open_container_tab(self, url: str, user_context_id: int) -> None:
        """A tab in container N (its cookie store is firefox-container-N), made current."""
        before = set(self.client.window_handles)
        self.chrome("""
            const tab = gBrowser.addTab(arguments[0], {userContextId: arguments[1],
                triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()});
            gBrowser.selectedTab = tab;""", [url, user_context_id])
        handle = (set(self.client.window_handles) - before).pop()
        self.client.switch_to_window(handle)

    def click(self, selector: str, hold: float = 0.0) -> None:
        """A WebDriver pointer click in the element's middle: instant, where an element click
        would wait ~5 s for a page load that a download never brings. Aimed at viewport
        coordinates, not at an element reference: the popup redraws its list on every progress
        event, which would make a reference stale between finding it and clicking it.

        Fails at once, saying what the page saw, unless the press began on the element and its
        click reached it: a test waiting for the click's effect would only time out."""
        # Aim once the page is loaded and the element is what is under the point (a covered or
        # not yet laid out element would take the press elsewhere); the page's own capture-phase
        # listeners then record where the press began and where its click went.
        deadline = time.monotonic() + 10
        while True:
            aim = self.client.execute_script("""
                const e = document.querySelector(arguments[0]);
                if (document.readyState !== "complete" || !e) return null;
                const r = e.getBoundingClientRect();
                const x = Math.round(r.left + r.width / 2), y = Math.round(r.top + r.height / 2);
                const hit = document.elementFromPoint(x, y);
                if (!hit || !(hit === e || e.contains(hit))) return null;
                if (!window.paxelListening) {
                    window.paxelListening = true;
                    for (const type of ["pointerdown", "click"]) {
                        document.addEventListener(
                            type, (ev) => { window.paxelPress[type] = ev.target; }, true);
                    }
                }
                window.paxelPress = {element: e};
                return [x, y];""", [selector], sandbox=CLICK_SANDBOX, new_sandbox=False)
            if aim is not None:
                break
            assert time.monotonic() < deadline, f"{selector} never became clickable"
            time.sleep(0.05)
        x, y = aim
        actions = ActionSequence(self.client, "pointer", "mouse").pointer_move(x, y, origin="viewport") \
            .pointer_down()
        if hold:  # a user who holds the button a moment, while the page may redraw under it
            actions = actions.pause(int(hold * 1000))
        actions.pointer_up().perform()
        seen = self._press_seen()
        assert seen is None or (seen["down"] and seen["click"]), \
            f"the click on {selector} at {aim}: the page saw {seen}"

    def _press_seen(self, timeout: float = 2.0) -> dict[str, Any] | None:
        """Where the last press began and where its click went ("" for none), and whether each was
        on the aimed element; None when the page was replaced meanwhile (nothing to tell)."""
        deadline = time.monotonic() + timeout
        while True:
            seen: dict[str, Any] | None = self.client.execute_script("""
                const p = window.paxelPress;
                if (!p) return null;
                const on = (t) => !!t && (t === p.element || p.element.contains(t));
                const name = (t) => t ? `${t.tagName.toLowerCase()}.${t.className}` : "";
                return {down: on(p.pointerdown), click: on(p.click),
                        began: name(p.pointerdown), clicked: name(p.click)};""",
                sandbox=CLICK_SANDBOX, new_sandbox=False)
            if seen is None or seen["clicked"] or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)

    def downloads_listed(self) -> list[dict[str, Any]]:
        """The browser's own downloads list (what the Library window shows)."""
        items: list[dict[str, Any]] = self.in_extension(
            "return browser.downloads.search({}).then(a => a.map(d => ({url: d.url, state: d.state,"
            " filename: d.filename, exists: d.exists})))")
        return items

    def set_settings(self, **settings: Any) -> None:
        self.in_extension("return browser.storage.sync.set({settings: arguments[0]})", [settings])

    def close(self) -> None:
        if self._in_session:
            self._in_session = False
            with contextlib.suppress(Exception):  # the process is ended below either way
                self.client.delete_session()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                os.killpg(self.process.pid, signal.SIGCONT)  # a frozen browser would hold the TERM
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                self.process.wait()


def answering(browser: Firefox, note: Callable[[str], None], first: float = FIRST_ANSWER,
              second: float = SECOND_ANSWER) -> float:
    """Seconds until a just started Firefox answered (its Marionette session). One that does not
    within `first` s is closed by PID and started once more (`note` gets why, with the first
    attempt's log tail); a second silence fails. The add-on's install comes after this and is
    never retried: an add-on Firefox refuses or cannot start is paxel's bug."""
    try:
        return browser.session(first)
    except TimeoutError:
        pid, kept = browser.process.pid, f"firefox-attempt-{browser.attempts}.log"
        tail = browser.restart()
        note(f"Firefox (pid {pid}) gave no Marionette session within {first} s of its start;"
             f" closed it and started it once more. Its log (kept as {kept}) ended:\n{tail}")
        return browser.session(second)
