"""Native messaging host manifests: build them, parse extension ids, check them. Pure, no I/O.

A Chromium-family manifest lists `allowed_origins` (chrome-extension://ID/), a Firefox one
`allowed_extensions` (add-on ids); each browser rejects the other's key, hence two shapes.
`DESCRIPTION` doubles as paxel's signature: uninstall deletes a manifest only when it carries it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from paxel.errors import UsageError
from paxel.ids import CHROMIUM_ORIGINS, FIREFOX_EXTENSION_ID, HOST_NAME
from paxel.installer.browsers import Family, Platform

DESCRIPTION = "paxel download accelerator (written by `paxel install`, removed by `paxel uninstall`)"
FILE_NAME = f"{HOST_NAME}.json"

_CHROMIUM_ID = re.compile(r"[a-p]{32}")
_ORIGIN = re.compile(r"chrome-extension://([a-p]{32})/")
# Firefox add-on ids: an email-like string or a GUID in braces (extensions.webextensions ids).
_FIREFOX_ID = re.compile(
    r"[A-Za-z0-9._+-]*@[A-Za-z0-9._-]+|\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}"
)


@dataclass(frozen=True)
class ExtraIds:
    """Extension ids added with --extension-id, sorted by family."""

    origins: tuple[str, ...] = ()
    firefox: tuple[str, ...] = ()

    def ids(self) -> list[str]:
        """Bare ids, as the native host compares them (no chrome-extension:// around)."""
        return [o[len("chrome-extension://") : -1] for o in self.origins] + list(self.firefox)


def parse_extension_ids(values: Iterable[str]) -> ExtraIds:
    """`abcd…` (32 letters a-p) or `chrome-extension://abcd…/` → Chromium; `x@y` or `{GUID}` → Firefox."""
    origins: list[str] = []
    firefox: list[str] = []
    for raw in values:
        value = raw.strip()
        match = _ORIGIN.fullmatch(value)
        if match or _CHROMIUM_ID.fullmatch(value):
            origin = f"chrome-extension://{match.group(1) if match else value}/"
            if origin not in origins:
                origins.append(origin)
        elif _FIREFOX_ID.fullmatch(value):
            if value not in firefox:
                firefox.append(value)
        else:
            raise UsageError(
                f"--extension-id {raw!r} is neither a Chromium extension id (32 letters a-p, as shown "
                "on chrome://extensions) nor a Firefox add-on id (name@domain or {GUID})"
            )
    return ExtraIds(tuple(origins), tuple(firefox))


def allowed(family: Family, extra: ExtraIds) -> list[str]:
    """paxel's own ids first, then the extra ones, without duplicates."""
    base = list(CHROMIUM_ORIGINS) if family is Family.CHROMIUM else [FIREFOX_EXTENSION_ID]
    more = extra.origins if family is Family.CHROMIUM else extra.firefox
    return base + [i for i in more if i not in base]


def build(family: Family, launcher: str, extra: ExtraIds = ExtraIds()) -> str:
    """The manifest text (JSON, trailing newline) for one browser family."""
    content: dict[str, Any] = {
        "name": HOST_NAME,
        "description": DESCRIPTION,
        "path": launcher,
        "type": "stdio",
    }
    key = "allowed_origins" if family is Family.CHROMIUM else "allowed_extensions"
    content[key] = allowed(family, extra)
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def is_ours(text: str) -> bool:
    """True when `text` is a manifest paxel wrote (its name and signature description)."""
    try:
        content = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(content, dict)
        and content.get("name") == HOST_NAME
        and content.get("description") == DESCRIPTION
    )


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in words a user can act on; `code` is stable for --json consumers."""

    code: str
    message: str
    fix: str


@dataclass(frozen=True)
class Checked:
    """A parsed manifest: the launcher path it names (if any) and what is wrong with it."""

    launcher: str | None
    problems: tuple[Problem, ...]


REINSTALL = "run `paxel install` again"


def check(text: str, family: Family, platform: Platform) -> Checked:
    """Everything a browser would reject or trip over in a manifest of `family`."""
    try:
        content = json.loads(text)
    except ValueError as exc:
        return Checked(
            None, (Problem("manifest-invalid-json", f"the manifest is not valid JSON ({exc})", REINSTALL),)
        )
    if not isinstance(content, dict):
        return Checked(
            None, (Problem("manifest-invalid-json", "the manifest is not a JSON object", REINSTALL),)
        )
    problems: list[Problem] = []
    if content.get("name") != HOST_NAME:
        problems.append(
            Problem(
                "manifest-wrong-name",
                f"`name` is {content.get('name')!r}, browsers expect {HOST_NAME!r} "
                f"(the file name without .json)",
                REINSTALL,
            )
        )
    if content.get("type") != "stdio":
        problems.append(
            Problem("manifest-wrong-type", f'`type` is {content.get("type")!r}, must be "stdio"', REINSTALL)
        )
    launcher = content.get("path")
    if not isinstance(launcher, str) or not launcher:
        problems.append(
            Problem("manifest-no-path", "the manifest has no `path` to the host program", REINSTALL)
        )
        launcher = None
    else:
        flavour = PureWindowsPath if platform == "win32" else PurePosixPath
        if not flavour(launcher).is_absolute():
            problems.append(
                Problem(
                    "manifest-relative-path",
                    f"`path` {launcher!r} is not absolute (Linux and macOS require it)",
                    REINSTALL,
                )
            )
    problems.extend(_check_ids(content, family))
    return Checked(launcher, tuple(problems))


def _check_ids(content: dict[str, Any], family: Family) -> list[Problem]:
    key, other = (
        ("allowed_origins", "allowed_extensions")
        if family is Family.CHROMIUM
        else ("allowed_extensions", "allowed_origins")
    )
    values = content.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        extra = f" (it has `{other}`, which is the other browser family's key)" if other in content else ""
        return [Problem("manifest-no-allowed-ids", f"the manifest has no `{key}` list{extra}", REINSTALL)]
    problems: list[Problem] = []
    needed = list(CHROMIUM_ORIGINS) if family is Family.CHROMIUM else [FIREFOX_EXTENSION_ID]
    missing = [n for n in needed if n not in values]
    if missing:
        if family is Family.CHROMIUM:
            effect = 'the extension gets "Access to the specified native messaging host is forbidden."'
        else:
            effect = 'Firefox refuses with "No such native application io.paxel.host"'
        problems.append(
            Problem(
                "wrong-extension-id",
                f"`{key}` does not list paxel's {', '.join(missing)} (it lists "
                f"{', '.join(values) or 'nothing'}): {effect}",
                REINSTALL,
            )
        )
    if family is Family.CHROMIUM:
        bad = [v for v in values if not _ORIGIN.fullmatch(v)]
        if bad:
            problems.append(
                Problem(
                    "manifest-bad-origin",
                    f"`allowed_origins` entries must look like chrome-extension://<32 letters a-p>/ "
                    f"(Chrome rejects the whole manifest): {', '.join(bad)}",
                    REINSTALL,
                )
            )
    return problems


__all__ = [
    "DESCRIPTION",
    "FILE_NAME",
    "Checked",
    "ExtraIds",
    "Problem",
    "allowed",
    "build",
    "check",
    "is_ours",
    "parse_extension_ids",
]
