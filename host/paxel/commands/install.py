"""`paxel install`, `paxel uninstall`, `paxel doctor`: register paxel's native host with browsers.

    paxel install [--browser NAME]... [--system] [--extension-id ID]... [--user-data-dir DIR]... [--force]
    paxel uninstall [--system]
    paxel doctor [--json] [--system] [--user-data-dir DIR]...

Without --browser, install registers every browser it finds installed; --user-data-dir writes the
Chromium-family manifest into DIR/NativeMessagingHosts/ (a profile started with --user-data-dir
looks only there) and, alone, skips the detection.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from paxel.commands.argparsing import Parser
from paxel.errors import PaxelError, UsageError
from paxel.installer import doctor, launcher, local, manifest, registration
from paxel.installer.browsers import BROWSERS, BY_NAME, Browser, Places, Scope, detect

# Exit statuses: 0 done / all good, 2 bad arguments, 6 could not write, 1 doctor found problems.
EXIT_PROBLEMS = 1


def _parser(command: str) -> argparse.ArgumentParser:
    parser = Parser(prog=f"paxel {command}", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--system", action="store_true", help="for every user (needs root / administrator)")
    if command in ("install", "doctor"):
        parser.add_argument(
            "--user-data-dir",
            action="append",
            default=[],
            metavar="DIR",
            help="a Chromium-family profile folder (as given to the browser's --user-data-dir)",
        )
    if command == "install":
        parser.add_argument(
            "--browser",
            action="append",
            default=[],
            metavar="NAME",
            help=f"only these browsers: {', '.join(BY_NAME)} (repeatable)",
        )
        parser.add_argument(
            "--extension-id",
            action="append",
            default=[],
            metavar="ID",
            help="also allow this extension (Chromium id or Firefox add-on id; repeatable)",
        )
        parser.add_argument("--force", action="store_true", help="replace files paxel did not write")
    if command == "doctor":
        parser.add_argument("--json", action="store_true", help="machine-readable report")
    return parser


def main(command: str, argv: list[str]) -> int:
    try:
        args = _parser(command).parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code or 0)
    scope: Scope = "system" if args.system else "user"
    try:
        if command == "install":
            return _install(args, scope)
        if command == "uninstall":
            return _report(
                registration.uninstall(local.current_places(scope), scope, local.current_registry())
            )
        return _doctor(args, scope)
    except PaxelError as exc:
        sys.stderr.write(f"paxel {command}: {exc.message}\n")
        return exc.exit_status


def _install(args: argparse.Namespace, scope: Scope) -> int:
    unknown = [name for name in args.browser if name not in BY_NAME]
    if unknown:
        raise UsageError(f"unknown browser {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    extra = manifest.parse_extension_ids(args.extension_id)
    places = local.current_places(scope)
    browsers = _chosen(args.browser, bool(args.user_data_dir), places)
    if not browsers and not args.user_data_dir:
        sys.stderr.write(
            f"paxel install: no browser found; name one with --browser NAME ({', '.join(BY_NAME)})\n"
        )
        return EXIT_PROBLEMS
    targets = registration.plan(places, scope, browsers, args.user_data_dir)
    command = launcher.current_host_command(places.platform)
    pinned = launcher.pinned_environment(_environ(scope))
    outcome = registration.install(
        places, targets, command, pinned, extra, local.current_registry(), args.force
    )
    return _report(outcome)


def _chosen(names: list[str], custom_only: bool, places: Places) -> list[Browser]:
    if names:
        return [BY_NAME[n] for n in dict.fromkeys(names)]
    if custom_only:
        return []
    return [b for b in BROWSERS if detect(b, places, local.exists, local.which).installed]


def _environ(scope: Scope) -> dict[str, str]:
    """What the launcher may restore: per-user locations only for a per-user install."""
    if scope == "system":
        return {"PATH": os.environ.get("PATH", "")}
    return dict(os.environ)


def _report(outcome: registration.Outcome) -> int:
    for line in outcome.lines:
        sys.stdout.write(line + "\n")
    for problem in outcome.problems:
        sys.stderr.write(f"problem: {problem}\n")
    return EXIT_PROBLEMS if outcome.problems else 0


def _doctor(args: argparse.Namespace, scope: Scope) -> int:
    report = doctor.diagnose(
        local.current_places(scope),
        scope,
        local.current_registry(),
        local.exists,
        local.which,
        doctor.launch_like_browser,
        doctor.probe_service,
        args.user_data_dir,
    )
    if args.json:
        sys.stdout.write(json.dumps(doctor.as_json(report), indent=2) + "\n")
    else:
        sys.stdout.write(doctor.as_text(report))
    return 0 if report.ok else EXIT_PROBLEMS


__all__ = ["main"]
