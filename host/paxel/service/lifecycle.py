"""A download's lifecycle: its states, why it stopped, and the one table of what may happen next.

Pure data and two small functions, no I/O. The scheduler moves a download only through `move`
(a user's request that the table does not allow is BAD_STATE; a service step it does not allow is
a race the scheduler skips), docs/protocol.md prints the same table (a test parses it), and
`hello` sends it (`describe()`), so the popup and the panel offer exactly the user actions the
table allows in a download's state instead of keeping copies of their own.

A *state* is a place where different actions apply or where the service treats the download
differently (runs it, waits to run it, keeps it). What only explains a state is a *detail* and
goes in its own DownloadView field: why it stopped (`stop_reason`, below), and, as they arrive,
a running download's phase (connecting, transferring, retrying n of m, muxing) and a queued one's
wait (its named queue, a schedule window). docs/protocol.md ("Lifecycle") gives the reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from paxel.errors import ErrorCode, ProtocolError


class State(StrEnum):
    QUEUED = "queued"        # waits for a free slot in its queue, a schedule window, or an answer
    RUNNING = "running"      # the engine has it: connecting, transferring, retrying, muxing
    PAUSED = "paused"        # stopped, keeps its .part; resume puts it back in the queue
    COMPLETED = "completed"  # the final file is in place (the watcher saw it)
    FAILED = "failed"        # stopped on an error (`error`), keeps its .part; retry continues it
    CANCELLED = "cancelled"  # stopped by a user, .part deleted; retry starts again
    MISSING = "missing"      # was completed; the file was deleted or moved away since


# Shown in the "active" list (the panel) and counted on the badge; the rest is history.
ACTIVE = frozenset({State.QUEUED, State.RUNNING, State.PAUSED})


class StopReason(StrEnum):
    """Why a download is not running although it was started (DownloadView `stop_reason`)."""

    PAUSE = "pause"        # a user paused it
    CANCEL = "cancel"      # a user cancelled it
    ENGINE = "engine"      # the engine stopped on its own and kept its state
    ERROR = "error"        # an error ended it; `error` says which
    SHUTDOWN = "shutdown"  # the service stopped meanwhile; it runs again at the next start
    CRASH = "crash"        # the service died meanwhile (found at the next start); runs again
    SCHEDULE = "schedule"  # its schedule window closed; runs again when one opens (settings.md)
    LINK_EXPIRED = "link_expired"  # it had bytes and its URL now answers 401/403/410 (`refresh`)


class Action(StrEnum):
    # asked for by a user (requests; the buttons, in this display order)
    PAUSE = "pause"
    RESUME = "resume"
    RETRY = "retry"
    REFRESH = "refresh"    # wait for a new link to the same file (the page is opened again)
    START_NOW = "start_now"  # run it at once, past its queue's limit (paxel.service.queueing)
    CANCEL = "cancel"
    OPEN = "open"          # `open` with what=file
    REVEAL = "reveal"      # `open` with what=folder
    REMOVE = "remove"
    MOVE_TOP = "move_top"  # `move` with to=top: first in its queue
    MOVE_UP = "move_up"
    MOVE_DOWN = "move_down"
    MOVE_BOTTOM = "move_bottom"
    # taken by the service itself
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    EXPIRE = "expire"
    STOP = "stop"
    REQUEUE = "requeue"
    WAIT = "wait"
    RECOVER = "recover"
    LOSE = "lose"
    ATTACH = "attach"


Actor = Literal["user", "service"]
# Where an action leads: a state, "same" (it acts on the file, not the state) or "gone" (deleted).
Target = State | Literal["same", "gone"]
ALL = frozenset(State)


@dataclass(frozen=True)
class Transition:
    action: Action
    by: Actor
    sources: frozenset[State]
    target: Target
    reason: StopReason | None  # the stop_reason the download has afterwards (None: cleared)
    request: dict[str, Any] | None = None  # the wire request a user action is, beyond download_id
    why: str = ""


def _t(action: Action, by: Actor, sources: set[State] | frozenset[State], target: Target,
       reason: StopReason | None, why: str, request: dict[str, Any] | None = None) -> Transition:
    if by == "user" and request is None:
        request = {"type": action.value}
    return Transition(action, by, frozenset(sources), target, reason, request, why)


Q, R, P, C, F, X, M = (State.QUEUED, State.RUNNING, State.PAUSED, State.COMPLETED, State.FAILED,
                       State.CANCELLED, State.MISSING)

TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.PAUSE, "user", {Q, R}, P, StopReason.PAUSE, "keep the .part, free the slot"),
    _t(Action.RESUME, "user", {P}, Q, None, "back in the queue"),
    _t(Action.RETRY, "user", {F, X}, Q, None, "again, from the .part a failure kept"),
    _t(Action.REFRESH, "user", {P, F}, "same", None,
       "open its page again; the next take of the same file continues it (paxel.sameness)"),
    _t(Action.START_NOW, "user", {Q, P}, Q, None,
       "first in its queue and started at once, past its queue's limit and the schedule",
       {"type": "start_now"}),
    _t(Action.CANCEL, "user", {Q, R, P}, X, StopReason.CANCEL, "stop and delete the .part"),
    _t(Action.OPEN, "user", {C}, "same", None, "open the file", {"type": "open", "what": "file"}),
    _t(Action.REVEAL, "user", {C}, "same", None, "show it in its folder", {"type": "open", "what": "folder"}),
    _t(Action.REMOVE, "user", ALL, "gone", None, "forget it (a running one is cancelled first)"),
    *(_t(move, "user", {Q}, "same", None, f"{move.value.split('_')[1]} of its queue's order",
         {"type": "move", "to": move.value.split("_")[1]})
      for move in (Action.MOVE_TOP, Action.MOVE_UP, Action.MOVE_DOWN, Action.MOVE_BOTTOM)),
    _t(Action.START, "service", {Q}, R, None, "a slot is free"),
    _t(Action.COMPLETE, "service", {R, P, Q}, C, None,
       "the file is in place (also when a pause reached the engine after its last byte)"),
    _t(Action.FAIL, "service", {R}, F, StopReason.ERROR, "the engine gave up"),
    _t(Action.EXPIRE, "service", {R}, F, StopReason.LINK_EXPIRED,
       "it had bytes and its URL answers 401, 403 or 410 now: the link expired"),
    _t(Action.STOP, "service", {R}, P, StopReason.ENGINE, "the engine paused on its own"),
    _t(Action.REQUEUE, "service", {R}, Q, StopReason.SHUTDOWN, "the service is stopping"),
    _t(Action.WAIT, "service", {R}, Q, StopReason.SCHEDULE, "its schedule window closed"),
    _t(Action.RECOVER, "service", {R}, Q, StopReason.CRASH, "found running at start: the service died"),
    _t(Action.LOSE, "service", {C}, M, None, "the watcher saw the file go"),
    _t(Action.ATTACH, "service", {Q, P, F}, Q, None,
       "a take of the same file brought a new link: the .part continues from it"),
)

_BY_ACTION = {t.action: t for t in TRANSITIONS}


def transition(action: Action) -> Transition:
    return _BY_ACTION[action]


def allowed(action: Action, state: str) -> bool:
    return state in _BY_ACTION[action].sources


def move(action: Action, state: str, download_id: str = "") -> Transition:
    """The transition `action` takes from `state`; BAD_STATE when the table does not allow it."""
    step = _BY_ACTION[action]
    if state not in step.sources:
        needs = " or ".join(s.value for s in State if s in step.sources)
        raise ProtocolError(f"download {download_id} is {state}; this needs it {needs}",
                            code=ErrorCode.BAD_STATE)
    return step


def user_actions(state: str) -> list[Action]:
    """What a user may do to a download in `state`, in display order (what the buttons show)."""
    return [t.action for t in TRANSITIONS if t.by == "user" and state in t.sources]


def describe() -> dict[str, Any]:
    """The table as sent in `hello` (`lifecycle`, docs/protocol.md)."""
    return {
        "states": [{"state": s.value, "active": s in ACTIVE} for s in State],
        "stop_reasons": [r.value for r in StopReason],
        "transitions": [
            {"action": t.action.value, "by": t.by, "from": [s.value for s in State if s in t.sources],
             "to": str(t.target), "stop_reason": t.reason.value if t.reason else None,
             **({"request": t.request} if t.request else {})}
            for t in TRANSITIONS
        ],
    }


__all__ = [
    "ACTIVE",
    "TRANSITIONS",
    "Action",
    "State",
    "StopReason",
    "Transition",
    "allowed",
    "describe",
    "move",
    "transition",
    "user_actions",
]
