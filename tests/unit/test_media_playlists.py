"""HLS and DASH parsing into paxel's media values (pure): what the libraries give, what is ours
(byte ranges, keys and IVs, init sections, discontinuities, template expansion, DRM refusal)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import ServerMisbehaved
from paxel.media import dash, hls
from paxel.media.model import DrmProtected, Init, Key

BASE = "https://cdn.example/v/"

MASTER = """#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=NO,URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="main",DEFAULT=YES,URI="audio/main.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"
360/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
https://other.example/720.m3u8
"""


def test_master_variants_with_their_audio_rendition() -> None:
    v360, v720 = hls.parse_master(MASTER, BASE + "master.m3u8")
    assert (v360.bandwidth, v360.width, v360.height) == (800_000, 640, 360)
    assert v360.url == BASE + "360/index.m3u8"
    assert v360.audio_url == BASE + "audio/main.m3u8"   # the DEFAULT one of its group
    assert v720.url == "https://other.example/720.m3u8" and v720.audio_url is None
    assert hls.is_master(MASTER)


def test_media_playlist_ranges_keys_maps_discontinuities() -> None:
    text = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-MAP:URI="init.mp4",BYTERANGE="700@0"
#EXT-X-KEY:METHOD=AES-128,URI="k1"
#EXTINF:4.0,
#EXT-X-BYTERANGE:1000@700
all.mp4
#EXTINF:4.0,
#EXT-X-BYTERANGE:500
all.mp4
#EXT-X-DISCONTINUITY
#EXT-X-KEY:METHOD=AES-128,URI="k2",IV=0x1
#EXTINF:3.5,
b.m4s
#EXT-X-KEY:METHOD=NONE
#EXTINF:1,
c.m4s
#EXT-X-ENDLIST
"""
    track = hls.parse_media(text, BASE + "index.m3u8")
    a, b, c, d = track.segments
    assert (a.byte_range, b.byte_range, c.byte_range) == ((700, 1699), (1700, 2199), None)
    assert [s.sequence for s in track.segments] == [41, 42, 43, 44]
    assert a.key == Key(BASE + "k1", None)
    assert c.key == Key(BASE + "k2", (1).to_bytes(16, "big"))
    assert d.key is None
    assert a.init == Init(BASE + "init.mp4", (0, 699))
    assert [s.discontinuity for s in track.segments] == [0, 0, 1, 1]
    assert not track.live and track.duration == 12.5 and track.fmp4


def test_live_playlist_is_live() -> None:
    track = hls.parse_media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n", BASE + "x.m3u8")
    assert track.live and track.target_duration == 2


@pytest.mark.parametrize("key", [
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://k",KEYFORMAT="com.apple.streamingkeydelivery"',
    '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="data:,x",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"',
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"',                    # identity SAMPLE-AES: refused too
    '#EXT-X-KEY:METHOD=AES-128,URI="k",KEYFORMAT="com.microsoft.playready"',
])
def test_drm_is_refused(key: str) -> None:
    text = (f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nclear.ts\n{key}\n"
            "#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n")
    with pytest.raises(DrmProtected, match="DRM"):
        hls.parse_media(text, BASE + "x.m3u8")


@pytest.mark.parametrize("text", ["", "not a playlist", "#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:10\na.ts\n",
                                  "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xZZ\n#EXTINF:2,\na.ts\n"])
def test_bad_playlists_are_clear_errors(text: str) -> None:
    with pytest.raises(ServerMisbehaved):
        hls.parse_media(text, BASE + "x.m3u8")


@given(st.text(max_size=300))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(ServerMisbehaved):
        hls.parse_media("#EXTM3U\n" + text, BASE + "x.m3u8")


# ---- DASH --------------------------------------------------------------------------------

def mpd(body: str, duration: str = "PT10S", extra: str = "") -> str:
    return (f'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
            f'mediaPresentationDuration="{duration}" {extra}><Period>{body}</Period></MPD>')


def test_template_number_with_duration_and_identifiers() -> None:
    text = mpd('<AdaptationSet contentType="video"><SegmentTemplate timescale="1000" duration="4000" '
               'startNumber="5" initialization="$RepresentationID$/init.mp4" '
               'media="$RepresentationID$/$Bandwidth$-$Number%04d$.m4s?a=$$"/>'
               '<Representation id="v1" bandwidth="900" width="640" height="360"/></AdaptationSet>')
    (v,) = dash.parse_mpd(text, BASE + "m.mpd")
    (track,) = v.tracks
    assert [s.url for s in track.segments] == [f"{BASE}v1/900-{n:04}.m4s?a=$" for n in (5, 6, 7)]
    assert [s.duration for s in track.segments] == [4, 4, 4]       # ceil(10 / 4) segments
    assert track.segments[0].init == Init(BASE + "v1/init.mp4")
    assert v.height == 360 and track.kind == "video"


