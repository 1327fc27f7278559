"""paxel.deadlines: a deadline comes from PAXEL_<NAME>_S only when that is a usable number."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.deadlines import seconds


def test_unset_gives_the_default() -> None:
    assert seconds("TAKE_LIMIT", 10.0, {}) == 10.0


def test_a_positive_number_of_seconds_replaces_the_default() -> None:
    assert seconds("TAKE_LIMIT", 10.0, {"PAXEL_TAKE_LIMIT_S": "2.5"}) == 2.5
    assert seconds("TAKE_LIMIT", 10.0, {"PAXEL_OTHER_S": "2.5"}) == 10.0


@given(st.sampled_from(["", " ", "0", "-1", "nan", "inf", "-inf", "1e999", "ten", "1,5", "0x10"]))
def test_anything_else_gives_the_default_never_no_deadline(raw: str) -> None:
    assert seconds("AUTH_DEADLINE", 5.0, {"PAXEL_AUTH_DEADLINE_S": raw}) == 5.0


@given(st.text())
def test_any_text_gives_a_positive_finite_deadline(raw: str) -> None:
    got = seconds("X", 7.0, {"PAXEL_X_S": raw})
    assert 0 < got < float("inf")
