"""Media jobs in the service: a stream asked for by `download` (explicit `media`, or a `.m3u8`
URL), by `take` of a URL whose answer is a playlist by its content type only, and `media_probe`.
Real service processes through a real native host, nginx serving ffmpeg-made fixtures, every
output checked with ffprobe."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.media import check_output
from support.nginx import Nginx
from support.paxel_env import NativeHost, PaxelEnv

pytestmark = pytest.mark.media


@pytest.fixture(scope="module")
def slow(media_root: Path) -> Iterator[Nginx]:
    """The fixtures at 360 KiB/s per connection under /trickle/: a stream takes seconds."""
    server = Nginx(slow_rate="360k", root=media_root)
    yield server
    server.stop()


def _progress_of(host: NativeHost, download_id: str, until: str, timeout: float = 60) -> tuple[
        list[dict[str, Any]], dict[str, Any]]:
    """Every view of the download seen in progress/changed events until the `until` event."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = host.recv(max(0.1, deadline - time.monotonic()))
        data = message.get("data") or {}
        views = data.get("downloads") or ([data["download"]] if "download" in data else [])
        views = [v for v in views if v.get("download_id") == download_id]
        seen += views
        if message.get("event") == until and views:
            return seen, views[-1]
        if message.get("event") == "failed" and views:
            raise AssertionError(views[-1]["error"])
    raise AssertionError(f"no {until} event for {download_id}")


def test_download_with_media_quality_makes_one_mp4_with_segment_progress(
        paxel_env: PaxelEnv, slow: Nginx) -> None:
    host = paxel_env.host("chrome")
    assert "media" in host.hello()["capabilities"]
    view = host.add(2, url=slow.url("hls/master.m3u8", "trickle"), media={"quality": 144}, connections=2)
    assert view["media"] == {"quality": 144, "segments_done": None, "segments_total": None, "live": None}
    seen, done = _progress_of(host, view["download_id"], "completed")
    path = Path(done["path"])
    assert path == paxel_env.downloads / "master.mp4" and done["state"] == "completed"
    check_output(path, 144)
    counted = [v["media"] for v in seen if v["state"] == "running" and v["media"]["segments_total"]]
    assert counted and all(m["segments_total"] == 30 for m in counted)
    assert [m["segments_done"] for m in counted] == sorted(m["segments_done"] for m in counted)
    assert all(" seg" not in v["filename"] for v in seen)        # counts have a field of their own
    assert sorted(p.name for p in paxel_env.downloads.iterdir()) == ["master.mp4"]   # no work folder


def test_take_of_a_playlist_known_by_its_content_type_is_a_stream(paxel_env: PaxelEnv, media: Nginx) -> None:
    """No .m3u8 in the URL (`/typed-hls/` answers every file as application/vnd.apple.mpegurl):
    the stream is fetched, not the playlist's text, and the size the browser saw does not matter."""
    (media.data / "hls" / "v240" / "index").write_bytes((media.data / "hls/v240/index.m3u8").read_bytes())
    host = paxel_env.host("chrome")
    host.hello()
    host.send({"id": 2, "type": "take", "url": media.url("hls/v240/index", "typed-hls"),
               "expect": {"size": 300, "content_type": "application/vnd.apple.mpegurl", "min_size": 1 << 20}})
    result = host.reply(2, timeout=20)["result"]
    assert result["outcome"] == "taken", result
    _, done = _progress_of(host, result["download"]["download_id"], "completed")
    assert done["media"]["quality"] is None
    check_output(Path(done["path"]), 240)


