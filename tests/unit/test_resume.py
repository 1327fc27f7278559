"""The resume state: round trips, and anything inconsistent is rejected instead of trusted."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel import resume
from paxel.resume import ResumeState, decode, encode


@st.composite
def states(draw: st.DrawFn) -> ResumeState:
    cuts = sorted(set(draw(st.lists(st.integers(1, 1 << 40), max_size=40))))
    size = draw(st.integers(cuts[-1] if cuts else 0, (1 << 41)))
    bounds = [0, *[c for c in cuts if c < size], size]
    ranges = tuple((a, b, draw(st.integers(0, b - a))) for a, b in itertools.pairwise(bounds))
    text = st.none() | st.text(max_size=40)
    return ResumeState(draw(st.text(min_size=1)), draw(st.text(min_size=1)), size, draw(text), draw(text),
                       ranges)


@given(states())
def test_round_trip(state: ResumeState) -> None:
    assert decode(encode(state)) == state


def good() -> dict[str, object]:
    return {"version": 1, "url": "http://h/f", "final_url": "http://h/f", "size": 10,
            "etag": '"x"', "last_modified": None, "ranges": [[0, 4, 4], [4, 10, 2]]}


@pytest.mark.parametrize("change", [
    {"version": 2}, {"size": -1}, {"size": True}, {"url": 3}, {"etag": 5},
    {"ranges": [[0, 4, 5], [4, 10, 0]]},    # more done than the range holds
    {"ranges": [[0, 4, 4], [5, 10, 0]]},    # gap
    {"ranges": [[0, 4, 4]]},                # does not reach the size
    {"ranges": [[0, 10]]}, {"ranges": "all"},
])
def test_inconsistent_states_are_rejected(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        decode(json.dumps(good() | change).encode())


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"[]", b"{", b"null"])
def test_garbage_is_rejected(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


def test_paths_sit_beside_the_final_name() -> None:
    final = Path("/d/name.iso")
    assert resume.part_path(final) == Path("/d/name.iso.part")
    assert resume.state_path(final) == Path("/d/name.iso.part.paxel")
