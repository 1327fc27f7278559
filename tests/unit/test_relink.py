"""Expired links (paxel.service.relink): when a failure is a dead link, which download a new
answer continues, and what is known of a download's file from its `.part` state."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from paxel import resume
from paxel.errors import HTTPStatusError, NetworkError
from paxel.sameness import FileFacts, Sameness
from paxel.service.lifecycle import State
from paxel.service.relink import Known, Relinks, best, expired, facts_of, replaced_url, unlike_take
from paxel.service.store import Record


def record(ident: str, state: State = State.FAILED, created: float = 0.0, url: str | None = None,
           **kw: object) -> Record:
    return Record(id=ident, url=url or f"https://cdn.test/{ident}?sig=1", folder="/tmp", connections=4,
                  state=state, created_at=created, **kw)  # type: ignore[arg-type]


@given(st.integers(100, 599), st.integers(0, 10), st.booleans())
def test_only_a_refusal_of_a_link_that_worked_is_an_expired_link(status: int, done: int, taken: bool) -> None:
    """It worked: bytes arrived, or it answered the take with a success moments before."""
    assert expired(HTTPStatusError("x", status=status), done, taken) == (
        status in (401, 403, 410) and (done > 0 or taken))


def test_other_errors_are_plain_failures() -> None:
    assert not expired(NetworkError("reset"), 10)
    assert not expired(None, 10)


NEW = FileFacts("a.iso", 100, '"e1"')
URL = "https://cdn.test/a.iso?sig=2"


def test_best_prefers_validated_then_waiting_then_newest_and_skips_what_cannot_continue() -> None:
    old = "https://cdn.test/a.iso?sig=1"
    likely = (record("d-likely", created=9, url=old), Known(FileFacts("a.iso", 100), None))
    valid = (record("d-valid", created=1, url=old), Known(FileFacts("a (1).iso", 100, '"e1"'), "https://cdn.test/a.iso?s=0"))
    running = (record("d-run", State.RUNNING, created=10, url=old), Known(NEW, None))
    done = (record("d-done", State.COMPLETED, created=10, url=old), Known(NEW, None))
    other = (record("d-other", created=10, url=old), Known(FileFacts("a.iso", 100, '"e2"'), None))
    found = best(NEW, [likely, valid, running, done, other], frozenset({"d-likely"}), url=URL)
    assert found is not None
    assert (found.record.id, found.match.sameness, found.replaces_url) == ("d-valid", Sameness.VALIDATED,
                                                                         "https://cdn.test/a.iso?s=0")
    # Among equals: the one waiting for a new link, else the newest; no state file: its own URL.
    older = (record("d-old", State.PAUSED, created=1, url=old), Known(FileFacts("a.iso", 100), None))
    assert best(NEW, [likely, older], frozenset({"d-old"}), url=URL).record.id == "d-old"  # type: ignore[union-attr]
    found = best(NEW, [likely, older], frozenset({"d-likely", "d-old"}), url=URL)
    assert found is not None and (found.record.id, found.replaces_url) == ("d-likely", old)
    assert best(NEW, [running, done, other], frozenset({"d-run", "d-done", "d-other"}), url=URL) is None
    stream = (record("d-stream", media={"quality": None}, url=old), Known(NEW, None))
    assert best(NEW, [stream], frozenset({"d-stream"}), url=URL) is None, "a stream's job is no file's"


def test_only_a_download_from_the_same_server_is_continued() -> None:
    """Another site can copy a public validator with the name and size (test_attack_relink)."""
    paused = (record("d-1", State.PAUSED, final_url="https://dl2.cdn.test:443/a.iso"),
              Known(NEW, "https://old.test/a.iso?sig=0"))
    for url in ("https://cdn.test/a.iso?sig=9", "HTTPS://CDN.test:443/x/a.iso", "https://dl2.cdn.test/a.iso",
                "https://old.test/a.iso"):
        assert best(NEW, [paused], frozenset({"d-1"}), url=url) is not None, url
    for url in ("https://evil.test/a.iso", "http://cdn.test/a.iso", "https://cdn.test:8443/a.iso",
                "https://cdn.test.evil.test/a.iso", "https://user@evil.test/a.iso", "not a url", ""):
        assert best(NEW, [paused], frozenset({"d-1"}), url=url) is None, url
    # The click's URL on the server, but the answer from elsewhere (an open redirect): not it.
    assert best(NEW, [paused], frozenset({"d-1"}), url="https://cdn.test/go",
                answered_from="https://evil.test/a.iso") is None
    assert best(NEW, [paused], frozenset({"d-1"}), url="https://cdn.test/go",
                answered_from="https://dl2.cdn.test/a.iso") is not None


def test_a_click_nobody_asked_to_attach_needs_the_same_path_and_a_validator() -> None:
    """A second click continues a download that waits for no new link only when a validator
    confirms the file and only the query changed (test_attack_relink: generated exports, nginx's
    mtime-size ETags in two folders)."""
    signed = record("d-1", State.PAUSED, url="https://cdn.test/v1/a.iso?sig=1")
    known = [(signed, Known(NEW, None))]
    assert best(NEW, known, frozenset(), url="https://cdn.test/v1/a.iso?sig=2") is not None
    assert best(NEW, known, frozenset(), url="https://cdn.test/v2/a.iso?sig=2") is None
    bare = FileFacts("a.iso", 100)
    assert best(bare, [(signed, Known(bare, None))], frozenset(), url="https://cdn.test/v1/a.iso") is None
    weak = FileFacts("a.iso", 100, 'W/"e1"')
    assert best(weak, [(signed, Known(weak, None))], frozenset(), url="https://cdn.test/v1/a.iso") is None
    # Waiting for a new link (the user asked, on the page it opened): another path, LIKELY will do.
    assert best(bare, [(signed, Known(bare, None))], frozenset({"d-1"}),
                url="https://cdn.test/t/93ab/a.iso") is not None


def test_facts_come_from_the_part_state_else_from_the_record(tmp_path: Path) -> None:
    final = tmp_path / "a.iso"
    bare = record("d-1", filename="a.iso", path=str(final), total=100)
    assert facts_of(bare) == Known(FileFacts("a.iso", 100), None)
    resume.state_path(final).write_bytes(resume.encode(resume.ResumeState(
        "https://old/a.iso?sig=9", "https://old/a.iso?sig=9", 100, '"e1"', "Mon, 30 Nov 2026 10:00:00 GMT",
        ((0, 100, 40),))))
    resume.part_path(final).write_bytes(b"\0" * 40)
    assert facts_of(bare) == Known(FileFacts("a.iso", 100, '"e1"', "Mon, 30 Nov 2026 10:00:00 GMT"),
                                   "https://old/a.iso?sig=9")
    resume.state_path(final).write_bytes(b"not a state")   # unreadable: what the record says
    assert facts_of(bare) == Known(FileFacts("a.iso", 100), None)
    assert facts_of(record("d-2")) == Known(FileFacts(None, None), None)


def test_the_replaced_url_is_the_part_states_when_it_is_not_the_downloads_own(tmp_path: Path) -> None:
    final = tmp_path / "a.iso"
    attached = record("d-1", filename="a.iso", path=str(final), total=100)   # url: ...d-1?sig=1
    assert replaced_url(attached) is None   # no state yet: nothing to replace
    state = resume.ResumeState("https://old/a.iso?sig=9", "https://old/a.iso?sig=9", 100, '"e1"', None,
                               ((0, 100, 40),))
    resume.state_path(final).write_bytes(resume.encode(state))
    resume.part_path(final).write_bytes(b"\0" * 40)
    assert replaced_url(attached) == "https://old/a.iso?sig=9"   # also after a service restart
    checkpointed = resume.ResumeState(attached.url, attached.url, 100, '"e1"', None, ((0, 100, 60),))
    resume.state_path(final).write_bytes(resume.encode(checkpointed))
    assert replaced_url(attached) is None


def test_a_take_s_facts_stand_in_for_a_state_not_yet_written(tmp_path: Path) -> None:
    taken = FileFacts("a.iso", 100, '"e1"')
    fresh = record("d-1", path=str(tmp_path / "a.iso"))
    assert facts_of(fresh, taken) == Known(FileFacts("a.iso", 100, '"e1"'), None)
    assert facts_of(record("d-2"), taken) == Known(taken, None)


def test_relinks_keep_the_last_takes_only() -> None:
    links = Relinks(kept=2)
    for n in range(3):
        links.note_taken(f"d-{n}", FileFacts(f"{n}.bin", n))
    assert [links.taken(f"d-{n}") for n in range(3)] == [None, FileFacts("1.bin", 1), FileFacts("2.bin", 2)]
    links.wait("d-2")
    links.forget("d-2")   # attached: the take's facts stay
    assert links.taken("d-2") is not None
    links.drop("d-2")     # removed: nothing stays
    assert links.taken("d-2") is None and links.waiting() == frozenset()


def test_relinks_remember_who_waits_for_a_new_link() -> None:
    links = Relinks()
    links.wait("d-1")
    links.wait("d-2")
    assert links.waiting() == {"d-1", "d-2"}
    links.forget("d-1")
    assert links.waiting() == {"d-2"}


def test_a_finished_download_of_another_size_than_its_take_saw_is_not_the_file() -> None:
    assert unlike_take(17, FileFacts("r.bin", 4096)) is not None
    assert unlike_take(4096, FileFacts("r.bin", 4096)) is None
    assert unlike_take(17, FileFacts("r.bin", None)) is None   # the take saw no size: nothing to hold
    assert unlike_take(17, None) is None                        # not a take
