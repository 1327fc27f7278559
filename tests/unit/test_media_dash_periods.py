"""A DASH manifest of several Periods (ads or chapters joined; found by issue 14's second
attack): only the first Period was read, so a 40-s presentation became a 20-s MP4 with exit 0.
Until periods are joined, such a manifest is refused with a clear message, never cut short."""

from __future__ import annotations

import pytest

from paxel.media.dash import parse_mpd
from paxel.media.model import MediaUnsupported

PERIOD = """
  <Period id="{n}" start="PT{start}S" duration="PT20S">
    <AdaptationSet contentType="video" mimeType="video/mp4">
      <Representation id="v" bandwidth="100000" width="426" height="240" codecs="avc1.42c015">
        <SegmentTemplate timescale="1" duration="2" startNumber="{first}"
                         initialization="init.m4s" media="v$Number$.m4s"/>
      </Representation>
    </AdaptationSet>
  </Period>"""


def _mpd(periods: int) -> str:
    body = "".join(PERIOD.format(n=n, start=20 * n, first=1 + 10 * n) for n in range(periods))
    return ('<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
            f'mediaPresentationDuration="PT{20 * periods}S">{body}\n</MPD>\n')


def test_one_period_is_read_whole() -> None:
    (variant,) = parse_mpd(_mpd(1), "http://a.test/m.mpd")
    assert len(variant.tracks[0].segments) == 10


def test_several_periods_are_refused_not_cut_to_the_first() -> None:
    with pytest.raises(MediaUnsupported, match="2 periods"):
        parse_mpd(_mpd(2), "http://a.test/m.mpd")
