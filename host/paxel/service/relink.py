"""Expired links: when a download counts as "link expired", and which unfinished download a new
`take` continues (docs/protocol.md "Expired links").

A signed URL or a session token stops working while a long download runs; the server then
answers 401, 403 or 410. A download that already has bytes, or whose link answered the `take`
with a success moments before (the browser has let go of its copy by then), stops as `failed`
with stop reason `link_expired` (`expired`) instead of a plain failure, so the user is offered *Refresh link*:
the page opens again and the user's next click on the file is taken as usual, then attached to
the old download by paxel.sameness (name, size, validators; never the URL), which continues its
`.part` from the new URL through the engine's `replaces_url` seam. A second click on a file with
an unfinished copy (queued, paused, failed; not running) is attached the same way, without a
question (Chromium holds the download for 15 s at most, no room for one), when it is the same
path on the same server and a validator confirms it (`best`). A click on a file that is
downloading right now (running) is answered with that download, unchanged, by the same rule.

`facts_of` and `replaced_url` read the resume state file beside a `.part` (disk I/O, on the
caller's thread); the rest is pure. Which URL an attached download replaces needs no memory: the
`.part`'s state names the URL its bytes came from until the engine's next checkpoint records the
new one, so a download whose stored URL differs from its state's was attached, also across a
service restart. `Relinks` remembers which downloads wait for a new link (`refresh`), and what
the `take` learnt of a download's file (name, size, validators) until its `.part` has a state
to say so: a link that dies between the take and the engine's next request (one that waited
its turn in the queue asks afresh) leaves nothing
else to recognise the file by (memory only: the service keeps at most `TAKEN_KEPT`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from paxel import resume, storage
from paxel.errors import HTTPStatusError, PaxelError, ServerMisbehaved
from paxel.sameness import FileFacts, Match, Sameness, same_file
from paxel.service.lifecycle import State
from paxel.service.store import Record

EXPIRED_STATUSES = frozenset({401, 403, 410})
# What an attach may continue: not running (the engine has it), not finished, not cancelled
# (its `.part` is gone, so a new download is the same work).
ATTACHABLE = frozenset({State.QUEUED, State.PAUSED, State.FAILED})
# A second click on a file paxel is downloading right now: that download is the click's answer
# (nothing changes in it; a second copy would fetch the whole file again beside it).
RUNNING_ONLY = frozenset({State.RUNNING})
TAKEN_KEPT = 1000   # takes whose facts are remembered (a few hundred bytes each)


def expired(error: PaxelError | None, done: int, taken: bool = False) -> bool:
    """The link expired: it worked (bytes arrived, or it answered the take with a success:
    `taken`) and the URL now refuses (401/403/410)."""
    return isinstance(error, HTTPStatusError) and error.status in EXPIRED_STATUSES and (done > 0 or taken)



def unlike_take(size: int, taken: FileFacts | None) -> PaxelError | None:
    """Why a finished download is not the file its `take` saw, or None. The take judged only its
    own first request; the engine's are new ones, which a server may answer with something else
    (a bot check, a quota page, an error body with status 200). The browser let go at `taken`,
    so what paxel keeps must be what it saw: of another size, it is not the file."""
    if taken is None or taken.size is None or size == taken.size:
        return None
    return ServerMisbehaved(f"the server answered paxel {size} bytes where the browser got {taken.size}: "
                            "not the file the browser saw")

@dataclass(frozen=True)
class Known:
    """What paxel knows of one download's file, and the URL its `.part`'s state was written for."""

    facts: FileFacts
    state_url: str | None   # None: no state file (no bytes recorded yet)


def facts_of(record: Record, taken: FileFacts | None = None) -> Known:
    """The file a download is of: its name, and size and validators from the `.part`'s state
    file when there is one; else what its `take` learnt (`taken`), else the stored size."""
    name = record.filename or (Path(record.path).name if record.path else None)
    if record.path:
        try:
            state = resume.decode(storage.read_state(resume.state_path(Path(record.path))))
        except (OSError, ValueError, PaxelError):
            state = None   # none yet, or unreadable: the engine will judge the .part itself
        if state is not None:
            return Known(FileFacts(name, state.size, state.etag, state.last_modified), state.url)
    if taken is not None:
        return Known(FileFacts(name or taken.name, taken.size, taken.etag, taken.last_modified), None)
    return Known(FileFacts(name, record.total), None)


def replaced_url(record: Record) -> str | None:
    """The earlier URL whose `.part` this download continues (the engine's `replaces_url`): the
    state's URL when it is not the download's own, else None."""
    state_url = facts_of(record).state_url
    return state_url if state_url is not None and state_url != record.url else None


@dataclass(frozen=True)
class Candidate:
    record: Record
    match: Match
    replaces_url: str


def origin(url: str | None) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a URL, the default port spelled out; None for none or junk."""
    try:
        split = urlsplit(url or "")
        port = split.port or {"http": 80, "https": 443}.get(split.scheme.lower())
    except ValueError:
        return None
    if not split.hostname:
        return None
    return split.scheme.lower(), split.hostname.rstrip("."), port


def same_server(url: str, record: Record, known: Known, *, same_path: bool = False) -> bool:
    """`url` is on a server this download's bytes or links already came from (and, `same_path`,
    at the same path: only the query may differ, as a signed link's does). Validators vouch for
    a file only on its own server (RFC 9110 §8.8: they tell representations of one resource
    apart): a page on another site can copy a public ETag or Last-Modified with the name and
    size, and its bytes would continue the user's `.part`."""
    new = origin(url)
    olds = [u for u in (known.state_url, record.url, record.final_url) if u]
    if new is None or new not in {origin(u) for u in olds}:
        return False
    return not same_path or urlsplit(url).path in {urlsplit(u).path for u in olds}


def best(new: FileFacts, records: Iterable[tuple[Record, Known]],
         waiting: frozenset[str], *, url: str, answered_from: str | None = None,
         states: frozenset[State] = ATTACHABLE) -> Candidate | None:
    """The unfinished download `new` (an answer to `url`, from `answered_from` after redirects)
    is the file of: the strongest match (paxel.sameness), then one waiting for a new link, then
    the newest; None when there is none.

    Always from the same server (`same_server`), both the URL clicked and the one that answered:
    an open redirect on the site must not bring another site's validators. One that waits for a
    new link (the user asked for it, and clicks on the page it opened) needs a LIKELY match. Any
    other, a second click nobody asked to attach, needs the same path and a VALIDATED match:
    without a validator the engine cannot continue the `.part` anyway, so attaching would only
    replace an unfinished download by another file of the same name and size (two exports of a
    web app); and one server's ETag can be no more than mtime and size (nginx), shared by files
    in two folders. `states`: which downloads may be it (RUNNING_ONLY: the one a second click
    finds downloading already)."""
    found: list[tuple[tuple[int, bool, float], Candidate]] = []
    for record, known in records:
        if record.state not in states or record.media is not None:  # a stream is no file's
            continue
        waits = record.id in waiting
        if not same_server(url, record, known, same_path=not waits):
            continue
        if answered_from is not None and not same_server(answered_from, record, known):
            continue
        match = same_file(new, known.facts)
        if match.sameness >= (Sameness.LIKELY if waits else Sameness.VALIDATED):
            key = (int(match.sameness), waits, record.created_at)
            found.append((key, Candidate(record, match, known.state_url or record.url)))
    return max(found, key=lambda kc: kc[0])[1] if found else None


class Relinks:
    """Which downloads wait for a new link (`refresh`): a hint for `best`; and what each `take`
    learnt of its file. Memory only, thread-safe."""

    def __init__(self, kept: int = TAKEN_KEPT) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, float] = {}
        self._taken: dict[str, FileFacts] = {}
        self._kept = kept

    def note_taken(self, download_id: str, facts: FileFacts) -> None:
        """The take's answer for this download was a success with these facts."""
        with self._lock:
            self._taken.pop(download_id, None)
            self._taken[download_id] = facts
            while len(self._taken) > self._kept:
                del self._taken[next(iter(self._taken))]

    def taken(self, download_id: str) -> FileFacts | None:
        with self._lock:
            return self._taken.get(download_id)

    def wait(self, download_id: str) -> None:
        with self._lock:
            self._waiting[download_id] = time.time()

    def waiting(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._waiting)

    def forget(self, download_id: str) -> None:
        """It got a new link, or it is gone."""
        with self._lock:
            self._waiting.pop(download_id, None)

    def drop(self, download_id: str) -> None:
        """It is gone: forget everything about it."""
        with self._lock:
            self._waiting.pop(download_id, None)
            self._taken.pop(download_id, None)


__all__ = ["ATTACHABLE", "EXPIRED_STATUSES", "RUNNING_ONLY", "TAKEN_KEPT", "Candidate", "Known", "Relinks",
           "best", "expired", "facts_of", "replaced_url", "unlike_take"]
