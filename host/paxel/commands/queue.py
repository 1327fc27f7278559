"""`paxel add|list|pause|resume|cancel|remove|retry`: the service's queue from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from paxel.client import ServiceClient
from paxel.commands.argparsing import Parser
from paxel.commands.schedule import moment
from paxel.errors import PaxelError
from paxel.humanize import format_pair, format_size, name_from_url


def _parser(command: str) -> argparse.ArgumentParser:
    parser = Parser(prog=f"paxel {command}")
    if command == "add":
        parser.add_argument("url")
        parser.add_argument("-n", "--connections", type=int, help="connections (1-32)")
        parser.add_argument("-d", "--dir", help="folder (inside a configured root)")
        parser.add_argument("-q", "--queue", help="a named queue (see `paxel queue`; default main)")
        parser.add_argument("--json", action="store_true", help="print the DownloadView as JSON")
    elif command == "list":
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    else:
        parser.add_argument("id", help="download id (see `paxel list`)")
        if command == "remove":
            parser.add_argument("--delete-file", action="store_true", help="also delete the finished file")
    return parser


def main(command: str, argv: list[str]) -> int:
    args = _parser(command).parse_args(argv)
    try:
        client = ServiceClient.connect("cli", start=command == "add")
        try:
            return _run(client, command, args)
        finally:
            client.close()
    except PaxelError as exc:
        sys.stderr.write(f"paxel {command}: {exc.message}\n")
        return exc.exit_status


def _run(client: ServiceClient, command: str, args: argparse.Namespace) -> int:
    if command == "add":
        fields: dict[str, Any] = {"url": args.url, "source": "cli"}
        if args.connections is not None:
            fields["connections"] = args.connections
        if args.dir:
            fields["folder"] = os.path.abspath(args.dir)
        if args.queue:
            fields["queue"] = args.queue
        view = client.request("download", **fields)["download"]
        print(json.dumps(view) if args.json else f"{view['download_id']} queued into {view['folder']}")
        return 0
    if command == "list":
        result = client.request("list")
        if args.json:
            print(json.dumps(result["downloads"]))
        else:
            for view in result["downloads"]:
                print(_line(view))
        return 0
    fields = {"download_id": args.id}
    if command == "remove" and args.delete_file:
        fields["delete_file"] = True
    result = client.request(command, **fields)
    print(f"{args.id} {result['download']['state']}" if "download" in result else f"{args.id} removed")
    return 0


def _line(view: dict[str, Any]) -> str:
    """'ID  running    24.0%     1.2/5.0 GiB  NAME': sizes in binary units, as in the panel."""
    total, done = view["total"], view["done"]
    percent = f"{100 * done / total:5.1f}%" if total else "    ?"
    size = format_pair(done, total) if total else format_size(done)
    name = view["filename"] or name_from_url(view["url"])
    return f"{view['download_id']}  {view['state']:<9} {percent}  {size:>15}  {name}{_waits(view)}"


def _waits(view: dict[str, Any]) -> str:
    """What a queued download waits for (DownloadView `waiting`): its place, the schedule, or an
    answer about a duplicate, with the command that gives it."""
    waiting = view.get("waiting") or {}
    duplicate = view.get("duplicate")
    if waiting.get("for") == "duplicate" and duplicate:
        return (f"  waits for your answer: same file as {duplicate['of']} ({duplicate['why']}): "
                f"paxel queue answer {view['download_id']} rename|skip|resume")
    position = view.get("queue_position")
    place = f"  ({view.get('queue', 'main')}, #{position})" if position else ""
    if waiting.get("for") == "schedule":
        until = waiting.get("until")
        when = f"opens {moment(until)}" if until else "no window within a week"
        return f"{place} waits for its schedule ({when})"
    return place
