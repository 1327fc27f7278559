"""The launcher a manifest points to: an absolute-path script that starts paxel's native host.

Browsers start hosts with whatever environment they have, sometimes none at all (no PATH, no
venv activated, no XDG variables), and with the launcher's folder as working directory. So the
launcher names the host by absolute path and fills in, only when missing, the per-user locations
that were in effect at install time: a host started with an empty environment then talks to the
same paxel service as the `paxel` command did.
"""

from __future__ import annotations

import os
import shlex
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path

from paxel.installed import LAUNCHER_ENV
from paxel.installer.browsers import Platform

MARKER = "paxel native messaging launcher"
# Variables that decide where paxel keeps its socket, secret, database and settings (see
# paxel.paths) plus PATH for the programs the service runs (xdg-open, the panel).
PINNED = (
    "HOME",
    "PATH",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
)


def file_name(platform: Platform) -> str:
    """The launcher's own file name."""
    return "paxel-host.cmd" if platform == "win32" else "paxel-host"


def console_script_name(platform: Platform) -> str:
    """The console script pip generates for paxel.host:main."""
    return "paxel-host.exe" if platform == "win32" else "paxel-host"


def host_command(platform: Platform, scripts_dir: str, python: str, exists: bool) -> list[str]:
    """The console script `paxel-host` of this installation when present, else this Python
    importing the host (-P: the browser's working directory must not shadow paxel)."""
    if exists:
        sep = "\\" if platform == "win32" else "/"
        return [f"{scripts_dir}{sep}{console_script_name(platform)}"]
    return [python, "-P", "-c", "import sys; from paxel.host import main; sys.exit(main())"]


def pinned_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The install-time values the launcher restores when a browser gives none."""
    names = [*PINNED, *sorted(k for k in environ if k.startswith("PAXEL_"))]
    return {name: environ[name] for name in names if environ.get(name)}


def script(platform: Platform, command: Sequence[str], defaults: Mapping[str, str],
           own_path: str | None = None) -> str:
    """The launcher's text: POSIX sh, or a Windows .cmd. Windows browsers always pass the user's
    environment, so the .cmd restores only paxel's own variables (PAXEL_EXTENSION_IDS).

    `own_path` (the launcher's own path) is always set as PAXEL_LAUNCHER: the host checks it still
    exists before relaying anything, so a host started before `paxel uninstall` is off after it
    (paxel.installed)."""
    if platform == "win32":
        if own_path is not None and not any(c in own_path for c in '"%\r\n'):
            sets = f'set "{LAUNCHER_ENV}={own_path}"\r\n'
        else:
            sets = ""
        quoted = " ".join(f'"{part}"' for part in command)
        sets += "".join(
            f'if not defined {name} set "{name}={value.replace("%", "%%")}"\r\n'
            for name, value in defaults.items()
            if name.startswith("PAXEL_") and not any(c in value for c in '"\r\n')
        )
        return (
            f"@echo off\r\nrem {MARKER}: written by `paxel install`, removed by `paxel uninstall`.\r\n"
            f"{sets}{quoted} %*\r\n"
        )
    lines = [
        "#!/bin/sh",
        f"# {MARKER}: written by `paxel install`, removed by `paxel uninstall`.",
        "# Browsers may start it with an empty environment: restore the install-time locations",
        "# (only where missing) so the host reaches the same paxel service as the paxel command.",
    ]
    lines += [
        f'[ -n "${{{name}:-}}" ] || {name}={shlex.quote(value)}; export {name}'
        for name, value in defaults.items()
    ]
    if own_path is not None:
        lines.append(f"{LAUNCHER_ENV}={shlex.quote(own_path)}; export {LAUNCHER_ENV}")
    lines.append("exec " + " ".join(shlex.quote(part) for part in command) + ' "$@"')
    return "\n".join(lines) + "\n"


def is_ours(text: str) -> bool:
    return MARKER in text


def current_host_command(platform: Platform) -> list[str]:
    """How this very installation of paxel starts its native host, by absolute path."""
    scripts_dir = sysconfig.get_path("scripts")
    script_path = Path(scripts_dir) / console_script_name(platform)
    python = os.path.abspath(sys.executable)
    return host_command(platform, scripts_dir, python, script_path.is_file())


__all__ = [
    "MARKER",
    "PINNED",
    "console_script_name",
    "current_host_command",
    "file_name",
    "host_command",
    "is_ours",
    "pinned_environment",
    "script",
]
