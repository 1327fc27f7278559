"""The take-over judgement: paxel takes a download only when its answer is what the browser got."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxel.takeover import GENERIC_TYPES, TAKEN, Answer, Declined, Seen, extension, judge, media_type

FILE = Answer(status=200, size=1000, content_type="application/octet-stream", filename=None)


def test_the_same_file_is_taken() -> None:
    assert judge(Seen(1000, "application/octet-stream", "a.bin"), FILE) == TAKEN
    assert judge(Seen(), FILE) == TAKEN
    assert judge(Seen(1000), Answer(206, 1000, None, "a.bin")).taken


def test_a_used_token_or_a_replayed_post_is_declined_by_status() -> None:
    for status in (301, 304, 401, 403, 404, 405, 410, 416, 500):
        verdict = judge(Seen(), Answer(status, None, None, None))
        assert (verdict.taken, verdict.reason) == (False, Declined.STATUS)
        assert str(status) in verdict.message


def test_a_login_page_instead_of_the_file_is_declined() -> None:
    login = Answer(200, 26, "text/html; charset=UTF-8", None)
    verdict = judge(Seen(None, "application/octet-stream", "gated.bin"), login)
    assert verdict.reason == Declined.HTML
    assert verdict.message == ("the server answered paxel an HTML page where the browser got "
                               "application/octet-stream")
    assert judge(Seen(), Answer(200, 26, "application/XHTML+xml", None)).reason == Declined.HTML
    # A page the browser itself saved as a page is plausible.
    assert judge(Seen(None, "text/html", "page.bin"), login).taken
    assert judge(Seen(None, None, "saved.HTM"), login).taken


def test_size_and_name_must_agree_when_both_sides_know_them() -> None:
    assert judge(Seen(999), FILE).reason == Declined.SIZE
    assert judge(Seen(None), FILE).taken
    named = Answer(200, 1000, "application/octet-stream", "report.csv")
    assert judge(Seen(filename="report (1).csv"), named).taken
    assert judge(Seen(filename="report.CSV"), named).taken
    assert judge(Seen(filename="report.zip"), named).reason == Declined.NAME
    assert judge(Seen(filename="report"), named).taken


def test_another_type_is_declined_only_where_no_size_tells_and_neither_type_is_generic() -> None:
    error = Answer(200, 38, "application/json", None)
    csv = Seen(None, "text/csv; charset=utf-8", "export.csv")
    assert judge(csv, error).reason == Declined.TYPE
    assert judge(csv, Answer(200, None, "text/plain", None)).reason == Declined.TYPE
    assert judge(csv, Answer(200, 38, "Text/CSV", None)).taken
    assert judge(Seen(38, "text/csv"), error).taken                 # the sizes agree: it is the file
    assert judge(Seen(None, "application/octet-stream"), error).taken   # (a sniffed text/plain)
    assert judge(csv, Answer(200, 38, "application/octet-stream", None)).taken
    assert judge(csv, Answer(200, 38, None, None)).taken


def test_the_minimum_size_is_checked_by_paxel_when_the_browser_knew_no_size() -> None:
    assert judge(Seen(min_size=1001), FILE).reason == Declined.SMALL
    assert judge(Seen(min_size=1000), FILE).taken
    assert judge(Seen(min_size=1 << 20), Answer(200, None, None, None)).taken  # a stream: worth it


def test_media_type_and_extension() -> None:
    assert media_type(" Text/HTML ; charset=x") == "text/html"
    assert media_type("") is None and media_type(";") is None
    assert extension("a.tar.gz") == "gz"
    assert extension(".bashrc") is None and extension("noext") is None and extension(None) is None
    assert extension("../../evil.EXE") == "exe"


sizes = st.one_of(st.none(), st.integers(min_value=0, max_value=1 << 40))
types = st.one_of(st.none(), st.text(max_size=20),
                  st.sampled_from(["text/html", "application/octet-stream", "TEXT/HTML;x", "image/png"]))
names = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["a.bin", "a.html", "b.BIN", "x.zip"]))


@given(sizes, types, names, st.integers(min_value=100, max_value=599), sizes, types, names)
def test_property_taken_only_when_nothing_disagrees(
        seen_size: int | None, seen_type: str | None, seen_name: str | None,
        status: int, size: int | None, kind: str | None, name: str | None) -> None:
    seen = Seen(seen_size, seen_type, seen_name)
    verdict = judge(seen, Answer(status, size, kind, name))
    assert verdict.taken == (verdict.reason is None)
    if verdict.taken:
        assert status in (200, 206)
        assert seen_size is None or size is None or seen_size == size
        if seen_size is None or size is None:
            a, b = media_type(seen_type), media_type(kind)
            assert not a or not b or a == b or bool({a, b} & GENERIC_TYPES)
        assert not (media_type(kind) in ("text/html", "application/xhtml+xml")
                    and media_type(seen_type) not in ("text/html", "application/xhtml+xml")
                    and extension(seen_name) not in ("html", "htm", "xhtml", "shtml"))
    else:
        assert verdict.message
    # The verdict never depends on anything but these facts.
    assert judge(seen, Answer(status, size, kind, name)) == verdict
