"""Recording a live HLS playlist: fetch what it lists, re-read it every half target duration,
fetch what is new, until one of
- EXT-X-ENDLIST (the stream ended) or the user's stop;
- STALL_TARGETS target durations without a new segment (PAXEL_LIVE_STALL_S: paxel.deadlines):
  the encoder died (a server must add a segment about once per target duration; ffmpeg and
  players give up on a stalled playlist too);
- a media sequence that went back: the origin restarted, and its numbers now name other
  segments (pieces are named by sequence, so they would clash with those recorded).
A segment that answers 404/410 slid out of the window before it was fetched (a slow moment, a
dropped segment), and one answered with no media (NotMedia: a CDN's error text with status 200):
a recording is what could be recorded, so it is skipped with a note (in a VOD stream both stay
errors: everything it lists is there to fetch).
The job's own I/O comes in as callables; the loop is here so the job stays one concept.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from paxel import deadlines
from paxel.errors import HTTPStatusError
from paxel.media.model import NotMedia, Segment, Track
from paxel.media.plan import Done, Plan, make_plan

STALL_TARGETS = 8       # target durations a live playlist may go without a new segment
_PIECE = re.compile(r"t(\d+)-(\d+)\.seg")   # plan.py's segment piece names: track, sequence
GONE = (404, 410)       # a live segment answered so slid out of the window (or was dropped)


def record(tracks: list[Track], fetch: Callable[[Plan], None], stop: threading.Event,
           reread: Callable[[Track], Track]) -> tuple[Plan, str | None]:
    """The plan of everything recorded, and why the recording ended by itself (None: ENDLIST or
    `stop`). `fetch` fetches a plan's missing pieces; `reread` reads a track's playlist again."""
    grew = time.monotonic()
    gone: list[str] = []       # segments the server no longer had (404/410): skipped
    while True:
        plan = make_plan(tracks)
        try:
            fetch(plan)
        except (HTTPStatusError, NotMedia) as exc:
            skip = isinstance(exc, NotMedia) or (isinstance(exc, HTTPStatusError) and exc.status in GONE)
            if not skip or exc.unit_url is None or exc.unit_url in gone or stop.is_set():
                raise
            gone.append(exc.unit_url)
            tracks = [replace(t, segments=tuple(s for s in t.segments if s.url not in gone)) for t in tracks]
            continue
        target = min(t.target_duration for t in tracks)
        if stop.is_set() or not any(t.live for t in tracks):
            return plan, _skipped(gone)
        stall = deadlines.seconds("LIVE_STALL", STALL_TARGETS * target)   # (a test's: shorter)
        if time.monotonic() - grew >= stall:
            return plan, _also(f"the live playlist listed no new segment for {stall:g} s: "
                               "the recording ends with what it has", gone)
        if stop.wait(max(0.5, target / 2)):
            return plan, _skipped(gone)
        fresh = [reread(t) for t in tracks]
        if any(went_back(old, new) for old, new in zip(tracks, fresh, strict=True)):
            return plan, _also("the live playlist's media sequence went back (the server restarted?): "
                               "the recording ends with what it has", gone)
        fresh = [replace(t, segments=tuple(s for s in t.segments if s.url not in gone)) for t in fresh]
        merged = [merge(old, new) for old, new in zip(tracks, fresh, strict=True)]
        if any(len(m.segments) > len(t.segments) for m, t in zip(merged, tracks, strict=True)):
            grew = time.monotonic()
        tracks = merged


def resumed(tracks: list[Track], done: Mapping[str, Done]) -> list[Track]:
    """The tracks with the segments an earlier run of this recording kept (its resume state) put
    back in front: a live window slides, so after a kill they are no longer listed, and pieces
    the plan does not list are deleted as strangers. Their pieces are on disk already decrypted;
    a gap in the sequence between them and the window is a discontinuity (timestamps jump)."""
    out = []
    for t, track in enumerate(tracks):
        first = track.segments[0].sequence if track.segments else None
        kept = sorted((int(m.group(2)), d) for name, d in done.items()
                      if (m := _PIECE.fullmatch(name)) and int(m.group(1)) == t)
        earlier = [(seq, d) for seq, d in kept if first is None or seq < first]
        if not earlier:
            out.append(track)
            continue
        gap = first is not None and earlier[-1][0] + 1 != first
        init = track.segments[0].init if track.segments else None
        back = tuple(Segment(d.url, track.target_duration, seq, d.byte_range, None, init, -1 if gap else 0)
                     for seq, d in earlier)
        out.append(replace(track, segments=back + track.segments))
    return out


def _skipped(gone: list[str]) -> str | None:
    if not gone:
        return None
    return (f"skipped {len(gone)} segment(s) the server no longer had or sent no media for (a gap "
            "in the recording): "
            f"{', '.join(gone[:3])}{' …' if len(gone) > 3 else ''}")


def _also(note: str, gone: list[str]) -> str:
    skipped = _skipped(gone)
    return f"{note}; {skipped}" if skipped else note


def went_back(old: Track, new: Track) -> bool:
    """`new` ends before what `old` had (a sliding window that merely did not move is not)."""
    return bool(old.segments and new.segments and new.segments[-1].sequence < old.segments[-1].sequence)


def merge(old: Track, new: Track) -> Track:
    """The segments of `old` plus those of `new` past its last media sequence number."""
    last = old.segments[-1].sequence if old.segments else -1
    added = tuple(s for s in new.segments if s.sequence > last)
    return replace(new, segments=old.segments + added)
