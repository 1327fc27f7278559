"""`paxel` entry point: picks the subcommand module; `paxel URL ...` downloads directly.

Subcommand modules are imported lazily so `paxel URL` does not pay for the service, installer
or panel imports (start-up time matters for small files).

A first word that is neither a command nor something URL-like (an option, `scheme://`, a dot or a
slash) is an unknown command, answered with the list of commands, not downloaded. Two endings are
not errors of paxel's and get no traceback: a reader that closed the pipe (`paxel list | head`:
exit 141, as a program killed by SIGPIPE) and Ctrl-C before a command took over (exit 130; a press
while starting up is acted on once the command's imports are done: see paxel.interrupts).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from paxel import __version__, interrupts

# command -> module in paxel.commands implementing main(command, argv) -> int
SUBCOMMANDS: dict[str, str] = {
    "get": "download",
    "add": "queue",
    "list": "queue",
    "pause": "queue",
    "resume": "queue",
    "cancel": "queue",
    "remove": "queue",
    "retry": "queue",
    "limit": "limit",
    "queue": "queues",
    "schedule": "schedule",
    "after": "after",
    "settings": "settingscmd",
    "service": "service",
    "install": "install",
    "uninstall": "install",
    "doctor": "install",
    "panel": "panel",
}

COMMANDS = """usage: paxel URL [options]             download URL now (see `paxel get --help`)
       paxel add URL [options]         queue URL in the paxel service
       paxel list | pause ID | resume ID | cancel ID | remove ID | retry ID
       paxel limit ID SPEED | --global SPEED   speed limit while running (2M, 500K, off)
       paxel queue [add|set|remove|move|start|assign ...]   named queues, order, start now
       paxel schedule [window|speed|clear ...]   when queues run; time-of-day speed limits
       paxel after [none|open|reveal|command ...]   what happens when a download completes
       paxel settings [set KEY VALUE]  every setting (docs/settings.md)
       paxel service start|status|stop|run
       paxel install | uninstall | doctor   register the native host with browsers
       paxel panel                     open the progress panel
"""
USAGE = f"paxel {__version__}: segmented download accelerator\n\n{COMMANDS}"
INTERRUPTED = 130  # 128 + SIGINT, as shells report it
CLOSED_PIPE = 141  # 128 + SIGPIPE


def looks_like_url(word: str) -> bool:
    """What `paxel WORD` may download: options first (`paxel -n 4 URL`), or a word with a scheme,
    a dot or a slash (`https://…`, `example.org/file.iso`)."""
    return word.startswith("-") or "://" in word or "." in word or "/" in word


def command_of(args: Sequence[str]) -> str | None:
    """The command `paxel ARGS` runs: a subcommand's name, "get" for `paxel URL ...`, None when
    the first word is neither (help and --version are answered before this is asked)."""
    if not args:
        return None
    if args[0] in SUBCOMMANDS:
        return args[0]
    return "get" if looks_like_url(args[0]) else None


def unknown_command(word: str) -> str:
    import difflib  # only for a mistyped command, not on every start

    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.75)
    hint = f" (did you mean `paxel {close[0]}`?)" if close else ""
    return f"paxel: unknown command {word!r}{hint}; the commands are:\n{COMMANDS}"


def _silence_stdout() -> None:
    """The reader went away: send what is still buffered nowhere, so the interpreter's own flush
    at exit cannot fail again (Python's documented recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return status
    except BrokenPipeError:
        _silence_stdout()
        return CLOSED_PIPE
    except KeyboardInterrupt:  # before a command handled it itself (e.g. while importing)
        sys.stderr.write("\npaxel: interrupted\n")
        return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"paxel {__version__}\n")
        return 0
    command = command_of(args)
    if command is None:
        sys.stderr.write(unknown_command(args[0]))
        return 2
    rest = args[1:] if args[0] in SUBCOMMANDS else args
    module = importlib.import_module(f"paxel.commands.{SUBCOMMANDS[command]}")
    if command != "get":  # `paxel URL` arms once its download can be paused cleanly
        interrupts.arm()
    run: Callable[[str, list[str]], int] = module.main
    return run(command, rest)


if __name__ == "__main__":
    sys.exit(main())
