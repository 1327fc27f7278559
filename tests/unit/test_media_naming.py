"""A media job's output name (paxel.media.naming): the asked name without a media extension,
never a name whose work folder belongs to another stream. Real files in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import example, given
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


@given(st.text(min_size=1, max_size=300), st.sampled_from(["", "../../", "a/b\\", "/etc/", "C:\\x\\"]))
@example("日" * 300, "../../")
@example("\x1b]0;x\x07\n..", "")
def test_a_hostile_title_or_playlist_name_stays_one_name_in_the_folder(title: str, prefix: str) -> None:
    """The popup sends the page's title; another client could send anything: separators, `..`,
    control characters, 300 characters. The output is one component inside the folder."""
    import unicodedata

    folder = Path("/nonexistent/paxel-naming")
    url = f"http://a.test/{prefix}{title}.m3u8".replace("#", "%23").replace("?", "%3F")
    for opts in (DownloadOptions("http://a.test/s/master.m3u8", folder=folder, filename=prefix + title),
                 DownloadOptions(url, folder=folder)):
        out = output_path(opts, ".mp4", ".paxel-media", "state.json")
        assert out.parent == folder and out.name not in (".", "..") and out.name.endswith(".mp4")
        assert not any(unicodedata.category(ch) == "Cc" for ch in out.name), out.name
        assert len(out.name.encode()) <= 255 - len(".paxel-media"), len(out.name.encode())


def test_a_name_from_the_url_is_percent_decoded_and_never_hidden(tmp_path: Path) -> None:
    """Found by issue 14's second attack: `My%20Show.m3u8` gave `My%20Show.mp4` (a plain download
    of the same URL is `My Show`), and a title of spaces or dots gave `.mp4`, a hidden file."""
    def name(url: str, title: str | None = None) -> str:
        return output_path(DownloadOptions(url, folder=tmp_path, filename=title), ".mp4", ".w", "s").name
    assert name("http://a.test/My%20Show%C3%A9.m3u8") == "My Showé.mp4"
    assert name("http://a.test/x/..%2F..%2Fb.m3u8") == "b.mp4"
    assert name("http://a.test/.m3u8") == "stream.mp4"
    for title in ("  ", "..", "...", ". ."):
        assert name("http://a.test/x.m3u8", title) == "stream.mp4", title
    assert name("http://a.test/x.m3u8", ".mp4") == "mp4.mp4"
    assert name("http://a.test/x.m3u8", ".hidden") == "hidden.mp4"
