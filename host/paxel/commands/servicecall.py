"""One request to the running service from a command (`paxel queue`, `paxel schedule`, …): the
service is started if none runs (settings changes are written by it), a refusal is printed as
`paxel COMMAND: message` and becomes the exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from paxel.client import ServiceClient
from paxel.errors import ErrorCode, PaxelError

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


Change = Callable[[dict[str, Any]], "dict[str, Any] | int"]
TRIES = 20  # a command loses a race only to another save; twenty in a row is not a race


def update(command: str, change: Change) -> dict[str, Any] | int:
    """A read-change-write of the settings (docs/protocol.md `if_revision`): `change` gets every
    setting as the service has it now and returns the `settings` request's fields (`set`,
    `renamed`), or an exit status when there is nothing to send. Sent only if nothing changed
    since the read; else read and change again, so two commands (or a command and the panel)
    saving at once both land instead of one writing over the other. The `settings` result."""
    try:
        client = ServiceClient.connect("cli", start=True)
        try:
            for attempt in range(TRIES):
                read = client.request("settings")
                fields = change(read["settings"])
                if isinstance(fields, int):
                    return fields
                guard = {"if_revision": read["revision"]} if "revision" in read else {}
                try:
                    return client.request("settings", **fields, **guard)
                except PaxelError as exc:
                    if exc.code != ErrorCode.STALE or attempt == TRIES - 1:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover
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


__all__ = ["Refused", "call", "run_command", "update", "usage"]
