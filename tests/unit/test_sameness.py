"""The one "same file?" rule: by size, name and validators, never by URL."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.sameness import FileFacts, Sameness, normal_name, same_file

OLD = FileFacts("report.zip", 10_000_000, '"abc-123"', "Mon, 30 Nov 2026 10:00:00 GMT")


def test_the_same_file_behind_a_new_signed_link_is_validated() -> None:
    match = same_file(OLD, OLD)
    assert (match.sameness, match.same) == (Sameness.VALIDATED, True)
    assert match.why == "name, size and ETag agree"


def test_a_size_that_differs_or_is_unknown_is_never_the_same() -> None:
    assert same_file(FileFacts("report.zip", 9_999_999, '"abc-123"'), OLD).sameness == Sameness.DIFFERENT
    assert same_file(FileFacts("report.zip", None, '"abc-123"'), OLD).why == "a size is unknown"
    assert same_file(OLD, FileFacts("report.zip", None)).sameness == Sameness.DIFFERENT


def test_names_agree_after_counters_case_and_normal_form() -> None:
    for name in ("report (1).zip", "REPORT.ZIP", "report(12).zip", "Report (3).Zip",
                 "dir/report.zip", " report.zip "):
        assert same_file(FileFacts(name, OLD.size, OLD.etag), OLD).same, name
    assert normal_name("a (1).tar.gz") == normal_name("a.tar (1).gz") == "a.tar.gz"
    assert normal_name("Cafe\u0301.txt") == normal_name("Café.txt")
    assert normal_name("notes (1)") == "notes"
    for other in ("report.zip.bak", "report2.zip", "report.tar", "rapport.zip"):
        assert not same_file(FileFacts(other, OLD.size, OLD.etag), OLD).same, other


def test_an_empty_name_is_never_the_same() -> None:
    assert same_file(FileFacts(None, OLD.size), FileFacts(None, OLD.size)).why == "a name is unknown"
    assert not same_file(FileFacts("", OLD.size), FileFacts("", OLD.size)).same


def test_a_validator_that_disagrees_is_another_file() -> None:
    changed = same_file(FileFacts("report.zip", OLD.size, '"abc-124"'), OLD)
    assert changed.sameness == Sameness.DIFFERENT
    assert changed.why == 'the ETag changed ("abc-123" -> "abc-124")'
    older = FileFacts("report.zip", OLD.size, None, "Sun, 29 Nov 2026 10:00:00 GMT")
    assert same_file(older, OLD).sameness == Sameness.DIFFERENT


def test_etags_decide_over_dates_when_both_sides_have_one() -> None:
    other_date = FileFacts("report.zip", OLD.size, OLD.etag, "Tue, 01 Dec 2026 10:00:00 GMT")
    assert same_file(other_date, OLD).sameness == Sameness.VALIDATED


def test_a_weak_etag_is_only_likely() -> None:
    weak = FileFacts("report.zip", OLD.size, 'W/"abc-123"')
    assert same_file(weak, OLD).sameness == Sameness.LIKELY
    assert same_file(OLD, weak).sameness == Sameness.LIKELY
    assert same_file(FileFacts("report.zip", OLD.size, 'W/"zzz"'), OLD).sameness == Sameness.DIFFERENT


def test_dates_compare_as_instants() -> None:
    a = FileFacts("f.bin", 5, None, "Mon, 30 Nov 2026 10:00:00 GMT")
    b = FileFacts("f.bin", 5, None, "Mon, 30 Nov 2026 11:00:00 +0100")
    assert same_file(a, b).sameness == Sameness.VALIDATED
    assert same_file(a, FileFacts("f.bin", 5, None, "not a date")).sameness == Sameness.DIFFERENT
    garbled = FileFacts("f.bin", 5, None, "not a date")
    assert same_file(garbled, garbled).sameness == Sameness.VALIDATED


def test_without_validators_on_both_sides_name_and_size_are_likely() -> None:
    assert same_file(FileFacts("f.bin", 5, '"x"'), FileFacts("f.bin", 5)).sameness == Sameness.LIKELY
    assert same_file(FileFacts("f.bin", 5), FileFacts("f.bin", 5, None, OLD.last_modified)).sameness \
        == Sameness.LIKELY


facts = st.builds(
    FileFacts,
    name=st.one_of(st.none(), st.sampled_from(["a.zip", "A (1).zip", "b.zip", "a(2).ZIP", ""]),
                   st.text(max_size=12)),
    size=st.one_of(st.none(), st.integers(0, 3)),
    etag=st.one_of(st.none(), st.sampled_from(['"1"', 'W/"1"', '"2"', "3"])),
    last_modified=st.one_of(st.none(), st.sampled_from(["Mon, 30 Nov 2026 10:00:00 GMT",
                                                         "Mon, 30 Nov 2026 11:00:00 +0100",
                                                         "Tue, 01 Dec 2026 10:00:00 GMT", "junk"])),
)


@given(facts, facts)
def test_the_rule_is_symmetric(a: FileFacts, b: FileFacts) -> None:
    assert same_file(a, b).sameness == same_file(b, a).sameness


@given(facts, facts)
def test_same_needs_a_known_equal_size_and_a_name(a: FileFacts, b: FileFacts) -> None:
    if same_file(a, b).same:
        assert a.size is not None and a.size == b.size
        assert normal_name(a.name) and normal_name(a.name) == normal_name(b.name)


@given(facts, facts)
def test_validated_needs_a_strong_validator_on_both_sides(a: FileFacts, b: FileFacts) -> None:
    if same_file(a, b).sameness == Sameness.VALIDATED:
        assert (a.etag and b.etag and not a.etag.startswith("W/")) or (a.last_modified and b.last_modified)


@given(facts)
def test_a_file_with_a_known_size_and_name_is_the_same_as_itself(a: FileFacts) -> None:
    assert same_file(a, a).same == (a.size is not None and bool(normal_name(a.name)))
