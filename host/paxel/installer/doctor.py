"""`paxel doctor`: for each browser, is it installed, where is paxel's manifest, is it valid, does
its launcher run and answer `hello` when started the way that browser starts it, is the service
there, and which toolkit the panel uses (or why it cannot open). Every finding carries a fix a
user can act on; `as_json()` is for scripts.

Looking changes nothing: the launcher is started with PAXEL_HOST_NO_START=1, so a host that
finds no service answers SERVICE_UNAVAILABLE instead of starting one, and that answer proves
the launcher works as well as a `hello` through the service does.

This module holds the browser checks; the service, panel and ffmpeg probes are in
paxel.installer.probes and the rendering in paxel.installer.doctor_report (both re-exported here).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from paxel.errors import ErrorCode, PaxelError
from paxel.ids import CHROMIUM_ORIGINS, FIREFOX_EXTENSION_ID
from paxel.installer import manifest, registration
from paxel.installer.browsers import BROWSERS, Family, Places, Scope, detect
from paxel.installer.doctor_report import as_json, as_text
from paxel.installer.manifest import Problem
from paxel.installer.probes import probe_media, probe_panel, probe_service
from paxel.installer.registry import Registry
from paxel.protocol import PROTOCOL_VERSION, encode_frame, read_frame

LAUNCH_TIMEOUT = 20.0  # generous: a cold interpreter on a busy machine
NO_START_ENV = "PAXEL_HOST_NO_START"  # paxel.host.NO_START_ENV (not imported: the host is not needed here)


@dataclass
class LauncherCheck:
    path: str
    exists: bool
    executable: bool
    answered: bool = False
    reply: dict[str, Any] | None = None
    detail: str = ""


@dataclass
class ManifestCheck:
    path: str
    labels: list[str]
    exists: bool
    registry: list[dict[str, str | None]] = field(default_factory=list)
    launcher: LauncherCheck | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exists and not self.problems


@dataclass
class BrowserCheck:
    name: str
    label: str
    installed: bool
    evidence: list[str]
    manifests: list[ManifestCheck]
    problems: list[Problem]
    # What the user asked about decides the verdict; the other browsers are information only.
    asked: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems and all(m.ok for m in self.manifests)


@dataclass
class Report:
    platform: str
    scope: str
    browsers: list[BrowserCheck]
    service: dict[str, Any]
    panel: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)   # ffmpeg (optional: not part of `ok`)

    @property
    def ok(self) -> bool:
        """The browsers asked about all good and a panel toolkit installed (no display is no
        problem: headless)."""
        relevant = [b for b in self.browsers
                    if b.asked and (b.installed or any(m.exists for m in b.manifests))]
        return bool(relevant) and all(b.ok for b in relevant) and self.panel.get("installed", True)


Launch = Callable[[str, Family, str], LauncherCheck]


def diagnose(
    places: Places,
    scope: Scope,
    registry: Registry | None,
    exists: Callable[[PurePath], bool],
    which: Callable[[str], str | None],
    launch: Launch,
    service: Callable[[], dict[str, Any]],
    user_data_dirs: Sequence[str] = (),
    panel: Callable[[], dict[str, Any]] | None = None,
) -> Report:
    """Check every browser of the table (and each custom profile) on this machine."""
    launches: dict[tuple[str, Family], LauncherCheck] = {}
    checks: list[BrowserCheck] = []
    for browser in BROWSERS:
        found = detect(browser, places, exists, which)
        targets = registration.plan(places, scope, [browser])
        manifests = [_check_target(t, places, registry, launches, launch) for t in targets]
        problems = [Problem(trap.kind, trap.message, trap.fix) for trap in found.traps]
        if found.installed and not any(m.exists for m in manifests) and not problems:
            problems.append(
                Problem(
                    "not-registered",
                    f"{browser.label} is installed but paxel is not registered with it",
                    "run `paxel install`",
                )
            )
        checks.append(
            BrowserCheck(
                browser.name,
                browser.label,
                found.installed,
                list(found.evidence),
                [m for m in manifests if m.exists or found.installed],
                problems,
            )
        )
    for target in registration.plan(places, scope, [], user_data_dirs):
        check = _check_target(target, places, registry, launches, launch)
        if not check.exists:
            check.problems.append(
                Problem(
                    "manifest-missing",
                    f"no manifest at {check.path}",
                    "run `paxel install --user-data-dir DIR` for that profile",
                )
            )
        checks.append(BrowserCheck("custom", target.labels[0], True, [], [check], []))
    _mark_asked(checks, bool(user_data_dirs))
    return Report(places.platform, scope, checks, service(), (panel or probe_panel)(), probe_media(which))


def _mark_asked(checks: list[BrowserCheck], profiles_given: bool) -> None:
    """`--user-data-dir DIR` asks about those profiles; otherwise the browsers paxel is registered
    with are what the user asked for (`paxel install --browser chromium` leaves Firefox alone), and
    only when none is, every installed browser (so "not registered" fails a bare doctor)."""
    if profiles_given:
        asked = [c.name == "custom" for c in checks]
    else:
        registered = [any(m.exists for m in c.manifests) for c in checks]
        asked = registered if any(registered) else [True] * len(checks)
    for check, flag in zip(checks, asked, strict=True):
        check.asked = flag


def _check_target(
    target: registration.Target,
    places: Places,
    registry: Registry | None,
    launches: dict[tuple[str, Family], LauncherCheck],
    launch: Launch,
) -> ManifestCheck:
    path = Path(str(target.manifest))
    check = ManifestCheck(str(path), list(target.labels), path.is_file())
    for key_hive, key in target.keys:
        value = registry.get_default(key_hive, key) if registry is not None else None
        check.registry.append({"key": f"{key_hive}\\{key}", "value": value})
        if value is None:
            check.problems.append(
                Problem(
                    "registry-missing",
                    f"{key_hive}\\{key} does not exist, so the browser cannot find the manifest",
                    "run `paxel install`",
                )
            )
        elif value != str(path):
            check.problems.append(
                Problem(
                    "registry-mismatch",
                    f"{key_hive}\\{key} names {value}, not {path}",
                    "run `paxel install` (add --force if it names another program's manifest)",
                )
            )
    if not check.exists:
        return check
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        check.problems.append(
            Problem("manifest-unreadable", f"cannot read {path}: {exc}", "run `paxel install`")
        )
        return check
    parsed = manifest.check(text, target.family, places.platform)
    check.problems.extend(parsed.problems)
    if parsed.launcher is None:
        return check
    cache_key = (parsed.launcher, target.family)
    if cache_key not in launches:
        launches[cache_key] = _check_launcher(parsed.launcher, target.family, str(path), places, launch)
    check.launcher = launches[cache_key]
    check.problems.extend(_launcher_problems(check.launcher))
    return check


def _check_launcher(
    path: str, family: Family, manifest_path: str, places: Places, launch: Launch
) -> LauncherCheck:
    exe = Path(path)
    found = exe.is_file()
    executable = found and (places.platform == "win32" or os.access(exe, os.X_OK))
    if not executable:
        return LauncherCheck(path, found, executable)
    return launch(path, family, manifest_path)


def _launcher_problems(result: LauncherCheck) -> list[Problem]:
    if not result.exists:
        return [
            Problem(
                "launcher-missing",
                f"the manifest points to {result.path}, which does not exist "
                "(paxel was moved or its environment deleted)",
                "run `paxel install` again",
            )
        ]
    if not result.executable:
        return [
            Problem(
                "launcher-not-executable",
                f"{result.path} is not executable",
                f"chmod +x {result.path}, or run `paxel install` again",
            )
        ]
    if not result.answered:
        return [
            Problem(
                "launcher-no-answer",
                f"{result.path} did not answer hello: {result.detail}",
                "run it by hand to see the error, then `paxel install` again",
            )
        ]
    reply = result.reply or {}
    if not reply.get("ok"):
        error = reply.get("error") or {}
        if error.get("code") == int(ErrorCode.SERVICE_UNAVAILABLE):
            return []  # the host ran and answered; the service starts on demand (see the docstring)
        return [
            Problem(
                "host-error",
                f"the host answered hello with {error.get('name')}: {error.get('message')}",
                "see `paxel service status` and the host log in paxel's state folder",
            )
        ]
    return []


def browser_argv(launcher: str, family: Family, manifest_path: str) -> tuple[list[str], str]:
    """The argv a browser gives a host, and the `client` it identifies as."""
    if family is Family.CHROMIUM:
        origin = CHROMIUM_ORIGINS[0]
        return [launcher, origin], origin
    return [launcher, manifest_path, FIREFOX_EXTENSION_ID], f"firefox:{FIREFOX_EXTENSION_ID}"


def launch_like_browser(
    launcher: str, family: Family, manifest_path: str, timeout: float = LAUNCH_TIMEOUT
) -> LauncherCheck:
    """Start the launcher as a browser does (empty environment on POSIX, the browser's argv, its
    folder as working directory), send `hello`, read one framed reply, close stdin."""
    argv, client = browser_argv(launcher, family, manifest_path)
    env = dict(os.environ) if sys.platform == "win32" else {}
    env[NO_START_ENV] = "1"
    result = LauncherCheck(launcher, True, True)
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=os.path.dirname(launcher),
        )
    except OSError as exc:
        result.detail = f"cannot start it: {exc}"
        return result
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    replies: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def read() -> None:
        assert process.stdout is not None
        try:
            while not replies:  # skip events pushed before the reply
                frame = read_frame(process.stdout)
                if "ok" in frame:
                    replies.append(frame)
        except (PaxelError, OSError, ValueError) as exc:
            errors.append(exc)

    reader = threading.Thread(target=read, name="doctor-launch", daemon=True)
    reader.start()
    try:
        process.stdin.write(
            encode_frame({"id": 1, "type": "hello", "client": client, "version": PROTOCOL_VERSION})
        )
        process.stdin.flush()
    except OSError:
        pass  # it died already; the reader reports what it said
    reader.join(timeout)
    with contextlib.suppress(OSError):
        process.stdin.close()
    try:
        process.wait(5.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join()
    stderr = process.stderr.read().decode("utf-8", "replace").strip()
    process.stdout.close()
    process.stderr.close()
    if replies:
        result.answered = True
        result.reply = replies[0]
        error = replies[0].get("error") or {}
        result.detail = "answered hello" + (
            " (the service is not running; doctor does not start it)"
            if error.get("code") == int(ErrorCode.SERVICE_UNAVAILABLE) else "")
    elif errors:
        result.detail = f"exited with status {process.returncode} after a bad reply ({errors[0]})"
    else:
        result.detail = f"no reply within {timeout:.0f} s"
    if not replies and stderr:
        result.detail += f"; stderr: {stderr.splitlines()[-1][:300]}"
    return result


__all__ = ["Report", "as_json", "as_text", "browser_argv", "diagnose", "launch_like_browser", "probe_media",
           "probe_panel", "probe_service"]
