"""Reading a stream's playlist or manifest into what a download needs: the variants, the one
chosen (highest bandwidth, or the best not taller than `max_height`) and its tracks, with their
media playlists read too (HLS). The fetching itself is the caller's (`fetch_text`: the job's
headers, cookies, retries and deadline), so this module only decides what to read next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paxel.errors import PaxelError
from paxel.media import hls
from paxel.media.detect import kind_from_body, kind_from_url
from paxel.media.model import Track, Variant
from paxel.media.select import choose


@dataclass(frozen=True)
class Stream:
    kind: str                        # "hls" / "dash"
    variants: tuple[Variant, ...]
    chosen: Variant
    tracks: tuple[Track, ...]


def resolve(url: str, fetch_text: Callable[[str], str], max_height: int | None) -> Stream:
    """The stream at `url`: its kind from the body first (a playlist served under any name),
    then from the URL's extension."""
    text = fetch_text(url)
    kind = kind_from_body(text.encode()[:4096]) or kind_from_url(url)
    if kind == "dash":
        from paxel.media import dash  # (mpegdash and minidom: only for a DASH stream)

        variants = dash.parse_mpd(text, url)
        chosen = choose(variants, max_height)
        return Stream("dash", tuple(variants), chosen, chosen.tracks)
    if kind != "hls":
        raise PaxelError(f"{url} is neither an HLS playlist nor a DASH manifest")
    if not hls.is_master(text):
        track = hls.parse_media(text, url)
        variant = Variant(bandwidth=0, url=url, tracks=(track,))
        return Stream("hls", (variant,), variant, (track,))
    hls_variants = hls.parse_master(text, url)
    chosen = choose(hls_variants, max_height)
    tracks = [hls.parse_media(fetch_text(chosen.url), chosen.url, "muxed")]
    if chosen.audio_url and chosen.audio_url != chosen.url:
        tracks.append(hls.parse_media(fetch_text(chosen.audio_url), chosen.audio_url, "audio"))
    return Stream("hls", tuple(hls_variants), chosen, tuple(tracks))


__all__ = ["Stream", "resolve"]
