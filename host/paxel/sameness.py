"""Whether a new answer denotes the same file as a download paxel already has (pure: no I/O).

The one matching rule for "is this the same file?": a refreshed link is attached to the
download whose link expired, a second click on a file with an unfinished copy continues that
copy, and the queues-and-rules work reuses it for duplicates. Never by URL: a signed link
(`?sig=..&exp=..`), a session token or a CDN's mirror name the same file by another URL, and one
URL may serve another file tomorrow. What is compared is what the server says of the *file*:

1. **Size**: known on both sides and equal. A size nobody knows decides nothing, so it is never
   the same (a wrong match continues someone else's bytes; a missed one costs a fresh download).
2. **Name**: equal after `normal_name` (made safe as paxel names files, Unicode NFC, case folded,
   the ` (1)`/`(1)` a browser or paxel adds to keep names unique removed). An empty name on
   either side is never the same.
3. **Validators**, when both sides have one (RFC 9110 §8.8): ETags decide when both have one
   (their opaque tags must be equal; `W/` on either side makes it only weakly equal); else
   Last-Modified dates, when both have one, must be the same instant. A validator that
   disagrees is another file whatever the name and size say.

The answer is a `Sameness`: `DIFFERENT`, `LIKELY` (name and size agree; no strong validator
confirmed it: none on one side, or a weak ETag) or `VALIDATED` (a strong ETag or Last-Modified
agreed too). Callers choose the strength they need: attaching a refreshed link accepts `LIKELY`,
because the engine checks the bytes again anyway (If-Range with the `.part`'s validator; without
one it starts that `.part` clean, docs/engine.md "Seams") so a wrong guess costs bytes, never
mixes two files. A duplicate check that would skip a download should ask for `VALIDATED`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import IntEnum

from paxel.filenames import safe_filename

# What makes a name unique in a folder: paxel's and Chromium's "name (1).ext", Firefox's
# "name(1).ext"; before the extension (any of a compound one) or at the end.
_COUNTER = re.compile(r"\s?\(\d{1,4}\)(?=\.|$)")


class Sameness(IntEnum):
    """Ordered: `match >= Sameness.LIKELY` means "at least likely"."""

    DIFFERENT = 0
    LIKELY = 1      # name and size agree; no strong validator on both sides confirmed it
    VALIDATED = 2   # name and size agree and a strong ETag or Last-Modified agreed


@dataclass(frozen=True)
class FileFacts:
    """What is known of one file: its (final or suggested) name, size and the server's
    validators as sent (`"abc"`, `W/"abc"`; an HTTP date). None: not known."""

    name: str | None
    size: int | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Match:
    sameness: Sameness
    why: str   # for logs and the extension's trace: which fact decided

    @property
    def same(self) -> bool:
        """At least LIKELY: what attaching a refreshed link asks for."""
        return self.sameness >= Sameness.LIKELY


def normal_name(name: str | None) -> str:
    """The name as compared: safe, NFC, case folded, without uniqueness counters; "" for none."""
    safe = safe_filename(name, fallback="")
    if not safe:
        return ""
    return _COUNTER.sub("", unicodedata.normalize("NFC", safe)).casefold().strip()


def _opaque(etag: str) -> tuple[str, bool]:
    """(opaque tag, weak) of an ETag; a tag without quotes (seen in the wild) is kept as is."""
    tag = etag.strip()
    weak = tag[:2] in ("W/", "w/")
    return (tag[2:] if weak else tag).strip(), weak


def _instant(date: str) -> datetime | str:
    """An HTTP date as an instant, so two spellings of one time agree; unparsable: the text."""
    try:
        return parsedate_to_datetime(date.strip())
    except (TypeError, ValueError, IndexError):
        return date.strip()


def _validators(new: FileFacts, old: FileFacts) -> Match:
    if new.etag and old.etag:
        (a, a_weak), (b, b_weak) = _opaque(new.etag), _opaque(old.etag)
        if a != b:
            return Match(Sameness.DIFFERENT, f"the ETag changed ({old.etag} -> {new.etag})")
        if a_weak or b_weak:
            return Match(Sameness.LIKELY, "name and size agree; the ETag is only weakly equal")
        return Match(Sameness.VALIDATED, "name, size and ETag agree")
    if new.last_modified and old.last_modified:
        a_at, b_at = _instant(new.last_modified), _instant(old.last_modified)
        if type(a_at) is not type(b_at) or a_at != b_at:
            return Match(Sameness.DIFFERENT,
                         f"Last-Modified changed ({old.last_modified} -> {new.last_modified})")
        return Match(Sameness.VALIDATED, "name, size and Last-Modified agree")
    return Match(Sameness.LIKELY, "name and size agree; no validator on both sides")


def same_file(new: FileFacts, old: FileFacts) -> Match:
    """Whether `new` (a server's answer now) is the file `old` (a download paxel has) is of."""
    if new.size is None or old.size is None:
        return Match(Sameness.DIFFERENT, "a size is unknown")
    if new.size != old.size:
        return Match(Sameness.DIFFERENT, f"the size differs ({old.size} -> {new.size})")
    a, b = normal_name(new.name), normal_name(old.name)
    if not a or not b:
        return Match(Sameness.DIFFERENT, "a name is unknown")
    if a != b:
        return Match(Sameness.DIFFERENT, f"the name differs ({old.name} -> {new.name})")
    return _validators(new, old)


__all__ = ["FileFacts", "Match", "Sameness", "normal_name", "same_file"]
