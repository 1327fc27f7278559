"""DASH manifests (ISO/IEC 23009-1) → `model` values. The XML is parsed by `mpegdash`; the
segment addressing is ours (the library gives the elements, not the segment URLs):

- SegmentTemplate with `$Number$` (from startNumber, count from the period duration) or with a
  SegmentTimeline (`$Time$` and/or `$Number$`; `r` repeats, `r=-1` up to the period's end);
  identifiers `$RepresentationID$`, `$Bandwidth$`, `$$` and printf widths (`$Number%05d$`);
- SegmentList (SegmentURL media/mediaRange, Initialization sourceURL/range);
- SegmentBase (one file; the whole BaseURL is one segment);
- BaseURL resolved MPD → Period → AdaptationSet → Representation; templates inherited from the
  AdaptationSet. ContentProtection anywhere → DrmProtected. One Period only: a manifest of several
  is refused (MediaUnsupported), not cut to its first.
Pure: text and URL in, values out.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urljoin

from mpegdash.parser import MPEGDASHParser

from paxel.media.model import (
    MAX_NUMBER,
    MAX_SEGMENTS,
    ByteRange,
    DrmProtected,
    Init,
    MediaUnsupported,
    Segment,
    Track,
    Variant,
    invalid,
)

_IDENT = re.compile(r"\$(RepresentationID|Number|Bandwidth|Time|)(%0(\d{1,2})d)?\$")  # width < 100
_NUM = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"^P(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$")


def parse_duration(text: str | None) -> float | None:
    """xs:duration as used by DASH (days, hours, minutes, seconds) in seconds."""
    if not text:
        return None
    m = _DURATION.match(text.strip())
    if m is None:
        raise invalid(f"duration {text!r}")
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def expand(template: str, rep_id: str, bandwidth: int,
           number: int | None = None, time: int | None = None) -> str:
    """Fill a SegmentTemplate's identifiers (`$$` is a literal `$`)."""
    def one(m: re.Match[str]) -> str:
        name, width = m.group(1), m.group(3)
        if name == "":
            return "$"
        values: dict[str, object] = {"RepresentationID": rep_id, "Bandwidth": bandwidth, "Number": number,
                                     "Time": time}
        value = values[name]
        if value is None:
            raise invalid(f"template {template!r} uses ${name}$ where it has no value")
        return str(value).rjust(int(width), "0") if width and name != "RepresentationID" else str(value)
    return _IDENT.sub(one, template)


def _range(text: str | None) -> ByteRange | None:
    if not text:
        return None
    first, sep, last = text.partition("-")
    try:
        a, b = int(first), int(last)
    except ValueError:
        raise invalid(f"byte range {text!r}") from None
    if not sep or a < 0 or b < a:
        raise invalid(f"byte range {text!r}")
    return a, b


def _base(url: str, node: Any) -> str:
    urls = getattr(node, "base_urls", None)
    return urljoin(url, urls[0].base_url_value.strip()) if urls and urls[0].base_url_value else url


def _first(*nodes: Any) -> Any:
    return next((n[0] for n in nodes if n), None)


def _attr(name: str, *nodes: Any) -> Any:
    """An attribute of the innermost element that has it (Representation over AdaptationSet)."""
    return next((getattr(n, name) for n in nodes
                 if n is not None and getattr(n, name, None) is not None), None)


def _start(number: int | None) -> int:
    """startNumber (default 1), an unsigned number: segment numbers name the pieces on disk."""
    start = 1 if number is None else number
    if not 0 <= start <= MAX_NUMBER - MAX_SEGMENTS:
        raise invalid(f"startNumber {start} is not a number from 0 to 2^64-1")
    return start


def _timeline(timeline: Any, start_number: int, period_units: int | None) -> list[tuple[int, int, int]]:
    """(number, time, duration) of each segment a SegmentTimeline lists."""
    out: list[tuple[int, int, int]] = []
    t = 0
    number = start_number
    ss = timeline.Ss or []
    for i, s in enumerate(ss):
        if s.d is None or s.d <= 0:
            raise invalid("SegmentTimeline S without a positive d")
        t = s.t if s.t is not None else t
        repeat = s.r or 0
        if repeat < 0:   # up to the next S's t, or the period's end
            end = ss[i + 1].t if i + 1 < len(ss) and ss[i + 1].t is not None else period_units
            if end is None:
                raise invalid("SegmentTimeline r=-1 with no end to repeat to")
            repeat = max(0, math.ceil((end - t) / s.d) - 1)
        for _ in range(repeat + 1):
            out.append((number, t, s.d))
            number += 1
            t += s.d
            if len(out) > MAX_SEGMENTS:
                raise invalid(f"more than {MAX_SEGMENTS} segments")
    return out


