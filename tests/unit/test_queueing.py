"""The queue policy (paxel.service.queueing): moves, queue limits, start now."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import UsageError
from paxel.service.queueing import MAIN, MOVES, Move, home, may_start, moved, places

ORDER = [("a", 1), ("b", 4), ("c", 7)]


def _apply(order: list[tuple[str, int]], change: dict[str, int]) -> list[str]:
    """The queue's order after `change`: by position, then as before (the store's `seq`)."""
    positions = dict(order) | change
    return [ident for _, _, ident in sorted((positions[i], n, i) for n, (i, _) in enumerate(order))]


def test_each_move_on_a_small_queue() -> None:
    assert _apply(ORDER, moved(ORDER, "c", "top")) == ["c", "a", "b"]
    assert _apply(ORDER, moved(ORDER, "a", "bottom")) == ["b", "c", "a"]
    assert _apply(ORDER, moved(ORDER, "b", "up")) == ["b", "a", "c"]
    assert _apply(ORDER, moved(ORDER, "b", "down")) == ["a", "c", "b"]
    assert moved(ORDER, "a", "up") == moved(ORDER, "a", "top") == {}
    assert moved(ORDER, "c", "down") == moved(ORDER, "c", "bottom") == {}
    with pytest.raises(KeyError):
        moved(ORDER, "zz", "up")


@st.composite
def queues(draw: st.DrawFn) -> list[tuple[str, int]]:
    """A queue's (id, position) in queue order; positions may repeat (a paused download keeps its
    number, which a move may meanwhile have given another)."""
    positions = draw(st.lists(st.integers(-1000, 1000), min_size=1, max_size=12,
                              unique=draw(st.booleans())))
    return [(f"d{i}", p) for i, p in enumerate(sorted(positions))]


@given(queues(), st.data(), st.sampled_from(MOVES))
def test_a_move_puts_one_download_where_asked_and_keeps_the_others_in_order(
        order: list[tuple[str, int]], data: st.DataObject, to: Move) -> None:
    ids = [i for i, _ in order]
    ident = data.draw(st.sampled_from(ids))
    after = _apply(order, moved(order, ident, to))
    assert sorted(after) == sorted(ids)
    if len({p for _, p in order}) == len(ids):
        assert len(set((dict(order) | moved(order, ident, to)).values())) == len(ids), "positions stay unique"
    k = ids.index(ident)
    expected = {"top": 0, "bottom": len(ids) - 1, "up": max(0, k - 1), "down": min(len(ids) - 1, k + 1)}[to]
    assert after.index(ident) == expected
    others = [i for i in ids if i != ident]
    assert [i for i in after if i != ident] == others


@given(st.dictionaries(st.sampled_from(["main", "night", "big"]), st.integers(0, 5)),
       st.dictionaries(st.sampled_from(["main", "night", "big"]), st.integers(1, 5)),
       st.sampled_from(["main", "night", "big", "gone"]), st.booleans())
def test_a_queue_starts_below_its_own_limit_and_only_inside_a_window(
        running: dict[str, int], limits: dict[str, int], stored: str, window: bool) -> None:
    limits = {MAIN: 3, **limits}
    queue = home(stored, limits)
    assert queue == (stored if stored in limits else MAIN)
    allowed = may_start(queue, running, limits, window)
    assert allowed == (window and running.get(queue, 0) < limits[queue])
    assert may_start(queue, running, limits, window, forced=True), "start now passes both"


def test_places_count_from_one() -> None:
    assert places(["x", "y"]) == {"x": 1, "y": 2}


def test_settings_read_back_from_what_the_settings_request_sends() -> None:
    from paxel.service.settings import from_mapping, to_raw
    raw = {"roots": ["/tmp/dl"], "max_concurrent": 2, "queues": {"night": {"max_concurrent": 1}},
           "schedule": {"windows": [{"start": "22:00", "stop": "06:00", "days": ["fri"]}],
                        "speeds": [{"start": "09:00", "stop": "17:00", "max_speed": "1M"}]},
           "folder_rules": {"by_type": True, "sites": [{"host": "example.org", "folder": "Ex"}]},
           "duplicates": "ask"}
    settings = from_mapping(raw)
    assert settings.queue_limits == {"main": 2, "night": 1}
    assert from_mapping(to_raw(settings)) == settings
    for bad in ({"queues": {"main": {"max_concurrent": 1}}}, {"queues": {"n": {"max_concurrent": 0}}},
                {"queues": {"a/b": {"max_concurrent": 1}}}, {"duplicates": "maybe"}):
        with pytest.raises(UsageError):
            from_mapping({"roots": ["/tmp/dl"], **bad})
