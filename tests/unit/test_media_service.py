"""A stream in the service, the pure parts: the request's `media` (explicit or by the URL), the
DownloadView's `media` and `phase: "muxing"`, and `media_probe`'s summary of a resolved stream."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import ProtocolError
from paxel.media.model import Segment, Track, Variant
from paxel.media.probe import summary
from paxel.media.progress import MediaProgress
from paxel.media.stream import Stream
from paxel.schema import validate_request
from paxel.service.phase import next_phase
from paxel.service.request import DownloadRequest
from paxel.service.store import Record
from paxel.service.view import view


def request_of(**fields: Any) -> DownloadRequest:
    return DownloadRequest.from_fields(validate_request({"id": 1, "type": "download", **fields}).fields)


@pytest.mark.parametrize(("url", "media", "expected"), [
    ("https://cdn.example/a/master.m3u8?t=1", None, {"quality": None}),    # by the extension
    ("https://cdn.example/a/manifest.MPD", None, {"quality": None}),
    ("https://cdn.example/a/video", {"quality": 720}, {"quality": 720}),   # asked for (type seen)
    ("https://cdn.example/a/video", {}, {"quality": None}),
    ("https://cdn.example/a/file.iso", None, None),                        # a plain file
    ("https://cdn.example/m3u8/file.iso", None, None),
])
def test_a_request_is_a_stream_when_asked_or_named_so(url: str, media: Any, expected: Any) -> None:
    fields = {"url": url} if media is None else {"url": url, "media": media}
    assert request_of(**fields).media == expected


@pytest.mark.parametrize("media", [{"quality": 0}, {"quality": "720"}, {"quality": True}, "best", [720]])
def test_a_bad_media_field_is_refused(media: Any) -> None:
    with pytest.raises(ProtocolError):
        request_of(url="https://cdn.example/v.m3u8", media=media)


def media_snapshot(done: int = 0, segs: int = 0, total: int = 8, muxing: bool = False) -> MediaProgress:
    return MediaProgress("downloading", "http://x/v.m3u8", None, "v.mp4", None, None, done, 5.0, None, (), 2,
                         segments_done=segs, segments_total=total, muxing=muxing)


def test_the_view_carries_segment_counts_and_the_muxing_phase() -> None:
    record = Record(id="d-1", url="http://x/v.m3u8", folder="/tmp", connections=2, media={"quality": 480})
    queued = view(record)
    assert queued["media"] == {"quality": 480, "segments_done": None, "segments_total": None, "live": None}
    running = Record(**{**record.__dict__, "state": "running"})
    fetching = next_phase(None, media_snapshot(done=10, segs=3), 0.0, 6)
    shown = view(running, media_snapshot(done=10, segs=3), fetching)
    assert shown["media"] == {"quality": 480, "segments_done": 3, "segments_total": 8, "live": False}
    assert (shown["filename"], shown["phase"]) == ("v.mp4", "running")
    muxing = next_phase(fetching, media_snapshot(done=10, segs=8, muxing=True), 1.0, 6)
    assert muxing.key() == ("muxing", 0)
    assert view(running, media_snapshot(10, 8, muxing=True), muxing)["phase"] == "muxing"
    assert view(Record(id="d-2", url="http://x/f.iso", folder="/tmp", connections=2))["media"] is None


variants = st.lists(st.builds(Variant, bandwidth=st.integers(0, 50_000_000),
                              height=st.one_of(st.none(), st.integers(100, 2160))), min_size=1, max_size=6)


@given(variants, st.floats(0.5, 20.0), st.integers(1, 500), st.data())
def test_summary_orders_qualities_and_estimates_sizes(vs: list[Variant], seconds: float, count: int,
                                                       data: st.DataObject) -> None:
    chosen = data.draw(st.sampled_from(vs))
    track = Track("muxed", tuple(Segment(f"s{i}.ts", seconds, i) for i in range(count)))
    result = summary(Stream("hls", tuple(vs), chosen, (track,)))
    assert result["duration"] == pytest.approx(seconds * count)
    bandwidths = [v["bandwidth"] or 0 for v in result["variants"]]
    assert bandwidths == sorted(bandwidths, reverse=True) and len(bandwidths) == len(vs)
    picked = result["variants"][result["chosen"]]
    assert (picked["bandwidth"] or 0, picked["height"]) == (chosen.bandwidth, chosen.height)
    for v in result["variants"]:
        expected = round((v["bandwidth"] or 0) * track.duration / 8) or None   # the sum of the segments
        assert v["size"] == expected


def test_a_live_stream_has_no_duration_nor_size() -> None:
    track = Track("muxed", (Segment("s.ts", 4.0, 1),), live=True)
    variant = Variant(bandwidth=1000)
    result = summary(Stream("hls", (variant,), variant, (track,)))
    assert (result["live"], result["duration"], result["variants"][0]["size"]) == (True, None, None)
