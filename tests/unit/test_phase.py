"""The running download's phase from engine snapshots (service/phase.py): pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.engine import Progress
from paxel.service.phase import Phase, next_phase

Retry = tuple[int, float] | None


def snap(state: str = "running", done: int = 0, note: str | None = None, speed: float = 0.0,
         retry: Retry = None) -> Progress:
    return Progress(state, "http://x/f", None, None, None, 100, done, speed, None, (), 1, note, retry)


def test_connecting_until_bytes_flow() -> None:
    phase = next_phase(None, snap("probing"), 0.0, 6)
    assert phase.key() == ("connecting", 0)
    assert next_phase(phase, snap("running", speed=10.0), 1.0, 6).key() == ("running", 0)


def test_each_retry_the_engine_announces_counts_with_the_engines_own_number() -> None:
    p1 = next_phase(None, snap("probing", retry=(1, 10.6)), 10.0, 6)
    assert (p1.phase, p1.attempt, p1.attempts, p1.retry_at) == ("retrying", 2, 6, 10.6)
    same = next_phase(p1, snap("probing", retry=(1, 10.6)), 10.3, 6)
    assert same.key() == ("retrying", 2), "the same announcement seen again is the same retry"
    p2 = next_phase(same, snap("probing", retry=(2, 12.3)), 11.0, 6)
    assert (p2.key(), p2.retry_at) == (("retrying", 3), 12.3)
    moving = next_phase(p2, snap("running", done=50, retry=p2.retry, speed=5.0), 12.0, 6)
    assert moving.key() == ("running", 0)
    again = next_phase(moving, snap("running", done=60, retry=(1, 13.5)), 13.0, 6)
    assert again.key() == ("retrying", 2), "the engine restarted its count after progress"
    over = next_phase(moving, snap("running", done=90, retry=(1, 12.5), speed=5.0), 13.0, 6)
    assert over.key() == ("running", 0), "a retry that is over and brought bytes is not shown"
    capped = next_phase(again, snap("running", done=60, retry=(9, 20.0)), 14.0, 6)
    assert capped.attempt == 6


def test_notes_are_for_people_not_parsed() -> None:
    text = "x answered 503; retrying in 0.6s"
    phase = next_phase(None, snap("running", done=5, note=text, speed=1.0), 0.0, 6)
    assert phase.phase == "running", "a note without the engine's structured retry is not a retry"


retries = st.one_of(st.none(), st.tuples(st.integers(1, 12), st.floats(0, 99, allow_nan=False)))


@given(st.lists(st.tuples(st.sampled_from(["probing", "running"]), st.integers(0, 10), retries), max_size=30))
def test_attempt_stays_within_the_budget(steps: list[tuple[str, int, Retry]]) -> None:
    phase: Phase | None = None
    done = 0
    for state, more, retry in steps:
        done += more
        phase = next_phase(phase, snap(state, done=done, retry=retry), 0.0, 6)
        assert 0 <= phase.attempt <= 6
        assert (phase.phase == "retrying") == (phase.attempt >= 2)
        assert (phase.retry_at is None) == (phase.phase != "retrying")
