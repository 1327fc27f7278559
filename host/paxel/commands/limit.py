"""`paxel limit ID 2M` / `paxel limit --global 8M` / `paxel limit ID off`: speed limits in the
running service, changed while downloads run (the `limit` request, docs/protocol.md)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from paxel.client import ServiceClient
from paxel.commands.argparsing import Parser
from paxel.errors import PaxelError
from paxel.humanize import format_size
from paxel.ratelimit import parse_rate

OFF = ("off", "none", "0", "unlimited")
NEGATIVE = "a limit must be a positive speed like 2M, or off for none"


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="paxel limit", description="Set a download's own speed limit, or the global one over "
        "all downloads (--global). SPEED: 500K, 2M, 1.5G (bytes/s, binary units) or off.")
    parser.add_argument("--global", dest="everything", action="store_true",
                        help="the limit over all downloads together (until the service stops; "
                        "`max_speed` in settings.json keeps one)")
    parser.add_argument("words", nargs="+", metavar="ID SPEED", help="download id and speed, or "
                        "only the speed with --global")
    return parser


def rate_of(text: str) -> int | None:
    """bytes/s, or None for `off`; ValueError for anything else."""
    if text.strip().startswith("-"):
        raise ValueError(NEGATIVE)
    return None if text.strip().lower() in OFF else parse_rate(text)


def main(command: str, argv: list[str]) -> int:
    parser = _parser()
    if any(re.fullmatch(r"-\.?\d.*", word) for word in argv):
        parser.error(NEGATIVE)   # argparse takes `-2M` for an unknown option and says so obscurely
    args = parser.parse_args(argv)
    words: list[str] = args.words
    if len(words) != (1 if args.everything else 2):
        parser.error("give ID SPEED, or --global SPEED")
    try:
        rate = rate_of(words[-1])
    except ValueError as exc:
        parser.error(str(exc))
    fields: dict[str, Any] = {"max_speed": rate}
    if not args.everything:
        fields["download_id"] = words[0]
    try:
        client = ServiceClient.connect("cli", start=False)
        try:
            result = client.request("limit", **fields)
        finally:
            client.close()
    except PaxelError as exc:
        sys.stderr.write(f"paxel limit: {exc.message}\n")
        return exc.exit_status
    shown = result["download"]["max_speed"] if "download" in result else result["max_speed"]
    print(said("all downloads" if args.everything else words[0], rate, shown))
    return 0


def said(who: str, asked: int | None, now: int | None) -> str:
    """The line `paxel limit` prints: the limit now; for the global one under a schedule speed
    rule (the service answers the limit that applies now), what was set besides."""
    def speed(rate: int | None) -> str:
        return "no limit" if rate is None else f"{format_size(rate)}/s"
    if asked == now:
        return f"{who}: {speed(now)}"
    return (f"{who}: {speed(asked)} set; {speed(now)} now, while a schedule speed rule holds "
            "(`paxel schedule`)")
