"""What a stream offers, without downloading it: the `media_probe` request's answer.

`summary(stream)` is pure (a resolved Stream in, the wire's dict out). Resolving the stream
itself (one or two small requests with the browser's headers) is
`MediaJob.resolve()` (paxel.media.stream).
"""

from __future__ import annotations

from typing import Any

from paxel.media.model import Variant
from paxel.media.stream import Stream


def _duration(variant: Variant, stream: Stream) -> float | None:
    tracks = variant.tracks or (stream.tracks if variant is stream.chosen else ())
    return max((t.duration for t in tracks), default=None) or None


def summary(stream: Stream) -> dict[str, Any]:
    """The `media_probe` result (docs/protocol.md): the qualities best first, each with an
    estimated size (bandwidth × duration; null when the playlist gives no bandwidth), the
    stream's duration (null while live: it grows) and which quality a download would pick."""
    live = any(t.live for t in stream.tracks)
    duration = None if live else _duration(stream.chosen, stream)
    ordered = sorted(stream.variants, key=lambda v: (v.bandwidth, v.height or 0), reverse=True)
    variants = []
    for v in ordered:
        seconds = None if live else _duration(v, stream) or duration
        size = (round(v.bandwidth * seconds / 8) or None) if v.bandwidth and seconds else None
        variants.append({"height": v.height, "width": v.width, "bandwidth": v.bandwidth or None,
                         "codecs": v.codecs, "size": size})
    return {"kind": stream.kind, "live": live, "duration": duration, "variants": variants,
            "chosen": ordered.index(stream.chosen)}


__all__ = ["summary"]
