"""What a stream is, once its playlist or manifest is read: tracks of segments (plain frozen
dataclasses, no I/O). HLS and DASH both end up here, so the plan, the fetch and the mux never
look at a playlist format again.

    Stream ── variants (one per quality; HLS master entries, DASH video representations)
    Track  ── segments in play order, an optional init section per segment (fMP4), a kind
    Segment ── url, optional byte range, optional AES-128 key, discontinuity group
"""

from __future__ import annotations

from dataclasses import dataclass

from paxel.errors import PaxelError, ServerMisbehaved

ByteRange = tuple[int, int]      # first, last byte (inclusive), as in an HTTP Range header
# A playlist or manifest promising more segments (all representations together) is refused
# rather than expanded in memory: 200 000 is 111 hours of 2-s segments, and ~300 MB of objects.
MAX_SEGMENTS = 200_000
MAX_NUMBER = 2**64 - 1   # a segment number (HLS media sequence, DASH startNumber): names, IVs


class DrmProtected(PaxelError):
    """The stream is encrypted with a DRM system (Widevine, PlayReady, FairPlay, CENC): paxel
    cannot decrypt it and refuses rather than saving garbage."""

    code = ServerMisbehaved.code


class NotMedia(ServerMisbehaved):
    """A segment answered with something that is not media (an error page or text with status
    200, random bytes, MPEG-TS cut inside a packet): never muxed. A VOD stream fails on it; a
    live recording skips it with a note, as a segment gone from the window."""


class MediaUnsupported(PaxelError):
    """A playlist paxel understands but cannot turn into a file (unknown encryption method,
    a container that needs ffmpeg when there is none)."""

    code = ServerMisbehaved.code


@dataclass(frozen=True)
class Key:
    """AES-128 (CBC, PKCS#7) for a segment: the key's URL and the IV (None = from the segment's
    media sequence number, RFC 8216 §5.2)."""

    url: str
    iv: bytes | None


@dataclass(frozen=True)
class Init:
    """An EXT-X-MAP / DASH Initialization: the bytes (ftyp+moov) that precede media segments."""

    url: str
    byte_range: ByteRange | None = None
    key: Key | None = None              # HLS: an EXT-X-MAP under an AES-128 key is encrypted too


@dataclass(frozen=True)
class Segment:
    url: str
    duration: float
    sequence: int                       # media sequence number (IV source, live de-duplication)
    byte_range: ByteRange | None = None
    key: Key | None = None
    init: Init | None = None
    discontinuity: int = 0              # segments with the same number play as one run


@dataclass(frozen=True)
class Track:
    """One media playlist / representation: what is fetched, in order."""

    kind: str                           # "muxed" (HLS audio+video), "video" or "audio"
    segments: tuple[Segment, ...]
    live: bool = False                  # no EXT-X-ENDLIST yet: poll the playlist for more
    target_duration: float = 6.0
    url: str = ""                       # where the playlist came from (re-read when live)

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    @property
    def fmp4(self) -> bool:
        return any(s.init is not None for s in self.segments)


@dataclass(frozen=True)
class Variant:
    """One quality a master playlist / manifest offers. `url` is its media playlist (HLS) or
    empty when the tracks are already known (DASH: `tracks`)."""

    bandwidth: int
    width: int | None = None
    height: int | None = None
    codecs: str | None = None
    url: str = ""
    audio_url: str | None = None        # HLS EXT-X-MEDIA audio rendition played with it
    tracks: tuple[Track, ...] = ()      # DASH: video (+ the best audio)


def invalid(what: str) -> ServerMisbehaved:
    return ServerMisbehaved(f"not a usable playlist: {what}")
