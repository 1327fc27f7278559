"""The pure parts of a media job: variant choice, the segment plan and its resume state, AES-128,
detection, the mux command. Property tests for the invariants."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import ServerMisbehaved
from paxel.media import crypto, detect, mux
from paxel.media.model import Init, Key, Segment, Track, Variant
from paxel.media.plan import Done, decode_state, encode_state, iv_for, make_plan, still_done
from paxel.media.select import choose

variants = st.lists(st.builds(Variant, bandwidth=st.integers(0, 10**8),
                              height=st.none() | st.integers(1, 4320)), min_size=1, max_size=12)


@given(variants)
def test_default_is_the_highest_bandwidth(vs: list[Variant]) -> None:
    assert choose(vs).bandwidth == max(v.bandwidth for v in vs)


@given(variants, st.integers(1, 4320))
def test_quality_cap(vs: list[Variant], cap: int) -> None:
    got = choose(vs, cap)
    fitting = [v for v in vs if v.height is not None and v.height <= cap]
    if fitting:
        assert got.height is not None and got.height <= cap
        assert got.bandwidth == max(v.bandwidth for v in fitting)
    elif any(v.height is not None for v in vs):   # all taller: the smallest picture
        assert got.height == min(v.height for v in vs if v.height is not None)


def test_quality_examples() -> None:
    vs = [Variant(300, height=144), Variant(600, height=240), Variant(2000, height=720),
          Variant(1000, height=720)]
    assert choose(vs, 480).height == 240
    assert choose(vs, 720).bandwidth == 2000
    assert choose(vs, 100).height == 144


segment = st.builds(
    Segment, url=st.sampled_from(["u/a", "u/b", "u/c"]), duration=st.floats(0, 10),
    sequence=st.integers(0, 10**6),
    byte_range=st.none() | st.tuples(st.integers(0, 100), st.integers(100, 200)),
    key=st.none() | st.builds(Key, url=st.sampled_from(["k1", "k2"]), iv=st.none()),
    init=st.none() | st.builds(Init, url=st.sampled_from(["i1", "i2"])))


def _tracks(draw_segments: list[list[Segment]]) -> list[Track]:
    # sequence numbers are unique within a track, as in a playlist
    return [Track("video", tuple(Segment(s.url, s.duration, n, s.byte_range, s.key, s.init)
                                 for n, s in enumerate(segs))) for segs in draw_segments]


@given(st.lists(st.lists(segment, max_size=20), min_size=1, max_size=3))
def test_plan_covers_every_segment_once_with_unique_names(raw: list[list[Segment]]) -> None:
    tracks = _tracks(raw)
    plan = make_plan(tracks)
    names = [p.name for p in (*plan.keys, *plan.pieces)]
    assert len(names) == len(set(names))
    assert plan.segment_count == sum(len(t.segments) for t in tracks)
    by_name = {p.name: p for p in plan.pieces}
    position = {p.name: i for i, p in enumerate(plan.pieces)}
    for tp, track in zip(plan.tracks, tracks, strict=True):
        assert [(by_name[n].url, by_name[n].byte_range) for n in tp.names] == \
               [(s.url, s.byte_range) for s in track.segments]
        for init, seg in zip(tp.inits, track.segments, strict=True):
            assert (init is None) == (seg.init is None)
            if init is not None and seg.init is not None:
                assert by_name[init].url == seg.init.url
        # fetch order: a track's segments in play order, each init before its first user
        assert [position[n] for n in tp.names] == sorted(position[n] for n in tp.names)
        for n, init in zip(tp.names, tp.inits, strict=True):
            assert init is None or position[init] < position[n]
        order = mux.track_order(tp)
        assert [n for n in order if n.endswith(".seg")] == list(tp.names)
        if tp.inits and tp.inits[0] is not None:
            assert order[0] == tp.inits[0]      # the init section before the first segment


@given(st.dictionaries(st.text(min_size=1, max_size=10),
                       st.builds(Done, url=st.text(max_size=20),
                                 byte_range=st.none() | st.tuples(st.integers(0, 10**9),
                                                                   st.integers(0, 10**9)),
                                 size=st.integers(0, 10**12)), max_size=10))
def test_state_round_trips(done: dict[str, Done]) -> None:
    assert decode_state(encode_state("src", done), "src") == done
    assert decode_state(encode_state("src", done), "other") == {}


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"version":1,"source":"s","done":{"a":[1,null,2]}}',
                                  b'{"version":1,"source":"s","done":{"a":["u",null,-1]}}',
                                  b'{"version":2,"source":"s","done":{}}'])
def test_bad_states_mean_start_clean(data: bytes) -> None:
    assert decode_state(data, "s") == {}


def test_tracks_are_fetched_interleaved_by_time() -> None:
    video = Track("video", tuple(Segment(f"v{i}", 2, i, init=Init("vi")) for i in range(3)))
    audio = Track("audio", tuple(Segment(f"a{i}", 4, i, init=Init("ai")) for i in range(2)))
    assert [p.url for p in make_plan([video, audio]).pieces] == ["vi", "v0", "ai", "a0", "v1", "v2", "a1"]


def test_still_done_needs_the_same_url_range_and_size() -> None:
    plan = make_plan([Track("muxed", (Segment("a", 2, 0), Segment("b", 2, 1, (0, 9)), Segment("c", 2, 2)))])
    a, b, c = plan.pieces
    done = {a.name: Done("a", None, 5), b.name: Done("b", (0, 8), 10), c.name: Done("c", None, 7)}
    assert still_done(plan.pieces, done, {a.name: 5, b.name: 10, c.name: 6}) == {a.name}


def test_iv_from_the_media_sequence_unless_given() -> None:
    seg = Segment("a", 2, 258)
    assert iv_for(seg, Key("k", None)) == b"\0" * 14 + b"\x01\x02"
    assert iv_for(seg, Key("k", b"x" * 16)) == b"x" * 16


def _encrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(p.update(data) + p.finalize()) + e.finalize()


@given(st.binary(max_size=1000), st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_decrypt_inverts_encrypt(data: bytes, key: bytes, iv: bytes) -> None:
    assert crypto.decrypt(_encrypt(data, key, iv), key, iv) == data


def test_a_wrong_key_is_an_error_not_garbage() -> None:
    sealed = _encrypt(b"\x47" * 1880, b"k" * 16, b"\0" * 16)
    with pytest.raises(ServerMisbehaved):
        crypto.decrypt(sealed, b"K" * 16, b"\0" * 16)   # padding fails (255/256 of wrong keys)
    with pytest.raises(ServerMisbehaved):
        crypto.decrypt(sealed[:-1], b"k" * 16, b"\0" * 16)
    with pytest.raises(ServerMisbehaved):
        crypto.decrypt(sealed, b"short", b"\0" * 16)


@pytest.mark.parametrize(("url", "kind"), [("https://a/b/master.m3u8?token=1", "hls"),
                                           ("http://a/x.M3U8", "hls"),
                                           ("http://a/m.mpd", "dash"), ("http://a/m.mpd.bin", None),
                                           ("http://a/x.m3u8.mp4", None), ("http://a/?f=x.m3u8", None)])
def test_kind_from_url(url: str, kind: str | None) -> None:
    assert detect.kind_from_url(url) == kind


def test_kind_from_type_and_body() -> None:
    assert detect.kind_from_type("application/vnd.apple.mpegurl; charset=utf-8") == "hls"
    assert detect.kind_from_type("application/x-mpegURL") == "hls"
    assert detect.kind_from_type("application/dash+xml") == "dash"
    assert detect.kind_from_type("video/mp4") is None
    assert detect.kind_from_body(b"\xef\xbb\xbf#EXTM3U\n") == "hls"
    assert detect.kind_from_body(b'<?xml version="1.0"?>\n<MPD xmlns="x">') == "dash"
    assert detect.kind_from_body(b"\x00\x00\x00 ftypisom") is None


def test_mux_command_copies_audio_and_video_of_every_input() -> None:
    cmd = mux.mux_command("/usr/bin/ffmpeg", ["pipe:5", "pipe:7"], Path("out.mp4.part"))
    assert cmd[:1] == ["/usr/bin/ffmpeg"] and cmd[-3:] == ["-f", "mp4", "out.mp4.part"]
    assert cmd[-5:-3] == ["-c", "copy"]
    assert cmd.count("-i") == 2 and "0:a?" in cmd and "1:v?" in cmd
    assert mux.find_ffmpeg(lambda _name: None) is None


def test_a_resumed_recording_puts_the_segments_it_had_before_the_window() -> None:
    from paxel.media import live
    from paxel.media.model import Segment, Track
    from paxel.media.plan import Done

    window = Track("muxed", tuple(Segment(f"http://h/s{n}.ts", 2.0, n) for n in (5, 6)), live=True)
    done = {"t0-000000001.seg": Done("http://h/s1.ts", None, 10),
            "t0-000000002.seg": Done("http://h/s2.ts", None, 10),
            "t0-000000005.seg": Done("http://h/s5.ts", None, 10),
            "t1-000000001.seg": Done("http://h/a.ts", None, 1),      # another track's
            "key0.bin": Done("http://h/k", None, 16)}
    (track,) = live.resumed([window], done)
    assert [(s.sequence, s.url, s.discontinuity) for s in track.segments] == [
        (1, "http://h/s1.ts", -1), (2, "http://h/s2.ts", -1),      # a gap (3, 4) before the window
        (5, "http://h/s5.ts", 0), (6, "http://h/s6.ts", 0)]
    assert live.resumed([window], {}) == [window]
