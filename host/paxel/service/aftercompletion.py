"""What paxel does once a download is complete: nothing, open the file, show it in its folder, or
run the user's command (settings key `after_completion`, docs/settings.md).

The command is an argument list, never a shell line: `["clamscan", "--no-summary", "{path}"]`,
each `{path}` in an argument replaced by the file's absolute path, so a file name with spaces,
quotes or `;` is one argument and nothing else. It runs with the file's folder as its working
directory, stdin from /dev/null, the service's environment plus `PAXEL_PATH`, `PAXEL_URL` (the
link without `user:password@`) and `PAXEL_DOWNLOAD_ID`; its output (stdout and stderr, the first
64 KiB) goes to the service log; after `timeout` seconds it and its process group are killed.

Who may set it: only a local user (the settings file, `paxel after`, the panel through the
service hop). A browser cannot: the native host relays no `after_completion` request and the
service refuses one from a browser's connection, and `settings` never takes this key, because
whatever controls the browser must not be able to run programs on the machine.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

Kind = Literal["none", "open", "reveal", "command"]
KINDS: tuple[Kind, ...] = ("none", "open", "reveal", "command")
OUTPUT_CAP = 64 * 1024
PLACEHOLDER = "{path}"


@dataclass(frozen=True)
class AfterCompletion:
    action: Kind = "none"
    command: tuple[str, ...] = ()
    timeout: float = 600.0


def parse(raw: Any, where: str = "after_completion") -> AfterCompletion:
    """The settings object → AfterCompletion; ValueError naming the field."""
    if raw is None:
        return AfterCompletion()
    if not isinstance(raw, Mapping) or set(raw) - {"action", "command", "timeout"}:
        raise ValueError(f"{where}: an object with `action` and, for a command, `command` and `timeout`")
    action = raw.get("action", "none")
    if action not in KINDS:
        raise ValueError(f"{where}.action: one of {', '.join(KINDS)}")
    command = raw.get("command", [])
    if not isinstance(command, list) or not all(isinstance(a, str) and "\x00" not in a for a in command) \
            or len(command) > 256:
        raise ValueError(f"{where}.command: a list of arguments (strings), the program first")
    if action == "command" and (not command or not command[0]):
        raise ValueError(f"{where}.command: the program to run, then its arguments")
    timeout = raw.get("timeout", 600)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 86400:
        raise ValueError(f"{where}.timeout: seconds, 1..86400")
    return AfterCompletion(action, tuple(command), float(timeout))


def to_raw(after: AfterCompletion) -> dict[str, Any]:
    return {"action": after.action, "command": list(after.command), "timeout": after.timeout}


def argv(command: tuple[str, ...], path: Path) -> list[str]:
    """The argument list with every `{path}` replaced by the file's path. Pure."""
    return [argument.replace(PLACEHOLDER, str(path)) for argument in command]


def run_command(after: AfterCompletion, path: Path, url: str, download_id: str) -> threading.Thread:
    """Run the command for `path` on a thread of its own (the service never waits for it)."""
    thread = threading.Thread(target=_run, args=(after, path, url, download_id), daemon=True,
                              name=f"paxel-after-{download_id}")
    thread.start()
    return thread


def _run(after: AfterCompletion, path: Path, url: str, download_id: str) -> None:
    args = argv(after.command, path)
    env = {**os.environ, "PAXEL_PATH": str(path), "PAXEL_URL": url, "PAXEL_DOWNLOAD_ID": download_id}
    try:
        process = subprocess.Popen(args, cwd=path.parent, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        log.warning("after completion of %s: cannot run %s: %s", download_id, args[0], exc)
        return
    kept = bytearray()  # the first OUTPUT_CAP bytes; the rest is read and dropped, never held
    reader = threading.Thread(target=_drain, args=(process, kept), daemon=True,
                              name=f"paxel-after-out-{download_id}")
    reader.start()
    try:
        process.wait(timeout=after.timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.wait()
        log.warning("after completion of %s: %s killed after %g s", download_id, args[0], after.timeout)
    reader.join(5.0)  # a child that left the group may keep the pipe open: not waited for
    text = bytes(kept).decode("utf-8", "replace").rstrip()
    log.info("after completion of %s: %s exited %s%s", download_id, args[0], process.returncode,
             f"; output:\n{text}" if text else "")


def _drain(process: subprocess.Popen[bytes], kept: bytearray) -> None:
    assert process.stdout is not None
    with process.stdout:
        while chunk := process.stdout.read(65536):
            kept.extend(chunk[:OUTPUT_CAP - len(kept)])


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """The command and what it started (its own session: the group has its pid)."""
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups here; the command itself
            process.kill()
    except OSError:
        pass


__all__ = ["KINDS", "AfterCompletion", "argv", "parse", "run_command", "to_raw"]