def _template_segments(tpl: Any, base: str, rep: Any, period_seconds: float | None,
                       budget: int = MAX_SEGMENTS) -> list[Segment]:
    """`budget`: the segments the manifest may still have (MAX_SEGMENTS less the representations
    before): a count past it is refused before a segment is made (ten representations of 199 999
    each took 4.6 s and hundreds of MiB to be refused after the second)."""
    timescale = tpl.timescale or 1
    start_number = _start(tpl.start_number)
    init = (Init(urljoin(base, expand(tpl.initialization, rep.id, rep.bandwidth)))
            if tpl.initialization else None)
    if not tpl.media:
        raise invalid("SegmentTemplate without media")
    if tpl.segment_timelines:
        units = round(period_seconds * timescale) if period_seconds else None
        entries = _timeline(tpl.segment_timelines[0], start_number, units)
    else:
        if not tpl.duration or period_seconds is None:
            raise invalid("SegmentTemplate with neither a SegmentTimeline nor a duration and a period length")
        count = math.ceil(period_seconds * timescale / tpl.duration - 1e-9)
        if count > MAX_SEGMENTS:
            raise invalid(f"more than {MAX_SEGMENTS} segments")
        if count > budget:
            raise invalid(f"more than {MAX_SEGMENTS} segments in the manifest")
        entries = [(start_number + i, i * tpl.duration, tpl.duration) for i in range(count)]
    return [Segment(url=urljoin(base, expand(tpl.media, rep.id, rep.bandwidth, number, time)),
                    duration=d / timescale, sequence=number, init=init)
            for number, time, d in entries]


def _list_segments(sl: Any, base: str) -> list[Segment]:
    timescale = sl.timescale or 1
    init = None
    if sl.initializations:
        i = sl.initializations[0]
        init = Init(urljoin(base, i.source_url) if i.source_url else base, _range(i.range))
    start = _start(sl.start_number)
    return [Segment(url=urljoin(base, s.media) if s.media else base, duration=(sl.duration or 0) / timescale,
                    sequence=start + n, byte_range=_range(s.media_range), init=init)
            for n, s in enumerate(sl.segment_urls or [])]


def _representation_track(kind: str, base: str, period: Any, aset: Any, rep: Any,
                          period_seconds: float | None, budget: int = MAX_SEGMENTS) -> Track:
    base = _base(base, rep)
    tpl = _first(rep.segment_templates, aset.segment_templates, period.segment_templates)
    if tpl is not None:
        outer = _first(aset.segment_templates) if rep.segment_templates else None
        for name in ("media", "initialization", "timescale", "duration", "start_number", "segment_timelines"):
            if getattr(tpl, name, None) is None and outer is not None:
                setattr(tpl, name, getattr(outer, name))
        segments = _template_segments(tpl, base, rep, period_seconds, budget)
    elif (sl := _first(rep.segment_lists, aset.segment_lists, period.segment_lists)) is not None:
        segments = _list_segments(sl, base)
    else:   # SegmentBase or a bare BaseURL: the representation is one file
        segments = [Segment(url=base, duration=period_seconds or 0.0, sequence=0)]
    if not segments:
        raise invalid(f"representation {rep.id!r} has no segments")
    return Track(kind=kind, segments=tuple(segments), live=False, url=base)


def _kind(aset: Any, rep: Any) -> str:
    mime = _attr("mime_type", rep, aset) or ""
    content = getattr(aset, "content_type", None) or mime.partition("/")[0]
    return "video" if content == "video" else "audio" if content == "audio" else "other"


def parse_mpd(text: str, url: str) -> list[Variant]:
    """One Variant per video representation, each carrying its video track and the
    highest-bandwidth audio track (separate audio and video as DASH serves them)."""
    if "<MPD" not in text:
        # (mpegdash would otherwise take the text for a URL or a file name and open it)
        raise invalid("a DASH manifest has an <MPD> root element")
    try:
        mpd = MPEGDASHParser.parse(text)
    except Exception as exc:
        raise invalid(f"DASH manifest does not parse ({exc})") from None
    if (mpd.type or "static") == "dynamic":
        raise invalid("live DASH (type=dynamic) is not supported yet")
    if not mpd.periods:
        raise invalid("a DASH manifest with no Period")
    if len(mpd.periods) > 1:   # the first alone would be a shorter file, with nothing said
        raise MediaUnsupported(f"this DASH manifest has {len(mpd.periods)} periods (ads or chapters "
                               "joined); paxel downloads single-period DASH only")
    period = mpd.periods[0]
    seconds = parse_duration(period.duration) or parse_duration(mpd.media_presentation_duration)
    base = _base(_base(url, mpd), period)
    videos: list[tuple[Any, Any, Track]] = []
    audios: list[tuple[Any, Any, Track]] = []
    total = 0
    for aset in period.adaptation_sets or []:
        for rep in aset.representations or []:
            if aset.content_protections or rep.content_protections:
                raise DrmProtected("the stream is protected with DRM (DASH ContentProtection): "
                                   "paxel does not download DRM-protected media")
            kind = _kind(aset, rep)
            if kind == "other":
                continue
            track = _representation_track(kind, _base(base, aset), period, aset, rep, seconds,
                                          MAX_SEGMENTS - total)
            total += len(track.segments)
            if total > MAX_SEGMENTS:   # each representation under it, together millions
                raise invalid(f"more than {MAX_SEGMENTS} segments in the manifest")
            (videos if kind == "video" else audios).append((rep, aset, track))
    audio = max(audios, key=lambda a: a[0].bandwidth or 0)[2] if audios else None
    variants = [Variant(bandwidth=(rep.bandwidth or 0), width=_attr("width", rep, aset),
                        height=_attr("height", rep, aset),
                        codecs=rep.codecs, tracks=(track,) + ((audio,) if audio else ()))
                for rep, aset, track in videos]
    if not variants and audio is not None:   # audio-only presentation
        variants = [Variant(bandwidth=0, tracks=(audio,))]
    if not variants:
        raise invalid("a DASH manifest with no audio or video representation")
    return variants
