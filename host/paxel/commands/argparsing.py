"""The commands' argparse: its error names the words it did not expect as typed
("unrecognized arguments: WORD"), so a pasted word with escape sequences acted on the terminal;
here they are shown escaped."""

from __future__ import annotations

import argparse
from typing import NoReturn

from paxel.controls import escape_controls


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        super().error(escape_controls(message))


__all__ = ["Parser"]