def test_media_probe_reads_qualities_duration_and_sizes(paxel_env: PaxelEnv, media: Nginx) -> None:
    media.clear_log()
    host = paxel_env.host("chrome")
    host.hello()
    host.send({"id": 2, "type": "media_probe", "url": media.url("hls/master.m3u8"),
               "referrer": "http://page.example/watch"})
    result = host.reply(2, timeout=20)["result"]
    assert result["kind"] == "hls" and result["live"] is False
    assert result["duration"] == pytest.approx(60, abs=0.1)
    assert [(v["height"], v["bandwidth"], v["size"]) for v in result["variants"]] == [
        (240, 600000, 4500000), (144, 300000, 2250000)]             # bandwidth × 60 s / 8
    assert result["chosen"] == 0
    sent = [line for line in media.log() if line.request.endswith(("master.m3u8", "v240/index.m3u8"))]
    assert sent and all(line.referer == "http://page.example/watch" for line in sent)
    assert not [line for line in media.log() if line.request.endswith(".ts")]   # nothing downloaded
    host.send({"id": 3, "type": "media_probe", "url": media.url("dash/manifest.mpd")})
    dash = host.reply(3, timeout=20)["result"]
    assert dash["kind"] == "dash" and dash["variants"][0]["height"] == 240 and dash["variants"][0]["size"] > 0
    host.send({"id": 4, "type": "media_probe", "url": media.url("drm/fairplay.m3u8")})
    refused = host.reply(4, timeout=20)
    assert not refused["ok"] and "DRM" in refused["error"]["message"]


def test_stream_pause_resume_and_kill9_resume_fetch_no_segment_twice(paxel_env: PaxelEnv,
                                                                      media_root: Path) -> None:
    slow = Nginx(slow_rate="48k", root=media_root)   # 8 s of stream, ~1.3 s a segment
    try:
        _pause_resume_kill9(paxel_env, slow)
    finally:
        slow.stop()


