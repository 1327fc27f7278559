"""The running download's phase from engine snapshots (service/phase.py): pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.engine import Progress
from paxel.service.phase import Phase, next_phase


def snap(state: str = "running", done: int = 0, note: str | None = None, speed: float = 0.0) -> Progress:
    return Progress(state, "http://x/f", None, None, None, 100, done, speed, None, (), 1, note)


def test_connecting_until_bytes_flow() -> None:
    phase = next_phase(None, snap("probing"), 0.0, 6)
    assert phase.key() == ("connecting", 0)
    assert next_phase(phase, snap("running", speed=10.0), 1.0, 6).key() == ("running", 0)


def test_each_new_retry_note_is_one_more_try_until_bytes_arrive() -> None:
    p1 = next_phase(None, snap("probing", note="x answered 503; retrying in 0.6s"), 10.0, 6)
    assert (p1.phase, p1.attempt, p1.attempts, p1.retry_at) == ("retrying", 2, 6, 10.6)
    same = next_phase(p1, snap("probing", note="x answered 503; retrying in 0.6s"), 10.3, 6)
    assert same.key() == ("retrying", 2), "the same note seen again is the same retry"
    p2 = next_phase(same, snap("probing", note="x answered 503; retrying in 1.3s"), 11.0, 6)
    assert p2.key() == ("retrying", 3)
    moving = next_phase(p2, snap("running", done=50, note=p2.note, speed=5.0), 12.0, 6)
    assert moving.key() == ("running", 0)
    again = next_phase(moving, snap("running", done=60, note="reset; retrying in 0.5s"), 13.0, 6)
    assert again.key() == ("retrying", 2), "a try that made progress starts the count again"


def test_other_notes_are_not_retries() -> None:
    phase = next_phase(None, snap("running", done=5, note="resuming: 5 of 100 bytes already on disk"), 0.0, 6)
    assert phase.phase == "running"


notes = st.one_of(st.none(), st.text(max_size=20),
                  st.floats(0, 99, allow_nan=False).map(lambda d: f"e; retrying in {d:.1f}s"))


@given(st.lists(st.tuples(st.sampled_from(["probing", "running"]), st.integers(0, 10), notes), max_size=30))
def test_attempt_stays_within_the_budget(steps: list[tuple[str, int, str | None]]) -> None:
    phase: Phase | None = None
    done = 0
    for state, more, note in steps:
        done += more
        phase = next_phase(phase, snap(state, done=done, note=note), 0.0, 6)
        assert 0 <= phase.attempt <= 6
        assert (phase.phase == "retrying") == (phase.attempt >= 2)
        assert (phase.retry_at is None) == (phase.phase != "retrying")
