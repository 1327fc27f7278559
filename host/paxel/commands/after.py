"""`paxel after …`: what paxel does once a download completes (settings key `after_completion`,
docs/settings.md). Local only: no browser can set this.

    paxel after                                    what is set
    paxel after none | open | reveal               nothing, open the file, show it in its folder
    paxel after command [--timeout S] PROG [ARG…]  run PROG with its arguments ({path}: the file)
"""

from __future__ import annotations

from typing import Any

from paxel.commands.servicecall import call, run_command, usage

HELP = __doc__.split("\n\n", 1)[1] if __doc__ else ""


def main(command: str, argv: list[str]) -> int:
    return run_command(HELP, _run, argv)


def _run(argv: list[str]) -> int:
    if not argv:
        return _print(call("after", "after_completion")["after_completion"])
    word, args = argv[0], argv[1:]
    if word in ("none", "open", "reveal") and not args:
        return _set({"action": word})
    if word == "command":
        change: dict[str, Any] = {"action": "command"}
        if args[:1] == ["--timeout"]:
            if len(args) < 2 or not args[1].replace(".", "", 1).isdigit():
                return usage("after", "--timeout takes seconds")
            change["timeout"], args = float(args[1]), args[2:]
        if args[:1] == ["--"]:
            args = args[1:]
        if not args:
            return usage("after", "command: the program to run, then its arguments ({path}: the file)")
        change["command"] = args
        return _set(change)
    if word in ("none", "open", "reveal"):
        return usage("after", f"`{word}` takes no arguments")
    return usage("after", f"unknown command {word!r}; see `paxel after --help`")


def _set(change: dict[str, Any]) -> int:
    return _print(call("after", "after_completion", set=change)["after_completion"])


def _print(after: dict[str, Any]) -> int:
    if after["action"] == "command":
        print(f"command {after['command']} (timeout {after['timeout']:g} s)")
    else:
        print(after["action"])
    return 0
