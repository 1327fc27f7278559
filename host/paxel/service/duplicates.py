"""Duplicates: is a new download a file paxel already has, or does its name exist? Pure.

"The same file" is paxel.sameness's one rule (name, size, validators; never the URL). What is
known of a download paxel has is its stored name and size (validators live in a `.part`'s state
file only while it is unfinished; the take path continues those through paxel.service.relink
first). So a duplicate is found with at least `Sameness.LIKELY`: name and size agree and no
validator disagrees. A size unknown on either side never matches: then only the name can be
taken, which `rename` (the engine's unique name) always handles.

The setting `duplicates` (docs/settings.md) then decides: `rename` adds it anyway; `skip` adds
nothing when paxel has the same file; `resume` continues an unfinished one instead; `ask` adds
it held with a `duplicate` detail until a user answers (`duplicate_answer`).
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
        match = same_file(new, FileFacts(record.filename, record.total))
        if match.sameness < Sameness.LIKELY:
            continue
        unfinished = record.state in UNFINISHED
        key = (int(match.sameness), unfinished, record.created_at)
        if best is None or key > best[0]:
            best = (key, Found("unfinished" if unfinished else "done", record.id, record.path, match.why))
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
    if policy == "skip":
        return "skip" if found.of is not None else "add"  # an unknown file of its name: a new name
    return "continue" if found.kind == "unfinished" else "add"  # resume


__all__ = ["Decision", "Found", "decide", "find"]
