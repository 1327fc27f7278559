"""`paxel` entry point: picks the subcommand module; `paxel URL ...` downloads directly.

Subcommand modules are imported lazily so `paxel URL` does not pay for the service, installer
or panel imports (start-up time matters for small files).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from paxel import __version__

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
    "service": "service",
    "install": "install",
    "uninstall": "install",
    "doctor": "install",
    "panel": "panel",
}

USAGE = f"""paxel {__version__}: segmented download accelerator

usage: paxel URL [options]             download URL now (see `paxel get --help`)
       paxel add URL [options]         queue URL in the paxel service
       paxel list | pause ID | resume ID | cancel ID | remove ID | retry ID
       paxel service start|status|stop|run
       paxel install | uninstall | doctor   register the native host with browsers
       paxel panel                     open the progress panel
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"paxel {__version__}\n")
        return 0
    command = args[0] if args[0] in SUBCOMMANDS else "get"
    rest = args[1:] if args[0] in SUBCOMMANDS else args
    module = importlib.import_module(f"paxel.commands.{SUBCOMMANDS[command]}")
    run: Callable[[str, list[str]], int] = module.main
    return run(command, rest)


if __name__ == "__main__":
    sys.exit(main())
