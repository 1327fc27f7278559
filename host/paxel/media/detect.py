"""Is a URL (or a downloaded body) an HLS playlist or a DASH manifest? Pure, except
`is_playlist_file`, which reads the first bytes of a file a plain download produced."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

HLS_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl",
                       "audio/x-mpegurl"})
DASH_TYPES = frozenset({"application/dash+xml"})
SNIFF_LIMIT = 4 << 20     # a playlist bigger than this is not sniffed (and not read into memory)


def kind_from_url(url: str) -> str | None:
    """'hls' / 'dash' by the URL path's extension, else None."""
    path = urlsplit(url).path.lower()
    if path.endswith((".m3u8", ".m3u")):
        return "hls"
    if path.endswith(".mpd"):
        return "dash"
    return None


def kind_from_type(content_type: str | None) -> str | None:
    mime = (content_type or "").partition(";")[0].strip().lower()
    return "hls" if mime in HLS_TYPES else "dash" if mime in DASH_TYPES else None


def kind_from_body(head: bytes) -> str | None:
    """By the first bytes: `#EXTM3U` opens every HLS playlist, `<MPD` is DASH's root element."""
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"#EXTM3U"):
        return "hls"
    if text.startswith(b"<") and b"<MPD" in text:
        return "dash"
    return None


def is_playlist_file(path: Path, size: int) -> bool:
    """A small downloaded file that is an HLS playlist or a DASH manifest by its first bytes
    (how a URL without `.m3u8`/`.mpd` turns out to be a stream after a plain download)."""
    if size > SNIFF_LIMIT:
        return False
    try:
        with path.open("rb") as f:
            return kind_from_body(f.read(4096)) is not None
    except OSError:
        return False


def is_web_page(head: bytes) -> bool:
    """A fetched segment that is a web page or an API error (HTML, XML, JSON) and not media: CDNs
    answer an expired or refused segment so, with status 200. No media container starts that
    way: MPEG-TS with its 0x47 sync byte, an MP4 box with its size (a first byte of '<' or '{'
    would be a box of 1 GB or more), ADTS with 0xFF, ID3 with 'ID3', WebVTT with 'WEBVTT'."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] in (b"<", b"{")
