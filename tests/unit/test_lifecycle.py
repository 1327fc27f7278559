"""The lifecycle table (pure): its invariants under any sequence of actions, the refusal of what
it does not allow, `hello`'s copy of it, and docs/protocol.md's copy of it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxel.errors import ErrorCode, ProtocolError
from paxel.service import lifecycle
from paxel.service.lifecycle import ACTIVE, TRANSITIONS, Action, State, StopReason

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"
# The stop reason a download may have in each state (None: none).
REASONS_IN = {
    State.QUEUED: {None, StopReason.SHUTDOWN, StopReason.CRASH, StopReason.SCHEDULE},
    State.RUNNING: {None},
    State.PAUSED: {StopReason.PAUSE, StopReason.ENGINE},
    State.COMPLETED: {None},
    State.FAILED: {StopReason.ERROR, StopReason.LINK_EXPIRED},
    State.CANCELLED: {StopReason.CANCEL},
    State.MISSING: {None},
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(Action)), max_size=60))
def test_any_sequence_keeps_state_and_stop_reason_consistent(actions: list[Action]) -> None:
    state, reason = State.QUEUED, None  # as `download` stores it
    for action in actions:
        if not lifecycle.allowed(action, state):
            with pytest.raises(ProtocolError) as refused:
                lifecycle.move(action, state, "d-1")
            assert refused.value.code == ErrorCode.BAD_STATE
            continue
        step = lifecycle.move(action, state, "d-1")
        if step.target == "gone":
            assert action == Action.REMOVE
            return
        if step.target == "same":
            assert step.by == "user" and step.reason is None
            continue
        state, reason = step.target, step.reason
        assert reason in REASONS_IN[state], (action, state, reason)


@given(st.sampled_from(list(State)), st.sampled_from(list(Action)))
def test_move_refuses_exactly_what_the_table_does_not_list(state: State, action: Action) -> None:
    listed = any(t.action == action and state in t.sources for t in TRANSITIONS)
    try:
        lifecycle.move(action, state)
    except ProtocolError as exc:
        assert not listed
        assert exc.code == ErrorCode.BAD_STATE and f"is {state}" in exc.message
    else:
        assert listed


def test_shape_of_the_table() -> None:
    assert [t.action for t in TRANSITIONS] == list(Action), "one row per action, in Action's order"
    reachable, frontier = {State.QUEUED}, [State.QUEUED]
    while frontier:
        here = frontier.pop()
        for t in TRANSITIONS:
            if here in t.sources and isinstance(t.target, State) and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    assert reachable == set(State), "every state can be reached from a new download"
    for state in State:
        assert Action.REMOVE in lifecycle.user_actions(state), "anything can be removed"
    # Only the service decides that bytes arrived, a file vanished, or the service died.
    for t in TRANSITIONS:
        if t.target in (State.RUNNING, State.COMPLETED, State.MISSING, State.FAILED):
            assert t.by == "service", t.action
    assert {State.QUEUED, State.RUNNING, State.PAUSED} == ACTIVE


def test_buttons_per_state() -> None:
    assert lifecycle.user_actions("running") == ["pause", "cancel", "remove"]
    assert lifecycle.user_actions("paused") == ["resume", "refresh", "start_now", "cancel", "remove"]
    assert lifecycle.user_actions("queued") == ["pause", "start_now", "cancel", "remove", "move_top",
                                                "move_up", "move_down", "move_bottom"]
    assert lifecycle.user_actions("completed") == ["open", "reveal", "remove"]
    assert lifecycle.user_actions("failed") == ["retry", "refresh", "remove"]
    assert lifecycle.user_actions("missing") == ["remove"]
    assert lifecycle.user_actions("something-new") == []


def test_hello_carries_the_table_as_json() -> None:
    described = json.loads(json.dumps(lifecycle.describe()))
    assert [s["state"] for s in described["states"]] == [s.value for s in State]
    assert {s["state"] for s in described["states"] if s["active"]} == {s.value for s in ACTIVE}
    assert described["stop_reasons"] == [r.value for r in StopReason]
    by_action = {t["action"]: t for t in described["transitions"]}
    assert by_action["reveal"] == {"action": "reveal", "by": "user", "from": ["completed"], "to": "same",
                                   "stop_reason": None, "request": {"type": "open", "what": "folder"}}
    assert by_action["pause"]["request"] == {"type": "pause"}
    assert "request" not in by_action["start"]
    for t in TRANSITIONS:
        row = by_action[t.action]
        assert (row["by"], set(row["from"]), row["to"]) == (t.by, {s.value for s in t.sources}, str(t.target))


# --- docs/protocol.md keeps the same table ------------------------------------------------------

def doc_table(header: str) -> list[list[str]]:
    """The rows of the markdown table whose header line starts with `header`."""
    lines = DOC.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_doc_lists_every_state_with_its_activity() -> None:
    rows = doc_table("| state | active |")
    expected = [(s.value, "yes" if s in ACTIVE else "no") for s in State]
    assert [(names(r[0])[0], r[1]) for r in rows] == expected


def test_doc_lists_every_transition_as_the_code_has_it() -> None:
    rows = doc_table("| action | by | from | to | stop_reason |")
    documented = []
    for action, by, sources, target, reason, request, *_ in rows:
        documented.append((names(action)[0], by, set(State) if sources == "any" else set(names(sources)),
                           names(target)[0], None if reason == "—" else names(reason)[0],
                           names(request)[0] if by == "user" else None))
    in_code = [(t.action.value, t.by, set(t.sources), str(t.target), t.reason.value if t.reason else None,
                t.request["type"] if t.request else None) for t in TRANSITIONS]
    assert documented == in_code


def test_the_doc_parser_sees_a_changed_row() -> None:
    rows = doc_table("| action | by | from | to | stop_reason |")
    assert names(rows[0][2]) == ["queued", "running"]
    assert next(row for row in rows if row[0] == "`remove`")[2] == "any"


def test_the_js_tests_read_the_real_table() -> None:
    """extension/test (lib/format.js, which the panel loads too) checks the buttons against this copy
    of `hello`'s table."""
    fixture = Path(__file__).parents[1] / "support" / "lifecycle.json"
    assert json.loads(fixture.read_text()) == lifecycle.describe(), (
        "regenerate tests/support/lifecycle.json from paxel.service.lifecycle.describe()")
