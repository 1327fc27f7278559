"""HLS playlists (RFC 8216) → `model` values, parsed by the `m3u8` library; what is ours is the
meaning: byte ranges that continue the previous one, the key and IV per segment, init sections,
discontinuity runs, and the refusal of DRM. Pure: text and its URL in, values out.
"""

from __future__ import annotations

from typing import Any

import m3u8

from paxel.media.model import (
    MAX_NUMBER,
    MAX_SEGMENTS,
    ByteRange,
    DrmProtected,
    Init,
    Key,
    MediaUnsupported,
    Segment,
    Track,
    Variant,
    invalid,
)

# KEYFORMAT values that name a DRM system (anything but "identity" is treated as one)
IDENTITY = "identity"


def is_master(text: str) -> bool:
    return "#EXT-X-STREAM-INF" in text


def _load(text: str, url: str) -> Any:
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise invalid("an HLS playlist starts with #EXTM3U")
    if text.count("#EXTINF") > MAX_SEGMENTS:   # counted before the library builds an object for each
        raise invalid(f"more than {MAX_SEGMENTS} segments")
    try:
        return m3u8.loads(text, uri=url)
    except Exception as exc:  # the library raises bare ValueError/IndexError on odd input
        raise invalid(f"HLS playlist does not parse ({exc})") from None


def parse_master(text: str, url: str) -> list[Variant]:
    """The variants of a master playlist, each with its audio rendition (EXT-X-MEDIA TYPE=AUDIO,
    the DEFAULT one of its group, else the first with a URI)."""
    pl = _load(text, url)
    audio: dict[str, str] = {}
    for media in pl.media:
        if media.type == "AUDIO" and media.uri and (media.group_id not in audio or media.default == "YES"):
            audio[media.group_id] = media.absolute_uri
    variants = []
    for p in pl.playlists:
        info = p.stream_info
        width, height = info.resolution if info.resolution else (None, None)
        variants.append(Variant(bandwidth=int(info.bandwidth or info.average_bandwidth or 0),
                                width=width, height=height, codecs=info.codecs, url=p.absolute_uri,
                                audio_url=audio.get(info.audio) if info.audio else None))
    if not variants:
        raise invalid("a master playlist with no variants")
    return variants


def _range(spec: str | None, previous_end: dict[str, int], url: str) -> ByteRange | None:
    """EXT-X-BYTERANGE `length[@offset]`; without an offset it starts where the previous range
    of the same resource ended (RFC 8216 §4.3.2.2)."""
    if not spec:
        return None
    length_text, _, offset_text = spec.partition("@")
    try:
        length = int(length_text)
        offset = int(offset_text) if offset_text else previous_end.get(url)
    except ValueError:
        raise invalid(f"EXT-X-BYTERANGE {spec!r}") from None
    if offset is None or length <= 0 or offset < 0:
        raise invalid(f"EXT-X-BYTERANGE {spec!r} without a previous range to continue")
    previous_end[url] = offset + length
    return offset, offset + length - 1


def _iv(text: str | None) -> bytes | None:
    if not text:
        return None
    digits = text[2:] if text[:2].lower() == "0x" else text
    try:
        iv = bytes.fromhex(digits.rjust(32, "0"))
    except ValueError:
        raise invalid(f"IV {text!r}") from None
    if len(iv) != 16:
        raise invalid(f"IV {text!r} is not 128 bits")
    return iv


def _key(key: Any) -> Key | None:
    if key is None or key.method in (None, "NONE"):
        return None
    keyformat = (key.keyformat or IDENTITY).lower()
    if key.method in ("SAMPLE-AES", "SAMPLE-AES-CTR", "SAMPLE-AES-CENC") or keyformat != IDENTITY:
        # identity SAMPLE-AES: ffmpeg 5.1's hls demuxer leaves the stream's last frames encrypted
        # (tests/integration/test_media_sample_aes.py); a DRM key format cannot be decrypted at all
        raise DrmProtected(f"the stream is protected with {key.method}"
                           f"{'' if keyformat == IDENTITY else f' ({key.keyformat})'}: "
                           "paxel does not download DRM-protected media")
    if key.method != "AES-128":
        raise MediaUnsupported(f"unknown HLS encryption method {key.method}")
    if not key.uri:
        raise invalid("an AES-128 key without a URI")
    return Key(key.absolute_uri, _iv(key.iv))


def _maps_under_key(text: str) -> list[bool]:
    """For each EXT-X-MAP that segments use, in order: is it under an AES-128/other key (the
    EXT-X-KEY in effect where the MAP tag stands; RFC 8216 §4.3.2.5)? The m3u8 library keeps
    no such link, so the tags are read in order here. A MAP under one key whose segments start
    under another is refused (no packager writes that; guessing would decrypt with the wrong key)."""
    out: list[bool] = []
    key_on = False
    last_map = None
    pending: tuple[str, bool, bool] | None = None     # (MAP tag, under a key there, a KEY tag since)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-KEY:"):
            key_on = "METHOD=NONE" not in line.upper()
            if pending is not None:
                pending = (pending[0], pending[1], True)
        elif line.startswith("#EXT-X-MAP:"):
            pending = (line, key_on, False)
        elif line and not line.startswith("#") and pending is not None:
            tag, under, changed = pending
            if under and changed:
                raise invalid("an EXT-X-MAP under one key whose segments come under another")
            if tag != last_map:      # the same MAP again is the same init section (as parse_media counts)
                out.append(under)
                last_map = tag
            pending = None
    return out


def parse_media(text: str, url: str, kind: str = "muxed") -> Track:
    """A media playlist's segments in order."""
    pl = _load(text, url)
    if pl.is_variant:
        raise invalid("expected a media playlist, got a master playlist")
    for key in pl.keys:           # refuse DRM even on a playlist whose first segments are clear
        _key(key)
    ends: dict[str, int] = {}
    segments = []
    group = 0
    sequence = int(pl.media_sequence or 0)
    if not 0 <= sequence <= MAX_NUMBER - len(pl.segments):   # a decimal-integer (RFC 8216 §4.2)
        raise invalid(f"EXT-X-MEDIA-SEQUENCE {sequence} is not a number from 0 to 2^64-1")
    under_key = _maps_under_key(text)
    last_map: Any = None
    n_map = -1
    for i, seg in enumerate(pl.segments):
        if seg.discontinuity and i > 0:
            group += 1
        init = None
        if seg.init_section is not None:
            this_map = (seg.init_section.uri, seg.init_section.byterange)
            if this_map != last_map:
                last_map, n_map = this_map, n_map + 1
            init_url = seg.init_section.absolute_uri
            init_key = _key(seg.key) if n_map < len(under_key) and under_key[n_map] else None
            if init_key is not None and init_key.iv is None:
                raise invalid("an encrypted EXT-X-MAP without the IV its EXT-X-KEY must give")
            init = Init(init_url, _range(seg.init_section.byterange, {}, init_url), init_key)
        seg_url = seg.absolute_uri
        segments.append(Segment(url=seg_url, duration=float(seg.duration or 0.0), sequence=sequence + i,
                                byte_range=_range(seg.byterange, ends, seg_url), key=_key(seg.key),
                                init=init, discontinuity=group))
    return Track(kind=kind, segments=tuple(segments), live=not pl.is_endlist and pl.playlist_type != "vod",
                 target_duration=float(pl.target_duration or 6), url=url)
