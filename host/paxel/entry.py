"""The `paxel` program's entry point (the `paxel` console script and `python -m paxel`).

Importing this module is the first thing the program does, so Ctrl-C is only remembered from
here on until a command is ready for it (paxel.interrupts explains why). Only the program
imports it: code that uses paxel as a library keeps Python's own Ctrl-C handling.
"""

from __future__ import annotations

from paxel import interrupts

interrupts.install()


def main() -> int:
    from paxel.cli import main as cli_main

    return cli_main()
