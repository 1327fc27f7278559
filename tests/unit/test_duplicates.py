"""Duplicates (paxel.service.duplicates): found by paxel.sameness's rule, decided by the setting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.sameness import FileFacts
from paxel.service.duplicates import decide, find
from paxel.service.lifecycle import State
from paxel.service.store import Record


def _record(ident: str, state: State, name: str | None, total: int | None, created: float = 0.0,
            etag: str | None = None) -> Record:
    return Record(id=ident, url=f"https://h.test/{ident}?sig=1", folder="/dl", connections=1, state=state,
                  filename=name, total=total, path=f"/dl/{name}" if name else None, created_at=created,
                  etag=etag)


def test_a_signed_link_to_a_finished_file_is_a_duplicate_by_name_and_size() -> None:
    done = _record("d-1", State.COMPLETED, "report.zip", 1000)
    found = find(FileFacts("report.zip", 1000, '"e1"'), [done])
    assert found is not None and (found.kind, found.of, found.path) == ("done", "d-1", "/dl/report.zip")
    assert find(FileFacts("report.zip", 999), [done]) is None, "another size: another file"
    assert find(FileFacts("report.zip", None), [done]) is None, "an unknown size decides nothing"
    cancelled = _record("d-2", State.CANCELLED, "report.zip", 1000)
    assert find(FileFacts("report.zip", 1000), [cancelled]) is None


def test_unfinished_before_finished_and_a_taken_name_last() -> None:
    records = [_record("d-1", State.COMPLETED, "a.iso", 5, 2.0),
               _record("d-2", State.PAUSED, "a (1).iso", 5, 1.0)]
    found = find(FileFacts("a.iso", 5), records)
    assert found is not None and (found.kind, found.of) == ("unfinished", "d-2")
    named = find(FileFacts("b.iso", None), records, name_taken="/dl/b.iso")
    assert named is not None and (named.kind, named.of, named.path) == ("name", None, "/dl/b.iso")


def test_only_a_validated_match_is_dropped_a_likely_one_is_added_or_asked() -> None:
    """paxel.sameness: a check that would skip a download needs VALIDATED. Name and size alone
    (two exports of one size from a web app without validators) are only LIKELY."""
    old = _record("d-1", State.COMPLETED, "export.csv", 4096, etag='"v1"')
    likely = find(FileFacts("export.csv", 4096), [old])
    assert likely is not None and not likely.validated
    assert [decide(likely, p) for p in ("skip", "resume", "ask")] == ["add", "add", "ask"]
    validated = find(FileFacts("export.csv", 4096, '"v1"'), [old])
    assert validated is not None and validated.validated and decide(validated, "skip") == "skip"
    assert find(FileFacts("export.csv", 4096, '"v2"'), [old]) is None, "another ETag: another file"


def test_what_each_setting_does() -> None:
    done = find(FileFacts("a", 1, '"e"'), [_record("d-1", State.COMPLETED, "a", 1, etag='"e"')])
    running = find(FileFacts("a", 1, '"e"'), [_record("d-1", State.RUNNING, "a", 1, etag='"e"')])
    name = find(FileFacts("a", None), [], name_taken="/dl/a")
    table = {"rename": ("add", "add", "add"), "ask": ("ask", "ask", "ask"),
             "skip": ("skip", "skip", "add"), "resume": ("add", "continue", "add")}
    for policy, expected in table.items():
        assert tuple(decide(f, policy) for f in (done, running, name)) == expected, policy
    assert decide(None, "ask") == "add"


@given(st.lists(st.tuples(st.sampled_from(list(State)), st.sampled_from(["a.zip", "b.zip", None]),
                          st.one_of(st.none(), st.integers(0, 3))), max_size=8),
       st.sampled_from(["a.zip", "b.zip"]), st.one_of(st.none(), st.integers(0, 3)))
def test_a_match_always_names_a_record_with_the_same_name_and_a_known_equal_size(
        rows: list[tuple[State, str | None, int | None]], name: str, size: int | None) -> None:
    records = [_record(f"d-{i}", state, n, total, float(i)) for i, (state, n, total) in enumerate(rows)]
    found = find(FileFacts(name, size), records)
    if found is not None:
        matched = next(r for r in records if r.id == found.of)
        assert size is not None and matched.total == size and matched.filename == name
        assert matched.state not in (State.CANCELLED, State.MISSING)
