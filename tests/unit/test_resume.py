"""The resume state: round trips, and anything inconsistent is rejected instead of trusted."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel import resume
from paxel.probe import ProbeResult
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


# -- trusting a `.part` (format 2 identity, format 1 rule, shortened files) ----------------------

def _state(ranges: tuple[tuple[int, int, int], ...], part: resume.PartRecord | None) -> ResumeState:
    return ResumeState("http://h/f", "http://h/f", ranges[-1][1], '"e"', None, ranges, part)


def _reader(data: bytes) -> Callable[[int, int], bytes]:
    return lambda off, n: data[off:off + n]


@given(st.data())
def test_a_trusted_state_never_claims_bytes_past_the_part(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 1 << 16))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, size - 1), max_size=6)) if size > 1 else []))
    bounds = [0, *cuts, size]
    ranges = tuple((a, b, data.draw(st.integers(0, b - a))) for a, b in itertools.pairwise(bounds))
    content = bytes(range(256)) * (size // 256 + 1)
    record = resume.PartRecord(1, 2, size, resume.samples(ranges, _reader(content)))
    now_size = data.draw(st.integers(0, size))
    kept, why = resume.trusted(_state(ranges, record), resume.PartNow(1, 2, now_size, 1, True),
                               _reader(content[:now_size]))
    assert kept is not None
    assert all(a + d <= max(a, now_size) for a, _, d in kept.ranges)
    assert all(d <= old for (_, _, d), (_, _, old) in zip(kept.ranges, ranges, strict=True))
    assert (why is None) == (kept.ranges == ranges)


@pytest.mark.parametrize(("now", "content", "trusted"), [
    (resume.PartNow(1, 2, 100, 1, True), b"a" * 100, True),
    (resume.PartNow(1, 3, 100, 1, True), b"a" * 100, False),     # another inode
    (resume.PartNow(9, 2, 100, 1, True), b"a" * 100, False),     # another device
    (resume.PartNow(1, 2, 100, 2, True), b"a" * 100, False),     # hard-linked elsewhere too
    (resume.PartNow(1, 2, 100, 1, False), b"a" * 100, False),    # not a regular file
    (resume.PartNow(1, 2, 100, 1, True), b"b" * 100, False),     # same inode number, other bytes
])
def test_format_2_trusts_only_the_file_it_wrote(now: resume.PartNow, content: bytes, trusted: bool) -> None:
    ranges = ((0, 50, 40), (50, 100, 10))
    record = resume.PartRecord(1, 2, 100, resume.samples(ranges, _reader(b"a" * 100)))
    kept, _ = resume.trusted(_state(ranges, record), now, _reader(content))
    assert (kept is not None) == trusted


@pytest.mark.parametrize(("size", "links", "trusted"), [(100, 1, True), (99, 1, False), (101, 1, False),
                                                         (100, 2, False)])
def test_format_1_trusts_a_single_regular_part_of_the_full_size(size: int, links: int, trusted: bool) -> None:
    state = decode(json.dumps(good() | {"size": 100, "ranges": [[0, 100, 60]]}).encode())
    assert state.part is None
    kept, _ = resume.trusted(state, resume.PartNow(1, 2, size, links, True), _reader(b"x" * size))
    assert (kept is not None) == trusted


def test_format_2_round_trips_its_identity() -> None:
    state = _state(((0, 10, 4), (10, 20, 0)), resume.PartRecord(3, 4, 20, ((0, 4, 123),)))
    raw = json.loads(encode(state))
    assert raw["version"] == 2 and raw["part"]["inode"] == 4
    assert decode(encode(state)) == state
    with pytest.raises(ValueError):
        decode(json.dumps(raw | {"part": {"device": 3}}).encode())


# -- same server file (resume.same_file) -----------------------------------------------------------

def _probe(size: int | None, etag: str | None, modified: str | None, ranges: bool = True) -> ProbeResult:
    return ProbeResult("http://h/f", 206, size, ranges, 0, etag, modified, None)


@pytest.mark.parametrize(("state_v", "probe_v", "same_url", "same"), [
    (('"a"', None), ('"a"', None), True, True),
    (('"a"', None), ('"b"', None), True, False),
    ((None, "Mon"), (None, "Mon"), True, True),
    ((None, "Mon"), (None, "Tue"), True, False),
    ((None, None), (None, None), True, True),      # nothing to compare: the same URL is trusted
    ((None, None), (None, None), False, False),    # ...another URL is not
    (('"a"', None), ('"a"', None), False, True),   # a refreshed link with a matching ETag
])
def test_same_file(state_v: tuple[str | None, str | None], probe_v: tuple[str | None, str | None],
                   same_url: bool, same: bool) -> None:
    state = ResumeState("http://h/f", "http://h/f", 100, *state_v, ((0, 100, 10),))
    assert resume.same_file(state, _probe(100, *probe_v), same_url=same_url) is same
    assert not resume.same_file(state, _probe(101, *probe_v), same_url=same_url)
    assert not resume.same_file(state, _probe(100, *probe_v, ranges=False), same_url=same_url)


def test_first_missing_and_resume_bounds() -> None:
    state = ResumeState("u", "u", 30, None, None, ((0, 10, 10), (10, 20, 4), (20, 30, 0)))
    assert resume.first_missing(state) == 14 and resume.resume_bounds(state) == (14, 20)
    full = ResumeState("u", "u", 30, None, None, ((0, 30, 30),))
    assert resume.first_missing(full) == 30 and resume.resume_bounds(full) == (29, 30)


# -- states nobody should trust (tests/integration/test_attack_disk.py does the same on disk) ------

@pytest.mark.parametrize("data", [b"[" * 100_000, b'{"size": ' + b"9" * 5000 + b"}"],
                         ids=["deep-nesting", "huge-integer"])
def test_hostile_json_is_rejected_not_raised(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


@pytest.mark.parametrize("samples", [
    (),                                           # claims bytes, shows none of them
    ((36, 4, 0),),                                # shows the first range only
    ((36, 4, 0), (50, 10, 0), (1 << 62, 4, 0)),   # an extra sample past the file
    ((0, 4, 0), (50, 10, 0)),                     # samples elsewhere than the durable ends
])
def test_a_state_that_does_not_sample_what_it_lists_is_not_trusted(
        samples: tuple[tuple[int, int, int], ...]) -> None:
    content = b"a" * 100
    ranges = ((0, 50, 40), (50, 100, 10))
    honest = resume.samples(ranges, _reader(content))
    crcs = {(o, n): c for o, n, c in honest}
    forged = tuple((o, n, crcs.get((o, n), 0)) for o, n, _ in samples)
    kept, why = resume.trusted(_state(ranges, resume.PartRecord(1, 2, 100, forged)),
                               resume.PartNow(1, 2, 100, 1, True), _reader(content))
    assert kept is None and why


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
               min_size=1, max_size=250))
def test_the_state_file_name_always_fits_with_its_temp_file(name: str) -> None:
    if len(name.encode()) > 250 or name in (".", ".."):
        return
    final = Path("/d") / name
    state = resume.state_path(final)
    assert state.parent == final.parent
    assert len(state.name.encode()) + len(".tmp") <= 255
    assert state.name.endswith(".part.paxel")


def test_long_names_get_distinct_state_files() -> None:
    a, b = Path("/d") / ("x" * 245 + ".bin"), Path("/d") / ("x" * 245 + ".iso")
    assert resume.state_path(a) != resume.state_path(b)
    assert resume.state_path(a) == resume.state_path(Path("/d") / ("x" * 245 + ".bin"))


@pytest.mark.parametrize(("hole", "kept_first"), [(None, 40), (20, 20), (0, 0), (45, 40)])
def test_bytes_past_a_hole_in_a_range_are_not_trusted(hole: int | None, kept_first: int) -> None:
    """A `.part` cut short and grown back has a hole where data was; the sample of that range
    may lie past the new end, so only the hole tells (data_end, from SEEK_HOLE)."""
    content = b"a" * 100
    ranges = ((0, 50, 40), (50, 100, 10))
    record = resume.PartRecord(1, 2, 100, resume.samples(ranges, _reader(content)))

    def data_end(a: int, b: int) -> int:
        return b if hole is None or not a <= hole < b else hole

    kept, why = resume.trusted(_state(ranges, record), resume.PartNow(1, 2, 100, 1, True),
                               _reader(content), data_end)
    assert kept is not None and kept.ranges[0] == (0, 50, kept_first)
    assert (why is None) == (kept_first == 40)


@pytest.mark.parametrize(("now", "content", "done"), [
    (resume.PartNow(1, 2, 100, 1, True), b"a" * 100, True),      # the very file, renamed
    (resume.PartNow(1, 3, 100, 1, True), b"a" * 100, False),     # another file put there
    (resume.PartNow(1, 2, 99, 1, True), b"a" * 99, False),       # not the full size
    (resume.PartNow(1, 2, 100, 2, True), b"a" * 100, False),     # hard-linked elsewhere too
    (resume.PartNow(1, 2, 100, 1, False), b"a" * 100, False),    # not a regular file
    (resume.PartNow(1, 2, 100, 1, True), b"b" * 100, False),     # same inode number, other bytes
])
def test_completed_recognises_only_the_file_the_state_describes(now: resume.PartNow, content: bytes,
                                                                 done: bool) -> None:
    ranges = ((0, 50, 50), (50, 100, 30))
    record = resume.PartRecord(1, 2, 100, resume.samples(ranges, _reader(b"a" * 100)))
    assert resume.completed(_state(ranges, record), now, _reader(content)) is done


def test_completed_needs_a_state_with_an_identity() -> None:
    assert not resume.completed(_state(((0, 100, 100),), None), resume.PartNow(1, 2, 100, 1, True),
                                _reader(b"a" * 100))


@given(data=st.binary(min_size=1, max_size=300), flip=st.integers(0, 299))
def test_completed_sees_a_changed_sampled_byte(data: bytes, flip: int) -> None:
    size = len(data)
    ranges = ((0, size, size),)
    record = resume.PartRecord(1, 2, size, resume.samples(ranges, _reader(data)))
    changed = bytearray(data)
    changed[flip % size] ^= 0xFF
    now = resume.PartNow(1, 2, size, 1, True)
    assert resume.completed(_state(ranges, record), now, _reader(data))
    assert not resume.completed(_state(ranges, record), now, _reader(bytes(changed)))
