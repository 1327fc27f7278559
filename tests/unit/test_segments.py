"""Segment bookkeeping: the partition holds and every byte is fetched exactly once, whatever
order connections claim, write, split, give up and fail in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxel.segments import ALIGN, Segment, SegmentTable, check_partition, request_size, slow_owners

MiB = 1 << 20


@given(total=st.integers(0, 1 << 40), parts=st.integers(1, 32))
def test_plan_tiles_the_file(total: int, parts: int) -> None:
    table = SegmentTable.plan(total, parts)
    check_partition(total, table.segments)
    assert 1 <= len(table.segments) <= parts
    assert all(s.start % ALIGN == 0 for s in table.segments)


ops = st.lists(st.tuples(st.sampled_from(["next", "request", "read", "fail", "sync", "steal"]),
                         st.integers(0, 7), st.integers(1, 3 * MiB)), max_size=300)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 64 * MiB), parts=st.integers(1, 8), script=ops)
def test_any_sequence_keeps_the_partition_and_fetches_each_byte_once(
        total: int, parts: int, script: list[tuple[str, int, int]]) -> None:
    table = SegmentTable.plan(total, parts)
    owned: dict[int, Segment] = {}
    asked: dict[int, int] = {}           # worker -> end of its request on the wire
    fetched: list[tuple[int, int]] = []  # (offset, length) of every write
    marks: dict[int, int] | None = None

    def write(seg: Segment, n: int) -> None:
        offset = seg.pos
        got = table.claim(seg, n)
        if got:
            fetched.append((offset, got))
        table.commit(seg, got)

    for op, worker, n in script:
        seg = owned.get(worker)
        if op == "next" and seg is None:
            got = table.next_for(worker, MiB)
            if got is not None:
                owned[worker] = got
        elif op == "request" and seg is not None:
            asked[worker] = table.request(seg, n)
        elif op == "read" and seg is not None:
            write(seg, n)
            if seg.written >= seg.end:
                seg.owner = None
                del owned[worker]
        elif op == "fail" and seg is not None:
            table.release(seg)
            del owned[worker]
        elif op == "sync":
            if marks is not None:
                table.mark_durable(marks)
            marks = table.written_marks()
        elif op == "steal" and seg is not None:
            table.take_over(seg)   # the owner's request is aborted: it may be cut
            asked.pop(worker, None)
        if op in ("fail", "read") and worker not in owned:
            asked.pop(worker, None)
        check_partition(total, table.segments)
        # another connection's split never cuts into bytes a request already asked for
        assert all(asked[w] <= owned[w].end for w in asked), (asked, owned)
        assert all(s.owner is None or owned.get(s.owner) is s for s in table.segments)
    # drain: whoever is left finishes, then idle connections take what remains
    for seg in list(owned.values()):
        write(seg, seg.end - seg.pos)
        seg.owner = None
    while (seg := table.next_for(0, MiB)) is not None:
        write(seg, seg.end - seg.pos)
        seg.owner = None
    check_partition(total, table.segments)
    assert table.finished
    assert table.written == total
    at = 0
    for offset, length in sorted(fetched):  # the writes tile the file: no gap, no overlap
        assert offset == at
        at += length
    assert at == total


def test_idle_connection_takes_half_of_the_largest_remaining_range() -> None:
    table = SegmentTable.plan(64 * MiB, 2)
    a, b = table.next_for(0, MiB), table.next_for(1, MiB)
    assert a is not None and b is not None
    table.claim(a, 32 * MiB)
    table.commit(a, 32 * MiB)
    a.owner = None
    tail = table.next_for(0, MiB)
    assert tail is not None and (tail.start, tail.end) == (48 * MiB, 64 * MiB)
    assert b.end == 48 * MiB


def test_split_leaves_requested_bytes_to_their_owner() -> None:
    table = SegmentTable.plan(64 * MiB, 1)
    seg = table.next_for(0, MiB)
    assert seg is not None
    table.request(seg, 40 * MiB)                 # half would be 32 MiB: already on the wire
    tail = table.next_for(1, MiB)
    assert tail is not None and (tail.start, tail.end) == (40 * MiB, 64 * MiB) and seg.end == 40 * MiB
    table.request(seg, 40 * MiB)
    assert table.next_for(2, MiB) is not None    # half of the thief's unrequested 24 MiB
    table2 = SegmentTable.plan(8 * MiB, 1)
    whole = table2.next_for(0, MiB)
    assert whole is not None
    table2.request(whole, 7 * MiB + MiB // 2)    # less than min_split left unrequested
    assert table2.next_for(1, MiB) is None


def test_request_size_halves_until_the_rest_is_near() -> None:
    assert request_size(64 * MiB, None, MiB, 1.5) == 32 * MiB       # speed unknown: half
    assert request_size(64 * MiB, 10e6, MiB, 1.5) == 32 * MiB       # 6 s left: half
    assert request_size(12 * MiB, 10e6, MiB, 1.5) == 12 * MiB       # 1.3 s left: all of it
    assert request_size(MiB + 5, None, MiB, 1.5) == MiB + 5          # cannot be split anyway
    assert request_size(0, None, MiB, 1.5) == 0
    assert request_size(64 * MiB, None, MiB, 1.5, own_share=True) == 64 * MiB  # its planned share


@given(remaining=st.integers(0, 1 << 40), rate=st.none() | st.floats(0, 1e10),
       min_size=st.integers(1, 8 * MiB))
def test_request_size_is_within_the_segment_and_leaves_a_splittable_rest(
        remaining: int, rate: float | None, min_size: int) -> None:
    size = request_size(remaining, rate, min_size, 1.5)
    assert 0 <= size <= remaining
    assert size == remaining or (size >= min_size and remaining - size >= min_size)


def test_no_split_below_the_minimum() -> None:
    table = SegmentTable.plan(3 * MiB, 1)
    seg = table.next_for(0, 2 * MiB)
    assert seg is not None
    assert table.next_for(1, 2 * MiB) is None


def test_durable_ranges_merge_finished_neighbours() -> None:
    table = SegmentTable(30, [Segment.fresh(0, 10, 10), Segment.fresh(10, 20, 10), Segment.fresh(20, 30, 4)])
    assert table.durable_ranges() == [(0, 30, 24)]
    table = SegmentTable(30, [Segment.fresh(0, 10, 3), Segment.fresh(10, 30, 5)])
    assert table.durable_ranges() == [(0, 10, 3), (10, 30, 5)]


def test_bad_partition_is_rejected() -> None:
    with pytest.raises(ValueError, match="partition"):
        SegmentTable(10, [Segment.fresh(0, 4), Segment.fresh(5, 10)])
    with pytest.raises(ValueError, match="end at"):
        SegmentTable(10, [Segment.fresh(0, 4)])


def test_slow_owner_is_the_one_far_below_the_median() -> None:
    rates = {0: 8e6, 1: 8e6, 2: 7e6, 3: 1e5}
    elapsed = dict.fromkeys(rates, 5.0)
    remaining = dict.fromkeys(rates, 10 * MiB)
    assert slow_owners(rates, elapsed, remaining) == [3]
    assert slow_owners(rates, dict.fromkeys(rates, 0.25), remaining) == []  # too early to judge
    assert slow_owners(rates, elapsed, dict.fromkeys(rates, 1000)) == []    # nothing worth moving
    assert slow_owners({0: 1.0}, {0: 9.0}, {0: 10 * MiB}) == []             # nobody to compare with
    # a lone straggler, judged against the speeds of segments already finished
    assert slow_owners({0: 5e4}, {0: 3.0}, {0: MiB}, finished=[5e8, 5e8, 5e8]) == [0]
    # a connection 10x slower than its peers is noticed within a second
    uneven = {i: (8e5 if i % 4 == 0 else 8e6) for i in range(16)}
    assert slow_owners(uneven, dict.fromkeys(uneven, 1.0), dict.fromkeys(uneven, 7 * MiB)) == [0, 4, 8, 12]


@given(rates=st.lists(st.floats(1e3, 1e9), min_size=1, max_size=32), spread=st.floats(1.0, 3.9),
       elapsed=st.floats(0.0, 100.0), left=st.integers(0, 1 << 34))
def test_connections_within_a_factor_of_each_other_are_never_slow(
        rates: list[float], spread: float, elapsed: float, left: int) -> None:
    """Replacement is relative: all slow (or all within 4x of each other) means nobody is."""
    low = min(rates)
    squeezed = {i: min(r, low * spread) for i, r in enumerate(rates)}
    assert slow_owners(squeezed, dict.fromkeys(squeezed, elapsed), dict.fromkeys(squeezed, left)) == []


@given(size=st.integers(0, 1 << 34), done=st.integers(0, 1 << 34), asked=st.integers(0, 1 << 34),
       reading=st.integers(0, 1 << 34), min_size=st.sampled_from([1, 4096, MiB]))
def test_steal_halves_what_the_owner_is_not_reading_yet(size: int, done: int, asked: int, reading: int,
                                                         min_size: int) -> None:
    table = SegmentTable.plan(size, 1)
    seg = table.segments[0]
    seg.owner = 0
    seg.pos = seg.written = min(done, size)
    seg.reading = reading   # the owner's read in progress ends here (stale marks lie below pos)
    table.request(seg, asked)
    busy = max(seg.pos, min(reading, size))
    left = size - busy
    tail = table.steal(seg, 1, min_size)
    check_partition(size, table.segments)
    if left < 2 * min_size:
        assert tail is None and len(table.segments) == 1
        return
    assert tail is not None and tail.owner == 1 and tail.end == size
    assert seg.end == tail.start and seg.requested <= seg.end
    assert tail.start >= busy   # never inside the owner's read: it would wait for those bytes anyway
    assert min(seg.end - busy, tail.end - tail.start) >= min_size


def test_steal_needs_an_owner() -> None:
    table = SegmentTable.plan(8 * MiB, 1)
    assert table.steal(table.segments[0], 1, MiB) is None