def test_template_time_with_timeline_repeats_and_open_repeat() -> None:
    text = mpd('<AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="64000">'
               '<BaseURL>audio/</BaseURL>'
               '<SegmentTemplate timescale="10" media="t$Time$.m4s" initialization="i.mp4">'
               '<SegmentTimeline><S t="100" d="20" r="1"/><S d="30"/><S d="25" r="-1"/></SegmentTimeline>'
               '</SegmentTemplate></Representation></AdaptationSet>', duration="PT20S")
    (v,) = dash.parse_mpd(text, BASE + "m.mpd")
    (track,) = v.tracks
    assert [s.url.rsplit("/", 1)[1] for s in track.segments][:5] == ["t100.m4s", "t120.m4s", "t140.m4s",
                                                                     "t170.m4s", "t195.m4s"]
    assert track.segments[0].url == BASE + "audio/t100.m4s"
    assert sum(s.duration for s in track.segments[:3]) == 7.0
    assert track.kind == "audio"


def test_segment_list_and_segment_base() -> None:
    text = mpd('<AdaptationSet contentType="video"><Representation id="v" bandwidth="5" height="720">'
               '<BaseURL>v.mp4</BaseURL><SegmentList timescale="1" duration="2">'
               '<Initialization range="0-99"/><SegmentURL mediaRange="100-199"/>'
               '<SegmentURL mediaRange="200-299"/>'
               '</SegmentList></Representation>'
               '<Representation id="w" bandwidth="9" height="1080"><BaseURL>w.mp4</BaseURL>'
               '<SegmentBase indexRange="800-900"/></Representation></AdaptationSet>'
               '<AdaptationSet contentType="audio">'
               '<Representation id="a1" bandwidth="1"><BaseURL>a1.mp4</BaseURL></Representation>'
               '<Representation id="a2" bandwidth="2"><BaseURL>a2.mp4</BaseURL></Representation>'
               '</AdaptationSet>')
    v, w = dash.parse_mpd(text, BASE + "m.mpd")
    video, audio = v.tracks
    assert [(s.url, s.byte_range) for s in video.segments] == [(BASE + "v.mp4", (100, 199)),
                                                                (BASE + "v.mp4", (200, 299))]
    assert video.segments[0].init == Init(BASE + "v.mp4", (0, 99))
    assert [s.url for s in w.tracks[0].segments] == [BASE + "w.mp4"]   # SegmentBase: the whole file
    assert audio.segments[0].url == BASE + "a2.mp4"                     # the best audio


def test_dash_content_protection_is_refused() -> None:
    text = mpd('<AdaptationSet contentType="video">'
               '<ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/>'
               '<Representation id="v" bandwidth="1"><BaseURL>v.mp4</BaseURL>'
               '</Representation></AdaptationSet>')
    with pytest.raises(DrmProtected):
        dash.parse_mpd(text, BASE + "m.mpd")


@pytest.mark.parametrize("text", ["", "http://evil.example/x.mpd", "/etc/passwd", "<MPD", mpd(""),
                                  mpd("", extra="") .replace('type="static"', 'type="dynamic"')])
def test_bad_manifests_are_clear_errors_and_never_opened_as_urls_or_files(text: str) -> None:
    with pytest.raises(ServerMisbehaved):
        dash.parse_mpd(text, BASE + "m.mpd")


@pytest.mark.parametrize(("text", "seconds"), [("PT8.0S", 8), ("PT1H2M3.5S", 3723.5), ("P1DT1S", 86401),
                                               ("PT0S", 0)])
def test_durations(text: str, seconds: float) -> None:
    assert dash.parse_duration(text) == seconds


def test_a_huge_segment_count_is_refused() -> None:
    text = mpd('<AdaptationSet contentType="video"><SegmentTemplate duration="1" media="$Number$"/>'
               '<Representation id="v" bandwidth="1"/></AdaptationSet>', duration="P100D")
    with pytest.raises(ServerMisbehaved, match="segments"):
        dash.parse_mpd(text, BASE + "m.mpd")


def test_a_huge_printf_width_is_not_expanded() -> None:
    text = mpd('<AdaptationSet contentType="video">'
               '<SegmentTemplate duration="5" media="s$Number%0999999999d$"/>'
               '<Representation id="v" bandwidth="1"/></AdaptationSet>')
    (v,) = dash.parse_mpd(text, BASE + "m.mpd")
    assert len(v.tracks[0].segments[0].url) < 200


@pytest.mark.parametrize("head", [b"<!DOCTYPE html><html>", b"\r\n  <html lang=en>",
                                  b"\xef\xbb\xbf<?xml version", b'{"error": "token expired"}',
                                  b"<Error><Code>AccessDenied</Code>"])
def test_error_pages_are_not_media(head: bytes) -> None:
    from paxel.media.detect import is_web_page

    assert is_web_page(head)


@given(st.sampled_from([b"\x47", b"\x00", b"\xff", b"ID3", b"WEBVTT"]), st.binary(max_size=64))
def test_media_containers_are_never_taken_for_pages(start: bytes, rest: bytes) -> None:
    """MPEG-TS sync byte, an MP4 box size, ADTS, ID3, WebVTT: whatever follows."""
    from paxel.media.detect import is_web_page

    assert not is_web_page(start + rest)


