"""A media job's output name (paxel.media.naming): the asked name without a media extension,
never a name whose work folder belongs to another stream. Real files in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from paxel.engine import DownloadOptions
from paxel.media.naming import output_path, stem


def test_the_asked_name_or_the_playlists_and_a_foreign_work_folder_is_taken(tmp_path: Path) -> None:
    ours, theirs = "http://a.test/show/master.m3u8", "http://b.test/other.mpd"
    opts = DownloadOptions(ours, folder=tmp_path, filename="Show.mp4")
    assert output_path(opts, ".mp4", ".paxel-media", "state.json") == tmp_path / "Show.mp4"
    assert output_path(DownloadOptions(ours, folder=tmp_path), ".mp4", ".w", "s") == tmp_path / "master.mp4"
    work = tmp_path / "Show.mp4.paxel-media"
    work.mkdir()
    (work / "state.json").write_text(json.dumps({"version": 1, "source": theirs, "done": {}}))
    assert output_path(opts, ".mp4", ".paxel-media", "state.json") == tmp_path / "Show (1).mp4"
    (work / "state.json").write_text(json.dumps({"version": 1, "source": ours, "done": {}}))
    assert output_path(opts, ".mp4", ".paxel-media", "state.json") == tmp_path / "Show.mp4"   # resumes
    busy = frozenset({"Show.mp4"})
    assert output_path(opts, ".mp4", ".paxel-media", "state.json", busy) == tmp_path / "Show (1).mp4"


@given(st.text(min_size=1, max_size=40))
def test_stem_only_drops_a_media_extension(name: str) -> None:
    out = stem(name)
    assert out == name or name == f"{out}.{name.rpartition('.')[2]}"
    assert stem("Ep. 1.0") == "Ep. 1.0" and stem("Show.MP4") == "Show" and stem(".mp4") == ".mp4"
