"""Duplicates: is a new download a file paxel already has, or does its name exist? Pure.

"The same file" is paxel.sameness's one rule (name, size, validators; never the URL). What is
known of a download paxel has is its stored name and size, and the validators (ETag,
Last-Modified) of paxel's first answer when it was a `take`. A duplicate is found with at least
`Sameness.LIKELY` (name and size agree, no validator disagrees) and is `validated` when a strong
validator agreed too. A size unknown on either side never matches: then only the name can be
taken, which `rename` (the engine's unique name) always handles.

The setting `duplicates` (docs/settings.md) then decides: `rename` adds it anyway; `ask` adds it
held with a `duplicate` detail until a user answers (`duplicate_answer`), for any match. `skip`
(add nothing) and `resume` (continue the unfinished one instead) drop the new download, so they
act only on a `validated` match, as paxel.sameness asks of a check that skips a download: two
exports of one name and size from a server without validators are two files, and a likely
match is added under a new name (nothing is lost, some bytes are fetched twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from paxel.sameness import FileFacts, Sameness, same_file
from paxel.service.lifecycle import State
from paxel.service.store import Record

Kind = Literal["done", "unfinished", "name"]
Decision = Literal["add", "skip", "continue", "ask"]
UNFINISHED = frozenset({State.QUEUED, State.RUNNING, State.PAUSED, State.FAILED})


@dataclass(frozen=True)
class Found:
    kind: Kind
    of: str | None  # the download it duplicates (None: only a file of its name is in the folder)
    path: str | None
    why: str
    validated: bool = False  # a strong validator agreed too (Sameness.VALIDATED)

    def detail(self) -> dict[str, Any]:
        """The DownloadView `duplicate` detail and the reply's `duplicate` field."""
        return asdict(self)


def find(new: FileFacts, records: Iterable[Record], name_taken: str | None = None) -> Found | None:
    """The download `new` duplicates: the strongest match, an unfinished one before a finished
    one, then the newest; else the path of a file that has its name (`name_taken`), else None."""
    best: tuple[tuple[int, bool, float], Found] | None = None
    for record in records:
        if record.state not in UNFINISHED and record.state != State.COMPLETED:
            continue
        match = same_file(new, FileFacts(record.filename, record.total, record.etag, record.last_modified))
        if match.sameness < Sameness.LIKELY:
            continue
        unfinished = record.state in UNFINISHED
        key = (int(match.sameness), unfinished, record.created_at)
        if best is None or key > best[0]:
            best = (key, Found("unfinished" if unfinished else "done", record.id, record.path, match.why,
                               match.sameness == Sameness.VALIDATED))
    if best is not None:
        return best[1]
    if name_taken is not None:
        return Found("name", None, name_taken, "a file of this name is in the folder")
    return None


def decide(found: Found | None, policy: str) -> Decision:
    """What the setting `policy` does with a duplicate (`found`)."""
    if found is None or policy == "rename":
        return "add"
    if policy == "ask":
        return "ask"
    if found.of is None or not found.validated:  # a taken name, or only likely the same: keep both
        return "add"
    if policy == "skip":
        return "skip"
    return "continue" if found.kind == "unfinished" else "add"  # resume


__all__ = ["Decision", "Found", "decide", "find"]
