"""Browser end-to-end fixtures: Chromium or Firefox with paxel's extension, in a paxel_env.

Each browser gets the test's paxel_env as its environment (temporary HOME, XDG dirs): the
native host it starts inherits that and reaches that env's service. Registration is done with
`paxel install`, exactly as a user would, unless a test wants the host missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest
from browser_chromium import Chromium, answering
from browser_firefox import Firefox
from browser_firefox import answering as answering_firefox

from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

MiB = 1024 * 1024
T = TypeVar("T")

pytestmark = pytest.mark.browser
LOGS = ("firefox.log", "service.log", "host.log")
RESTART_NOTES = pytest.StashKey[list[str]]()
RESTARTS: list[tuple[str, str]] = []  # (test, why): every browser start that needed a second try


def restarted(item: pytest.Item, note: str) -> None:
    """A browser start that needed its second try shows in the run's summary (even when the test
    passed) and in the test's report: a rare silent browser is tolerated, never hidden."""
    item.stash.setdefault(RESTART_NOTES, []).append(note)
    RESTARTS.append((item.nodeid, note))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESTARTS:
        terminalreporter.section(f"browser starts that needed a second try: {len(RESTARTS)}")
        for test, note in RESTARTS:
            terminalreporter.write_line(f"{test}: {note}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test shows the tails of the browser's, the host's and the service's logs
    (its env, which holds them, is removed afterwards); PAXEL_E2E_KEEP=DIR also copies them there."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    for note in item.stash.get(RESTART_NOTES, []):
        report.sections.append(("browser started twice", note))
    item.stash[RESTART_NOTES] = []
    env = getattr(item, "funcargs", {}).get("paxel_env")
    if report.when != "call" or not report.failed or not isinstance(env, PaxelEnv):
        return
    found = sorted(p for p in env.root.rglob("*.log") if p.is_file())
    keep = os.environ.get("PAXEL_E2E_KEEP")
    if keep:
        target = Path(keep) / f"{item.name}-{time.strftime('%H%M%S')}"
        for path in found:
            copy = target / path.relative_to(env.root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, copy)
    for path in found:
        if path.name in LOGS:
            lines = path.read_text(errors="replace").splitlines()[-60:]
            report.sections.append((f"log {path.relative_to(env.root)}", "\n".join(lines)))


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll until check() returns something truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def settled(read: Callable[[], int], what: str, quiet: float = 0.5, timeout: float = 10.0) -> int:
    """A paused download's byte count once two reads `quiet` s apart agree. The service lists a
    download as paused at once, but its engine stores the bytes it stopped at as it winds down:
    on a loaded machine more than half a second later (CI: a read 0.5 s after the first `paused`
    was higher). Bytes that keep coming fail the test after `timeout` s."""
    last = read()
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(quiet)
        now = read()
        if now == last:
            return now
        assert time.monotonic() < deadline, f"{what}: still {last} -> {now} B {timeout} s after the pause"
        last = now


def browser_finished(browser: Chromium | Firefox, what: str) -> list[dict[str, Any]]:
    """The browser's own completed downloads, once there is one (paxel left the file to it)."""
    return wait_for(lambda: [d for d in browser.downloads_listed() if d["state"] == "complete"], 20, what)


def native_hosts(browser: Chromium | Firefox) -> list[psutil.Process]:
    """The live paxel-host processes this browser started. One that exited may linger as a
    zombie until the browser reaps it; its command line can no longer be read (psutil raises),
    and it is no host any more."""
    found = []
    for process in psutil.Process(browser.process.pid).children(recursive=True):
        try:
            if any("paxel-host" in part for part in process.cmdline()):
                found.append(process)
        except psutil.Error:  # exited (zombie or gone) meanwhile
            pass
    return found


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def paxel_list(env: PaxelEnv) -> list[dict[str, Any]]:
    """paxel's downloads; none while no service runs (`paxel list` does not start one)."""
    done = env.paxel("list", "--json", check=False)
    if done.returncode != 0 and "service is not running" in done.stderr:
        return []
    assert done.returncode == 0, done.stderr
    views: list[dict[str, Any]] = json.loads(done.stdout)
    return views


def paxel_download(env: PaxelEnv, url: str, state: str | None = None) -> dict[str, Any] | None:
    """paxel's download of url (in that state, if given), or None."""
    for view in paxel_list(env):
        if view["url"] == url and (state is None or view["state"] == state):
            return view
    return None


def paxel_view(env: PaxelEnv, download_id: str, state: str) -> dict[str, Any]:
    """paxel's view of the download, which must be in `state`."""
    view = next(v for v in paxel_list(env) if v["download_id"] == download_id)
    assert view["state"] == state, view
    return view


def link_page(nginx: Nginx, name: str, href: str) -> str:
    """An HTML page served by nginx with one link (#dl) and one image (#img) to href."""
    nginx.add_file(name, content=(
        "<!doctype html><meta charset=utf-8><title>paxel e2e</title>"
        f'<p style="margin:40px"><a id="dl" href="{href}" style="font-size:40px">download</a></p>'
    ).encode())
    return nginx.url(name)


def installing(env: PaxelEnv, *args: str) -> subprocess.Popen[str]:
    """`paxel install ARGS` started in the env; `installed` waits for it. It runs while the
    browser starts (both take CPU; there are two cores): a browser reads the host's manifest only
    when its extension connects, and the factories return only once the install is done."""
    return subprocess.Popen([sys.executable, "-m", "paxel", "install", *args], env=env.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def installed(process: subprocess.Popen[str] | None) -> None:
    if process is not None:
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, f"paxel install -> {process.returncode}\n{out}\n{err}"


@pytest.fixture
def chromium_factory(paxel_env: PaxelEnv,
                     request: pytest.FixtureRequest) -> Iterator[Callable[..., Chromium]]:
    """Start Chromium in this paxel_env: factory(register=True, headless=True, env=None)."""
    started: list[Chromium] = []

    def start(register: bool = True, headless: bool = True, env: dict[str, str] | None = None) -> Chromium:
        root = paxel_env.root / f"chromium-{len(started)}"
        profile = root / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        registering = installing(paxel_env, "--user-data-dir", str(profile)) if register else None
        try:
            browser = Chromium(root, env or paxel_env.env, headless=headless)
            started.append(browser)
        finally:
            installed(registering)
        answering(browser, lambda note: restarted(request.node, note))
        browser.extension()  # a click before background.js registered its listeners is not a test
        return browser

    yield start
    for browser in started:
        browser.close()


@pytest.fixture
def chromium(chromium_factory: Callable[..., Chromium]) -> Chromium:
    """Headless Chromium with paxel registered for its profile."""
    return chromium_factory()


@pytest.fixture
def firefox_factory(paxel_env: PaxelEnv,
                    request: pytest.FixtureRequest) -> Iterator[Callable[..., Firefox]]:
    started: list[Firefox] = []

    def start(register: bool = True) -> Firefox:
        registering = installing(paxel_env, "--browser", "firefox") if register else None
        try:
            browser = Firefox(paxel_env.root / f"firefox-{len(started)}", paxel_env.env)
            started.append(browser)
        finally:
            installed(registering)
        answering_firefox(browser, lambda note: restarted(request.node, note))
        browser.install_addon()  # the add-on (and its first connect) only after the install
        return browser

    yield start
    for browser in started:
        browser.close()


@pytest.fixture
def firefox(firefox_factory: Callable[..., Firefox]) -> Firefox:
    return firefox_factory()


@pytest.fixture
def nginx_at() -> Iterator[Callable[..., Nginx]]:
    """nginx_at(rate, slow_rate=...): a test nginx capped at `rate` per connection, stopped after."""
    started: list[Nginx] = []

    def start(rate: str, **options: str) -> Nginx:
        started.append(Nginx(rate=rate, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def xvfb(request: pytest.FixtureRequest) -> Iterator[Xvfb]:
    """A private X server (display number chosen by Xvfb), stopped by PID afterwards."""
    with Xvfb() as server:
        if server.retried:
            restarted(request.node, f"Xvfb: {server.retried}")
        yield server
