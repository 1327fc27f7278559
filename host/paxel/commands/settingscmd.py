"""`paxel settings`: every setting as JSON; `paxel settings KEY`: one of them;
`paxel settings set KEY VALUE` changes one through the service (VALUE is JSON, or a bare word
taken as a string), as the options page does. docs/settings.md has every key."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from paxel.commands.servicecall import Refused, call, usage
from paxel.schema import SETTABLE
from paxel.service.settings import KEYS, settings_path


def not_settable(key: str, path: Path) -> str | None:
    """Why `paxel settings set KEY` cannot change `key`, and where it is changed; None if it can."""
    if key in SETTABLE:
        return None
    if key == "after_completion":
        return "after_completion is set with `paxel after` (local only: docs/guide.md)"
    if key in KEYS:
        return (f"{key} is read when the service starts: edit {path}, then `paxel service stop` "
                "(the next command starts it again)")
    meant = difflib.get_close_matches(key, sorted(KEYS), n=1)
    return f"no setting {key[:64]!r}" + (f"; did you mean {meant[0]!r}?" if meant else " (docs/settings.md)")


def main(command: str, argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    try:
        if not argv:
            print(json.dumps(call("settings", "settings")["settings"], indent=2))
            return 0
        if len(argv) == 1 and argv[0] != "set":
            every = call("settings", "settings")["settings"]
            if argv[0] not in every:
                return usage("settings", not_settable(argv[0], settings_path()) or f"{argv[0]!r} is local")
            print(json.dumps(every[argv[0]], indent=2))
            return 0
        if argv[0] == "set" and len(argv) == 3:
            refused = not_settable(argv[1], settings_path())
            if refused is not None:
                return usage("settings", refused)
            value: Any
            try:
                value = json.loads(argv[2])
            except ValueError:
                value = argv[2]
            result = call("settings", "settings", set={argv[1]: value})["settings"]
            print(json.dumps({argv[1]: result.get(argv[1])}, indent=2))
            return 0
        if argv[0] == "set":
            return usage("settings", "set KEY VALUE")
        return usage("settings", f"unknown command {argv[0]!r}; see `paxel settings --help`")
    except Refused as refused:
        return refused.status