def _pause_resume_kill9(paxel_env: PaxelEnv, slow: Nginx) -> None:
    host = paxel_env.host("chrome")
    first_pid = host.hello()["service_pid"]
    view = host.add(2, url=slow.url("short/index.m3u8", "trickle"), connections=2)
    ident = view["download_id"]
    assert view["media"]["quality"] is None                     # by the URL's extension
    work = paxel_env.downloads / "index.mp4.paxel-media"
    deadline = time.monotonic() + 30
    while not (work / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    host.send({"id": 3, "type": "pause", "download_id": ident})
    assert host.reply(3)["result"]["download"]["state"] == "paused"
    time.sleep(0.5)
    assert work.is_dir() and not (paxel_env.downloads / "index.mp4").exists()
    host.send({"id": 4, "type": "resume", "download_id": ident})
    assert host.reply(4)["ok"]
    time.sleep(1.0)
    os.kill(first_pid, signal.SIGKILL)
    host.close()
    again = paxel_env.host("firefox")
    assert again.hello()["service_pid"] != first_pid
    _, done = _progress_of(again, ident, "completed")
    check_output(Path(done["path"]), 240, seconds=8)
    fetched = [line.request for line in slow.log() if line.request.endswith(".ts") and line.status == 200]
    assert len(fetched) == len(set(fetched)) + _unfinished(slow), fetched


def _unfinished(server: Nginx) -> int:
    """Segments asked again because the pause or the kill cut them off mid-body (nginx logs 200
    for those too, with fewer bytes than the file)."""
    sizes: dict[str, int] = {}
    for line in server.log():
        if line.request.endswith(".ts"):
            sizes[line.request] = max(sizes.get(line.request, 0), line.bytes_sent)
    return sum(1 for line in server.log()
               if line.request.endswith(".ts") and line.bytes_sent < sizes[line.request])


def test_cancel_of_a_paused_stream_removes_its_segments(paxel_env: PaxelEnv, slow: Nginx) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=slow.url("hls/v240/index.m3u8", "trickle"), connections=1)
    work = paxel_env.downloads / "index.mp4.paxel-media"
    deadline = time.monotonic() + 30
    while not (work / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    for number, kind in ((3, "pause"), (4, "cancel")):
        host.send({"id": number, "type": kind, "download_id": view["download_id"]})
        assert host.reply(number)["ok"]
    assert not work.exists() and not list(paxel_env.downloads.iterdir())


def test_two_streams_under_one_title_at_once_get_two_files(paxel_env: PaxelEnv, media: Nginx) -> None:
    """The popup names a stream after the page: two streams of one page start together."""
    host = paxel_env.host("chrome")
    host.hello()
    views = [host.add(n, url=media.url(name), filename="Same title", media={})
             for n, name in ((2, "hls/master.m3u8"), (3, "dash/manifest.mpd"))]
    paths = {Path(_progress_of(host, v["download_id"], "completed")[1]["path"]).name for v in views}
    assert paths == {"Same title.mp4", "Same title (1).mp4"}
    for name in paths:
        check_output(paxel_env.downloads / name, 240)


def test_a_plain_download_that_turns_out_a_playlist_becomes_the_stream(paxel_env: PaxelEnv,
                                                                       media: Nginx) -> None:
    """`download` of a URL without the extension (the context menu on a link): the engine fetches
    the small file, its first bytes say playlist, and the service fetches the stream instead."""
    (media.data / "hls" / "v240" / "plain").write_bytes((media.data / "hls/v240/index.m3u8").read_bytes())
    host = paxel_env.host("chrome")
    host.hello()
    view = host.add(2, url=media.url("hls/v240/plain"))
    assert view["media"] is None
    _, done = _progress_of(host, view["download_id"], "completed")
    assert Path(done["path"]).name == "plain.mp4" and done["media"] is None
    check_output(Path(done["path"]), 240)
    assert sorted(p.name for p in paxel_env.downloads.iterdir()) == ["plain.mp4"]   # not the text


def test_pause_ends_a_live_recording_and_makes_the_file(paxel_env: PaxelEnv, media: Nginx) -> None:
    live = media.data / f"live-svc-{time.monotonic_ns()}"
    live.mkdir()
    live.chmod(0o755)
    lines = (media.data / "hls" / "v240" / "index.m3u8").read_text().splitlines()
    body = [x if not x.endswith(".ts") else "../hls/v240/" + x for x in lines
            if not x.startswith(("#EXT-X-PLAYLIST-TYPE", "#EXT-X-ENDLIST"))]
    (live / "index.m3u8").write_text("\n".join(body[:body.index("../hls/v240/seg002.ts") + 1]) + "\n")
    (live / "index.m3u8").chmod(0o644)                      # 3 segments, and it never ends
    host = paxel_env.host("chrome")
    host.hello()
    ident = host.add(2, url=media.url(f"{live.name}/index.m3u8"))["download_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:                       # all three recorded, still live
        views = host.wait_event("progress", ident)["data"]["downloads"]
        if any(v["media"]["segments_done"] == 3 and v["media"]["live"] for v in views):
            break
    host.send({"id": 3, "type": "pause", "download_id": ident})
    assert host.reply(3)["ok"]
    _, done = _progress_of(host, ident, "completed")
    check_output(Path(done["path"]), 240, seconds=6)


def test_a_limit_set_while_a_stream_runs_slows_it_at_once(paxel_env: PaxelEnv, slow: Nginx) -> None:
    """`limit` on a running stream reaches the segments being fetched, not only later ones."""
    host = paxel_env.host("chrome")
    host.hello()
    ident = host.add(2, url=slow.url("hls/v144/index.m3u8", "trickle"), connections=2)["download_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:     # the segments are being fetched (a UnitJob has its rate)
        views = host.wait_event("progress", ident)["data"]["downloads"]
        if any((v["media"]["segments_done"] or 0) >= 1 for v in views):
            break
    host.send({"id": 3, "type": "limit", "download_id": ident, "max_speed": 200_000})
    assert host.reply(3)["result"]["download"]["max_speed"] == 200_000
    limited_at = time.monotonic()
    seen, done = _progress_of(host, ident, "completed")
    took = time.monotonic() - limited_at
    size = sum(f.stat().st_size for f in (slow.data / "hls" / "v144").glob("*.ts"))
    left = size - max((v["done"] for v in seen[:1]), default=size)
    # without the limit the whole stream takes ~2.5 s here (360 KiB/s per connection, 2 connections)
    assert took >= 0.8 * left / 200_000, (took, left)
    check_output(Path(done["path"]), 144)
