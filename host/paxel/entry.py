"""The `paxel` program's entry point (the `paxel` console script and `python -m paxel`).

Importing this module is the first thing the program does, so Ctrl-C is only remembered from
here on until a command is ready for it (paxel.interrupts explains why). Only the program
imports it: code that uses paxel as a library keeps Python's own Ctrl-C handling.

`paxel URL` (`get`) leaves with `os._exit` once its command returned and stdout and stderr are
flushed. The interpreter's own shutdown (atexit, a full garbage collection, tearing down the ~350
modules a download imports) costs 10-20 ms here, a tenth of a 1 KiB download through the CLI
(bench/startup.py), and does nothing for it: the file and its state are written through file
descriptors and fsynced before the command returns, every thread the engine starts is a daemon
(the normal exit would not wait for them either), and paxel registers no atexit handler.
The other commands keep the normal exit (the service's SQLite and temporary files, the panel).
"""

from __future__ import annotations

import contextlib
import os
import sys

from paxel import interrupts

interrupts.install()

LEAVE_AT_ONCE = frozenset({"get"})


def main() -> int:
    _give_closed_stdio_devnull()
    from paxel import cli

    status = cli.main()
    if cli.command_of(sys.argv[1:]) in LEAVE_AT_ONCE:
        leave(status)
    return status


def _give_closed_stdio_devnull() -> None:
    """A closed stdout or stderr (`paxel URL >&-`, a launcher that gives none) is None in Python,
    and the first write or flush raised AttributeError: the download was lost before it began
    (stderr) or reported as a crash after it ended (stdout). They get /dev/null instead (the
    lowest free descriptor, so fd 1 or 2 itself, which child processes such as ffmpeg inherit)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the process's life


def leave(status: int) -> None:
    """Flush what Python still buffers for stdout and stderr, then end the process at once."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: cli.main answered it
            stream.flush()
    os._exit(status)
