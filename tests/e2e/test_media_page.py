"""Media on a page, in real Chromium: a page that plays an HLS and a DASH stream through `fetch`
(no player library; its `<video>` plays from a blob: as MSE players do) → the extension finds
both (and not the variant playlist nor the segments) → the popup lists them with the qualities
the service read → Download at 144p → one valid MP4 in paxel's folder, checked with ffprobe;
then the context menu on the blob: video hands over every stream the tab played."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from browser_chromium import Chromium
from browser_firefox import Firefox

from conftest import link_page, wait_for
from paxel.ids import CHROMIUM_DEV_EXTENSION_ID
from support.media import check_output
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

pytestmark = [pytest.mark.browser, pytest.mark.media]

PAGE = """<!doctype html><meta charset=utf-8><title>paxel media e2e</title>
<video id=v muted></video>
<script>
// What a player does, minus the player: the playlists, then a few segments; the video plays
// from a MediaSource (a blob: URL), so a right-click on it offers no file.
document.getElementById("v").src = URL.createObjectURL(new MediaSource());
document.cookie = "session=e2e-media; path=/";   // a CDN that checks its cookie
(async () => {
  const master = await (await fetch("../hls/master.m3u8")).text();
  const variant = master.split("\\n").find((l) => l.endsWith(".m3u8") && l.includes("240"));
  const playlist = await (await fetch("../hls/" + variant)).text();
  const segments = playlist.split("\\n").filter((l) => l.endsWith(".ts")).slice(0, 2);
  for (const s of segments) await (await fetch("../hls/v240/" + s)).arrayBuffer();
  await (await fetch("../dash/manifest.mpd")).text();
  document.title += " ready";
})();
</script>"""


def test_a_stream_the_page_plays_is_listed_in_the_popup_and_downloaded(
        chromium: Chromium, paxel_env: PaxelEnv, media: Nginx) -> None:
    (media.data / "e2e").mkdir(exist_ok=True)
    (media.data / "e2e" / "play.html").write_text(PAGE)
    media.clear_log()
    page_url = media.url("e2e/play.html")
    page = chromium.open_page(page_url)
    wait_for(lambda: chromium.evaluate(page, "document.title").endswith("ready"), 15, "the page's fetches")
    master, mpd = media.url("hls/master.m3u8"), media.url("dash/manifest.mpd")
    tab = chromium.in_extension(f"chrome.tabs.query({{url: {json.dumps(page_url)}}}).then(t => t[0].id)")
    listed = f"chrome.storage.session.get('media').then(s => (s.media?.['{tab}']?.finds ?? []))"
    finds = wait_for(lambda: (f := chromium.in_extension(listed)) and len(f) >= 3 and f, 10, "the finds")
    assert [(f["url"], f["kind"], f.get("parent")) for f in finds] == [
        (master, "hls", None), (media.url("hls/v240/index.m3u8"), "hls", master), (mpd, "dash", None)]
    assert finds[0]["headers"]["Referer"] == page_url                  # what the browser sent
    assert chromium.in_extension(f"chrome.action.getBadgeText({{tabId: {tab}}})") == "▶"
    asked = [line.request for line in media.log() if "master.m3u8" in line.request]
    assert asked == ["/files/hls/master.m3u8"], "detection sends nothing anywhere"

    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html?tab={tab}")

    def text(selector: str) -> str:
        return str(chromium.evaluate(popup, f"document.querySelector({json.dumps(selector)}).textContent"))

    rows = "document.querySelectorAll('#media li.media-find')"
    wait_for(lambda: chromium.evaluate(popup, f"{rows}.length") == 2, 10, "the popup to list the two streams")
    first = "#media li.media-find:first-child"
    labels = f"[...document.querySelectorAll('{first} select.quality option')].map(o => o.textContent)"
    options = wait_for(lambda: chromium.evaluate(popup, labels), 15, "the qualities the service read")
    assert options[0].startswith("240p · 600 kbit/s") and options[1].startswith("144p · 300 kbit/s"), options
    assert text("#media-title").startswith("paxel media e2e")
    assert text(f"{first} .media-duration") == "1:00"
    chromium.evaluate(popup, f"(() => {{ const s = document.querySelector('{first} select.quality');"
                             " s.selectedIndex = 1; s.dispatchEvent(new Event('change')); })()")
    assert text(f"{first} .media-size") == "~2.1 MiB"       # 300 kbit/s × 60 s
    chromium.click(popup, f"{first} button.media-download")

    out = paxel_env.downloads / "paxel media e2e ready.mp4"
    wait_for(lambda: out.exists(), 30, "paxel to make the MP4")
    check_output(out, 144)
    sent = [line for line in media.log() if line.request.startswith("/files/hls/v144/")]
    assert sent and all(line.referer == page_url for line in sent), "asked for as the page asked"
    assert all("session=e2e-media" in line.cookie for line in sent), [line.cookie for line in sent]

    # the context menu on the blob: video: every stream the tab played, each at its best quality
    blob = chromium.evaluate(page, "document.getElementById('v').src")
    assert blob.startswith("blob:")
    chromium.in_extension(
        f"chrome.tabs.get({tab}).then(t => globalThis.paxel.onMenuClicked("
        f"{{menuItemId: globalThis.paxel.MENU_ID, srcUrl: {json.dumps(blob)}, mediaType: 'video',"
        f" pageUrl: {json.dumps(page_url)}}}, t))")
    made = [paxel_env.downloads / f"paxel media e2e ready ({n}).mp4" for n in (1, 2)]
    wait_for(lambda: all(p.exists() for p in made), 30, "both streams as MP4s")
    for path in made:
        check_output(Path(path), 240)
    # the tab navigates: its finds are forgotten, and the badge with them
    (media.data / "e2e" / "away.html").write_text("<!doctype html><title>away</title>")
    chromium.evaluate(page, f"location.href = {json.dumps(media.url('e2e/away.html'))}")
    kept = f"chrome.storage.session.get('media').then(s => s.media?.['{tab}'] ?? null)"
    wait_for(lambda: chromium.in_extension(kept) is None, 10, "the tab's finds to be forgotten")
    assert chromium.in_extension(f"chrome.action.getBadgeText({{tabId: {tab}}})") != "▶"


def test_firefox_finds_the_stream_and_its_popup_downloads_it(firefox: Firefox, paxel_env: PaxelEnv,
                                                             media: Nginx) -> None:
    """The same tree in Firefox ESR: event page, storage.session, its webRequest types."""
    (media.data / "e2e").mkdir(exist_ok=True)
    (media.data / "e2e" / "play-ff.html").write_text(PAGE)
    page_url = media.url("e2e/play-ff.html")
    firefox.chrome("gBrowser.addTab(arguments[0], {triggeringPrincipal:"
                   " Services.scriptSecurityManager.getSystemPrincipal()})", [page_url])   # a tab of its own
    tab = wait_for(lambda: firefox.in_extension(
        "return browser.tabs.query({}).then(a => a.find(t => t.url === arguments[0]))"   # (no port in a
        ".then(t => t && t.status === 'complete' && t.title.endsWith('ready') && t.id)",  # match pattern)
        [page_url]), 20, "the page's fetches")
    finds = wait_for(lambda: firefox.in_extension(
        "return browser.storage.session.get('media').then(s => ((s.media || {})[arguments[0]] || {}).finds)"
        ".then(f => f && f.length >= 3 && f)", [str(tab)]), 10, "the finds")
    assert [f["url"] for f in finds if not f.get("parent")] == [media.url("hls/master.m3u8"),
                                                                media.url("dash/manifest.mpd")]
    assert finds[0]["headers"]["Referer"] == page_url
    firefox.client.navigate(f"{firefox.extension_base}popup/popup.html?tab={tab}")
    first = "#media li.media-find:first-child"
    wait_for(lambda: firefox.client.execute_script(
        f"return document.querySelectorAll('{first} select.quality option').length") == 2, 15,
        "the qualities the service read")
    firefox.click(f"{first} button.media-download")
    out = paxel_env.downloads / "paxel media e2e ready.mp4"
    wait_for(lambda: out.exists(), 30, "paxel to make the MP4")
    check_output(out, 240)


def test_a_click_on_a_playlist_link_downloads_the_stream(chromium: Chromium, paxel_env: PaxelEnv,
                                                         media: Nginx) -> None:
    """A click on an .m3u8 link: a stream (its few bytes are no reason to leave it with the
    browser); paxel takes it and makes the MP4, the browser keeps no text file."""
    chromium.in_extension("chrome.storage.sync.set({settings: {minSize: 1048576}})")   # 1 MiB
    url = media.url("hls/master.m3u8")
    page = chromium.open_page(link_page(media, "e2e/link.html", url))
    chromium.click(page, "#dl")
    out = paxel_env.downloads / "master.mp4"
    wait_for(lambda: out.exists(), 30, "paxel to make the MP4")
    check_output(out, 240)
    wait_for(lambda: not chromium.downloads_listed(), 10, "the browser to erase its own entry")
    assert list(chromium.downloads.iterdir()) == []
    trace = chromium.in_extension("chrome.storage.session.get('trace').then(s => s.trace[0])")
    assert (trace["to"], trace["reason"]) == ("paxel", "stream")


CDN_PAGE = """<!doctype html><meta charset=utf-8><title>paxel cdn e2e</title>
<script>
// The page and its segments are on 127.0.0.1 (the CDN's cookie is that host's), the playlist on
// localhost (another host, whose request carries no cookie): what a site with an API host and a
// CDN that checks its own cookie looks like. The segment URLs are known to the page (a player
// would read them from the playlist; a cross-origin fetch without CORS cannot).
document.cookie = "COOKIE; path=/";
(async () => {
  await fetch("PLAYLIST", {mode: "no-cors"});
  for (const s of SEGMENTS) await (await fetch(s)).arrayBuffer();
  document.title += " ready";
})();
</script>"""


def test_a_stream_whose_segments_are_on_a_cdn_gets_the_cdns_own_cookie(
        chromium: Chromium, paxel_env: PaxelEnv, media: Nginx) -> None:
    """The extension notes the Cookie the browser sent with the stream's parts per host; the
    download carries them as that host's cookies; paxel sends each host only its own: the CDN's
    segments (nginx /private/ answers 403 without its cookie) get it, the playlist's host never."""
    from support.nginx import PRIVATE_COOKIE

    name, value = PRIVATE_COOKIE
    where = media.data / f"e2e-cdn-{time.monotonic_ns()}"
    where.mkdir()
    segments = [f"http://127.0.0.1:{media.port}/private/hls/v240/seg{i:03}.ts" for i in range(4)]
    (where / "index.m3u8").write_text("\n".join(["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2",
                                                 *(f"#EXTINF:2.000000,\n{s}" for s in segments),
                                                 "#EXT-X-ENDLIST"]) + "\n")
    playlist = f"http://localhost:{media.port}/files/{where.name}/index.m3u8"
    page_text = CDN_PAGE.replace("COOKIE", f"{name}={value}").replace("PLAYLIST", playlist)
    (where / "play.html").write_text(page_text.replace("SEGMENTS", json.dumps(segments[:2])))
    for p in [where, *where.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    page_url = media.url(f"{where.name}/play.html")
    page = chromium.open_page(page_url)
    wait_for(lambda: chromium.evaluate(page, "document.title").endswith("ready"), 15, "the page's fetches")
    tab = chromium.in_extension(f"chrome.tabs.query({{url: {json.dumps(page_url)}}}).then(t => t[0].id)")
    hosts = f"chrome.storage.session.get('media').then(s => s.media?.['{tab}']?.hosts ?? null)"
    kept = wait_for(lambda: chromium.in_extension(hosts), 10, "the CDN's cookie noted")
    assert kept == {"127.0.0.1": {"cookie": f"{name}={value}", "secure": False}}, kept
    media.clear_log()
    popup = chromium.open_page(f"chrome-extension://{CHROMIUM_DEV_EXTENSION_ID}/popup/popup.html?tab={tab}")
    first = "#media li.media-find:first-child"
    button = f"document.querySelector('{first} button.media-download')"
    wait_for(lambda: chromium.evaluate(popup, f"!!{button}"), 15, "the popup to list the stream")
    # The popup's own hello starts the service: until it is connected a help line above the list
    # says so, and the stream's row moves up when it goes (a click aimed before that hit nothing:
    # 2 runs in 6 at load 10+). Clicked once connected, with the playlist read.
    wait_for(lambda: chromium.evaluate(popup, "document.getElementById('host-status').dataset.state")
             == "connected", 15, "the popup to be connected")
    wait_for(lambda: chromium.evaluate(popup, f"document.querySelector('{first} .refusal').textContent")
             == "", 15, "the playlist read")
    chromium.click(popup, f"{first} button.media-download")
    out = paxel_env.downloads / "paxel cdn e2e ready.mp4"
    wait_for(lambda: out.exists(), 30, "paxel to make the MP4")
    check_output(out, 240, seconds=8)
    sent = [line for line in media.log() if line.request.startswith("/private/")]
    assert len(sent) == 4 and all(line.cookie == f"{name}={value}" for line in sent), sent
    listed = [line for line in media.log() if line.request.endswith("index.m3u8")]
    assert listed and all(line.cookie == "" for line in listed), listed
