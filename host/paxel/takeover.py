"""Whether paxel's first answer is plausibly what the browser got (pure: facts in, verdict out).

The browser gives up its own download only once paxel has *taken* it. paxel takes it when its
first request was answered with what the browser saw: a success status, not an HTML page where
the browser got a file, the same size when both know it (else the same content type, so a
`200 application/json {"error": ..}` is not saved as `export.csv`), a name that agrees. Anything else is
*declined* with a reason, and the browser keeps its download. A wrong "taken" loses or spoils
the user's click (a login page saved under the file's name, a 410 after the browser used a
one-time token); a wrong "declined" only leaves the download where it already was. So every
doubt declines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paxel import deadlines
from paxel.filenames import safe_filename

# Seconds the service may spend on a take: the extension's own deadline (TAKE_DEADLINE_MS). A
# later `taken` would reach an extension that already gave the download back to the browser (and
# after 20 s forgot the request), so paxel would download the file beside the browser's copy.
TAKE_LIMIT = deadlines.seconds("TAKE_LIMIT", 10.0)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_EXTENSIONS = frozenset({"html", "htm", "xhtml", "shtml"})
# Types that say nothing of the file: a server's catch-all, and what Chromium reports after
# sniffing a binary body served as text/plain. Never compared.
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "application/unknown",
                           "unknown/unknown", "application/force-download", "application/x-download",
                           "application/download"})


class Declined(StrEnum):
    """Why paxel leaves a download to the browser (the wire's `declined` `reason`)."""

    STATUS = "status"      # not a success status (405 for a replayed POST, 410 for a used token…)
    HTML = "html"          # an HTML page where the browser got a file (a login page)
    SIZE = "size"          # a different size than the browser saw
    SMALL = "small"        # below the user's minimum size (the browser did not know the size)
    TYPE = "type"          # another content type than the browser's, where no size could tell
    NAME = "name"          # a name of another type than the browser's
    FAILED = "failed"      # the request itself failed (network, refused, bad reply)
    TIMEOUT = "timeout"    # over TAKE_LIMIT: the extension gave up waiting (Chromium holds ≤15 s)


@dataclass(frozen=True)
class Seen:
    """What the browser saw of its answer (any of it may be unknown)."""

    size: int | None = None
    content_type: str | None = None
    filename: str | None = None
    min_size: int | None = None   # the user's minimum for paxel, when the browser knew no size


@dataclass(frozen=True)
class Answer:
    """paxel's first answer: status, size (Content-Range total or Content-Length), type, and the
    name the server gave in Content-Disposition (None when it gave none)."""

    status: int
    size: int | None
    content_type: str | None
    filename: str | None


@dataclass(frozen=True)
class Verdict:
    taken: bool
    reason: Declined | None = None
    message: str = ""


TAKEN = Verdict(True)


def media_type(value: str | None) -> str | None:
    """`text/HTML; charset=x` -> `text/html`; None for nothing usable."""
    if not value:
        return None
    kind = value.split(";", 1)[0].strip().lower()
    return kind or None


def extension(name: str | None) -> str | None:
    """The lower-case extension of a (made safe) name, or None: `a.tar.gz` -> `gz`."""
    if not name:
        return None
    base = safe_filename(name, fallback="")
    stem, dot, ext = base.rpartition(".")
    return ext.lower() if dot and stem and ext else None


def _browser_saw_html(seen: Seen) -> bool:
    return media_type(seen.content_type) in HTML_TYPES or extension(seen.filename) in HTML_EXTENSIONS


def judge(seen: Seen, answer: Answer) -> Verdict:
    """Take, or decline with the first reason that applies (in the order the user reads them)."""
    if answer.status not in (200, 206):
        return Verdict(False, Declined.STATUS, f"the server answered paxel {answer.status}")
    if media_type(answer.content_type) in HTML_TYPES and not _browser_saw_html(seen):
        what = media_type(seen.content_type) or "a file"
        return Verdict(False, Declined.HTML,
                       f"the server answered paxel an HTML page where the browser got {what}")
    if seen.size is not None and answer.size is not None and seen.size != answer.size:
        return Verdict(False, Declined.SIZE,
                       f"the server answered paxel {answer.size} bytes where the browser saw {seen.size}")
    if seen.min_size is not None and answer.size is not None and answer.size < seen.min_size:
        return Verdict(False, Declined.SMALL,
                       f"{answer.size} bytes is below the minimum size of {seen.min_size} for paxel")
    if seen.size is None or answer.size is None:  # then only the type tells an error body apart
        wanted, got = media_type(seen.content_type), media_type(answer.content_type)
        if wanted and got and wanted != got and not {wanted, got} & GENERIC_TYPES:
            return Verdict(False, Declined.TYPE,
                           f"the server answered paxel {got} where the browser got {wanted}")
    theirs, ours = extension(seen.filename), extension(answer.filename)
    if theirs and ours and theirs != ours:
        return Verdict(False, Declined.NAME,
                       f"the server named it {safe_filename(answer.filename)} where the browser saw "
                       f"{safe_filename(seen.filename)}")
    return TAKEN
