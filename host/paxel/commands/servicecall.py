"""One request to the running service from a command (`paxel queue`, `paxel schedule`, …): the
service is started if none runs (settings changes are written by it), a refusal is printed as
`paxel COMMAND: message` and becomes the exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from paxel.client import ServiceClient
from paxel.errors import PaxelError

USAGE_ERROR = 2


class Refused(Exception):
    """A request the service refused, already reported; `status` is the exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def call(command: str, request: str, **fields: Any) -> dict[str, Any]:
    try:
        client = ServiceClient.connect("cli", start=True)
        try:
            return client.request(request, **fields)
        finally:
            client.close()
    except PaxelError as exc:
        sys.stderr.write(f"paxel {command}: {exc.message}\n")
        raise Refused(exc.exit_status) from None


def run_command(help_text: str, run: Callable[[list[str]], int], argv: list[str]) -> int:
    """A service command's `main`: `-h`/`--help` prints `help_text`; a refusal (already reported
    by `call`) becomes the exit status."""
    if argv[:1] in (["-h"], ["--help"]):
        print("usage:\n" + help_text.rstrip())
        return 0
    try:
        return run(argv)
    except Refused as refused:
        return refused.status


def usage(command: str, text: str) -> int:
    sys.stderr.write(f"paxel {command}: {text}\n")
    return USAGE_ERROR


__all__ = ["Refused", "call", "run_command", "usage"]
