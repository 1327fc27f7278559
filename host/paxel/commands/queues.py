"""`paxel queue …`: named queues and the order of downloads in them (docs/guide.md).

    paxel queue                          the queues: limit, running, queued, window state
    paxel queue add NAME [N]             a named queue running N at once (default 1)
    paxel queue set NAME N               a queue's limit (`main`: max_concurrent)
    paxel queue remove NAME              its downloads go to main
    paxel queue rename NAME NEW          its downloads, limit and windows go with it
    paxel queue move ID up|down|top|bottom
    paxel queue start ID                 start now, past the queue's limit and the schedule
    paxel queue assign ID NAME           into another queue (last there)
    paxel queue answer ID rename|skip|resume   a duplicate held for an answer (`duplicates: ask`;
                                         `paxel list` shows which): download it again under a
                                         new name, drop it, or continue the unfinished one
"""

from __future__ import annotations

from typing import Any

from paxel.commands.schedule import window_state
from paxel.commands.servicecall import call, run_command, update, usage
from paxel.service.queueing import MAIN, MOVES

ANSWERS = ("rename", "skip", "resume")
HELP = __doc__.split("\n\n", 1)[1] if __doc__ else ""


def main(command: str, argv: list[str]) -> int:
    return run_command(HELP, _run, argv)


def _run(argv: list[str]) -> int:
    word, args = (argv[0], argv[1:]) if argv else ("list", [])
    if word == "list" and not args:
        for queue in call("queue", "queues")["queues"]:
            own = " (own windows)" if queue.get("schedule") == "own" else ""
            print(f"{queue['name']:<16} {queue['max_concurrent']:>2} at once  "
                  f"{queue['running']:>3} running  {queue['queued']:>3} queued  "
                  f"{window_state(queue['open'], queue['next_open'], queue.get('next_close'))}{own}")
        return 0
    if word in ("add", "set") and len(args) in (1, 2) and (word == "add" or len(args) == 2):
        limit = _count(args[1]) if len(args) == 2 else 1
        if limit is None:
            return usage("queue", f"{args[1]!r} is not a number of downloads (1..32)")
        return _set_queue(args[0], limit, creating=word == "add")
    if word == "remove" and len(args) == 1:
        return _remove(args[0])
    if word == "rename" and len(args) == 2:
        return _rename(*args)
    if word == "move" and len(args) == 2:
        if args[1] not in MOVES:
            return usage("queue", f"move where? {' | '.join(MOVES)}")
        return _show(call("queue", "move", download_id=args[0], to=args[1])["download"])
    if word == "start" and len(args) == 1:
        return _show(call("queue", "start_now", download_id=args[0])["download"])
    if word == "assign" and len(args) == 2:
        return _show(call("queue", "assign", download_id=args[0], queue=args[1])["download"])
    if word == "answer" and len(args) == 2:
        if args[1] not in ANSWERS:
            return usage("queue", f"answer with {' | '.join(ANSWERS)}")
        left = call("queue", "duplicate_answer", download_id=args[0], choice=args[1]).get("download")
        print(f"{args[0]}: {args[1]}" + ("" if left is None else f"; {left['download_id']} {left['state']}"))
        return 0
    if word in ("list", "add", "set", "remove", "rename", "move", "start", "assign", "answer"):
        return usage("queue", f"wrong arguments for `{word}`; see `paxel queue --help`")
    return usage("queue", f"unknown command {word!r}; see `paxel queue --help`")


def _remove(name: str) -> int:
    def without(settings: dict[str, Any]) -> dict[str, Any] | int:
        queues = settings["queues"]
        if name not in queues:
            why = " (the default queue cannot be removed)" if name == MAIN else ""
            return usage("queue", f"no queue {name!r}{why}")
        del queues[name]
        return {"set": {"queues": queues}}
    if isinstance(status := update("queue", without), int):
        return status
    print(f"removed {name}; its downloads are in {MAIN}")
    return 0


def _rename(old: str, new: str) -> int:
    """One `settings` request with `renamed`: the service moves the queue's downloads with it (a
    `queues` without the old name alone would be a removal, its downloads sent to main)."""
    def renaming(settings: dict[str, Any]) -> dict[str, Any] | int:
        queues = settings["queues"]
        if old not in queues:
            why = " (the default queue keeps its name)" if old == MAIN else ""
            return usage("queue", f"no queue {old!r}{why}")
        if new == MAIN or new in queues:
            return usage("queue", f"{new!r} is taken")
        renamed = {(new if name == old else name): entry for name, entry in queues.items()}
        return {"set": {"queues": renamed}, "renamed": {old: new}}
    if isinstance(status := update("queue", renaming), int):
        return status
    print(f"{old} is now {new}, with its downloads")
    return 0


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= 32 else None


def with_queue(queues: dict[str, Any], name: str, limit: int, creating: bool) -> dict[str, Any] | str:
    """The named queues with `name` made (`add`) or its limit changed (`set`, keeping its own
    windows), or what is wrong: `add` of a name taken, `set` of a queue that is not there."""
    if creating and name in queues:
        return f"there is a queue {name!r} already (`paxel queue set {name} {limit}` changes its limit)"
    if not creating and name not in queues:
        return f"no queue {name!r} (`paxel queue add {name} {limit}` makes it)"
    return {**queues, name: {**queues.get(name, {}), "max_concurrent": limit}}


def _set_queue(name: str, limit: int, creating: bool) -> int:
    if name == MAIN:
        if creating:
            return usage("queue", f"{MAIN} is the default queue; `paxel queue set {MAIN} N` sets its limit")
        call("queue", "settings", set={"max_concurrent": limit})
    else:
        def setting(settings: dict[str, Any]) -> dict[str, Any] | int:
            queues = with_queue(settings["queues"], name, limit, creating)
            return usage("queue", queues) if isinstance(queues, str) else {"set": {"queues": queues}}
        if isinstance(status := update("queue", setting), int):
            return status
    print(f"{name}: {limit} at once")
    return 0


def _show(view: dict[str, Any]) -> int:
    place = f", #{view['queue_position']}" if view.get("queue_position") else ""
    print(f"{view['download_id']} {view['state']} in {view['queue']}{place}")
    return 0