def test_many_representations_cannot_add_up_to_millions_of_segments() -> None:
    """Each representation under the limit, together 2 million segments from 800 bytes of XML
    (18 s and 600 MiB here; a hundred of them would take the service down at `media_probe`, which
    reads any manifest a page played)."""
    reps = "".join(f'<Representation id="v{i}" bandwidth="{i + 1}" height="{i + 100}"/>' for i in range(10))
    text = mpd(f'<AdaptationSet contentType="video"><SegmentTemplate duration="1" media="$Number$.m4s"/>'
               f'{reps}</AdaptationSet>', duration="PT55H")
    with pytest.raises(ServerMisbehaved, match="segments"):
        dash.parse_mpd(text, BASE + "m.mpd")


def test_an_hls_playlist_of_millions_of_segments_is_refused_before_it_is_parsed() -> None:
    """16 MiB of `#EXTINF:1,\\na\\n` (under the fetch cap) is 1.3 million segments: ~2 GB of parsed
    objects (100 000 took 151 MiB and 1.5 s here)."""
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + "#EXTINF:1,\na\n" * 300_000 + "#EXT-X-ENDLIST\n"
    with pytest.raises(ServerMisbehaved, match="segments"):
        hls.parse_media(text, BASE + "i.m3u8")


@pytest.mark.parametrize("sequence", ["-5", str(2**64), "1" + "0" * 400])
def test_a_media_sequence_out_of_range_is_refused(sequence: str) -> None:
    """RFC 8216: a decimal-integer, 0 to 2^64-1. Out of it, the IV from the sequence overflowed
    (an OverflowError, a traceback from `paxel`) and the piece names grew past 255 bytes."""
    text = (f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{sequence}\n"
            '#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n')
    with pytest.raises(ServerMisbehaved, match="MEDIA-SEQUENCE"):
        hls.parse_media(text, BASE + "i.m3u8")


@pytest.mark.parametrize("start", ["-3", str(2**64)])
def test_a_start_number_out_of_range_is_refused(start: str) -> None:
    text = mpd(f'<AdaptationSet contentType="video"><SegmentTemplate duration="5" startNumber="{start}" '
               'media="s$Number$.m4s"/><Representation id="v" bandwidth="1"/></AdaptationSet>')
    with pytest.raises(ServerMisbehaved, match="startNumber"):
        dash.parse_mpd(text, BASE + "m.mpd")


def _box(kind: bytes, payload: bytes) -> bytes:
    import struct

    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _moov(entry: bytes) -> bytes:
    stsd = _box(b"stsd", b"\0\0\0\0\0\0\0\1" + _box(entry, b"\0" * 16))
    return _box(b"trak", _box(b"mdia", _box(b"minf", _box(b"stbl", stsd))))


@pytest.mark.parametrize(("entry", "encrypted"), [(b"encv", True), (b"enca", True), (b"avc1", False),
                                                  (b"mp4a", False)])
def test_cenc_sample_entries_are_found_in_a_moov(entry: bytes, encrypted: bool) -> None:
    import io

    from paxel.media import cenc

    data = _box(b"ftyp", b"isom\0\0\0\0") + _box(b"mdat", b"encv" * 100) + _box(b"moov", _moov(entry))
    assert cenc.is_encrypted(io.BytesIO(data)) is encrypted


@given(st.binary(max_size=300))
def test_cenc_never_fails_on_arbitrary_bytes(data: bytes) -> None:
    """A segment is any bytes a server sends: the walk ends, with no exception, on all of them."""
    import io

    from paxel.media import cenc

    assert cenc.is_encrypted(io.BytesIO(data)) in (True, False)
    assert not cenc.is_encrypted(io.BytesIO(b"\x47" + data))   # MPEG-TS


def _fmp4(*head: str) -> str:
    return "\n".join(["#EXTM3U", "#EXT-X-TARGETDURATION:2", *head, "#EXTINF:2,", "a.m4s",
                      "#EXTINF:2,", "b.m4s", "#EXT-X-ENDLIST", ""])


def test_an_init_section_is_encrypted_only_under_a_key_given_before_its_map() -> None:
    key = '#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x01'
    under = hls.parse_media(_fmp4(key, '#EXT-X-MAP:URI="i.mp4"'), BASE + "x.m3u8")
    assert {s.init.key for s in under.segments if s.init} == {Key(BASE + "k", bytes(15) + b"\1")}
    clear = hls.parse_media(_fmp4('#EXT-X-MAP:URI="i.mp4"', key), BASE + "x.m3u8")
    assert {s.init.key for s in clear.segments if s.init} == {None}
    assert all(s.key is not None for s in clear.segments)
    with pytest.raises(ServerMisbehaved, match="IV"):
        hls.parse_media(_fmp4('#EXT-X-KEY:METHOD=AES-128,URI="k"', '#EXT-X-MAP:URI="i.mp4"'), BASE + "x.m3u8")
    with pytest.raises(ServerMisbehaved, match="another"):
        hls.parse_media(_fmp4(key, '#EXT-X-MAP:URI="i.mp4"', '#EXT-X-KEY:METHOD=AES-128,URI="k2",IV=0x02'),
                        BASE + "x.m3u8")
