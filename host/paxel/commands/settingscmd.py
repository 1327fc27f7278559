"""`paxel settings`: every setting as JSON; `paxel settings set KEY VALUE` changes one through
the service (VALUE is JSON, or a bare word taken as a string), as the options page does."""

from __future__ import annotations

import json
from typing import Any

from paxel.commands.servicecall import Refused, call, usage


def main(command: str, argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    try:
        if not argv:
            print(json.dumps(call("settings", "settings")["settings"], indent=2))
            return 0
        if argv[0] == "set" and len(argv) == 3:
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
