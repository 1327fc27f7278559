import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addFind, badgeFor, classify, findOf, forgetTab, isBlobSource, kindOf, listed, MAX_FINDS, MAX_PENDING, MAX_TABS,
  MIN_FILE_SIZE, notePending, sizeOf, streamsOf, noteResponse, hostCookies, isStreamPart, MAX_HOSTS,
} from "../lib/mediasniff.js";

if (process.env.CI) fc.configureGlobal({ seed: 20261130 });

function answer(url, contentType, extra = {}) {
  const responseHeaders = [{ name: "Content-Type", value: contentType }];
  if (extra.length !== undefined) responseHeaders.push({ name: "Content-Length", value: String(extra.length) });
  if (extra.range) responseHeaders.push({ name: "Content-Range", value: extra.range });
  return { url, tabId: extra.tabId ?? 4, statusCode: extra.status ?? 200, responseHeaders, timeStamp: 1000 };
}

test("playlists by extension or by content type; segments and small clips are not media to offer", () => {
  assert.equal(kindOf("https://cdn.test/a/master.m3u8?token=1", "text/plain"), "hls");
  assert.equal(kindOf("https://cdn.test/a/playlist", "application/vnd.apple.mpegurl"), "hls");
  assert.equal(kindOf("https://cdn.test/a/playlist", "application/x-mpegURL; charset=utf-8"), "hls");
  assert.equal(kindOf("https://cdn.test/a/manifest", "application/dash+xml"), "dash");
  assert.equal(kindOf("https://cdn.test/a/stream.MPD", null), "dash");
  assert.equal(kindOf("https://cdn.test/a/seg001.ts", "video/mp2t"), null);
  assert.equal(kindOf("https://cdn.test/a/chunk-3.m4s", "video/mp4"), null);
  assert.equal(kindOf("https://cdn.test/a/file", "video/iso.segment"), null);
  assert.equal(kindOf("https://cdn.test/a/movie.mp4", "video/mp4"), "file");
  assert.equal(kindOf("https://cdn.test/a/page.html", "text/html"), null);
  assert.equal(classify(answer("https://cdn.test/clip.mp4", "video/mp4", { length: MIN_FILE_SIZE - 1 })), null);
  assert.equal(classify(answer("https://cdn.test/movie.mp4", "video/mp4")), null, "a file of unknown size is not offered");
  const movie = classify(answer("https://cdn.test/movie.mp4", "video/mp4", { status: 206, length: 2, range: "bytes 0-1/9000000" }));
  assert.deepEqual(movie, { url: "https://cdn.test/movie.mp4", kind: "file", mime: "video/mp4", size: 9000000, at: 1000 });
  assert.equal(classify(answer("https://cdn.test/x.m3u8", "application/vnd.apple.mpegurl", { status: 404 })), null);
  assert.equal(classify(answer("https://cdn.test/x.m3u8", "application/vnd.apple.mpegurl", { tabId: -1 })), null, "not a tab's");
});

test("the size of the whole file: Content-Range's total, else Content-Length", () => {
  assert.equal(sizeOf([{ name: "content-range", value: "bytes 0-99/5000" }, { name: "Content-Length", value: "100" }]), 5000);
  assert.equal(sizeOf([{ name: "Content-Length", value: "100" }]), 100);
  assert.equal(sizeOf([{ name: "Content-Range", value: "bytes 0-99/*" }]), null);
  assert.equal(sizeOf([]), null);
});

test("a master's variant playlists and a stream's segments are parts of it, not new finds", () => {
  const master = classify(answer("http://127.0.0.1:8/hls/master.m3u8", "application/vnd.apple.mpegurl"));
  const variant = classify(answer("http://127.0.0.1:8/hls/v240/index.m3u8", "application/vnd.apple.mpegurl"));
  const segment = classify(answer("http://127.0.0.1:8/hls/v240/seg.mp4", "video/mp4", { length: 5 << 20 }));
  let state = addFind({}, 4, master, { Referer: "http://page.test/" }, "http://page.test/");
  state = addFind(state, 4, variant);
  assert.equal(addFind(state, 4, segment), state, "a file under a stream's folder is one of its pieces");
  assert.equal(addFind(state, 4, master), state, "found once");
  assert.deepEqual(listed(state, 4).map((f) => f.url), ["http://127.0.0.1:8/hls/master.m3u8"]);
  assert.equal(state["4"].finds[1].parent, "http://127.0.0.1:8/hls/master.m3u8");
  assert.deepEqual(findOf(state, 4, master.url).headers, { Referer: "http://page.test/" });
  const other = classify(answer("http://127.0.0.1:8/other/index.m3u8", "application/vnd.apple.mpegurl"));
  const file = classify(answer("http://cdn.test/movie.webm", "video/webm", { length: 3 << 20 }));
  state = addFind(addFind(state, 4, other), 4, file);
  assert.deepEqual(streamsOf(state, 4).map((f) => f.url), [master.url, other.url]);
  assert.equal(listed(state, 4).length, 3);
});

test("a navigation or a closed tab forgets the tab's finds, and only that tab's", () => {
  const hls = classify(answer("https://a.test/v.m3u8", "application/vnd.apple.mpegurl"));
  const state = addFind(addFind({}, 1, hls), 2, hls);
  const after = forgetTab(state, 1);
  assert.deepEqual(Object.keys(after), ["2"]);
  assert.equal(forgetTab(after, 9), after);
  assert.deepEqual(listed(after, 1), []);
});

test("badge: the downloads count wins, else a hint when the page has media", () => {
  const state = addFind({}, 3, classify(answer("https://a.test/v.m3u8", "application/vnd.apple.mpegurl")));
  assert.deepEqual(badgeFor(state, 3, ""), { text: "▶", title: "paxel: 1 media item on this page" });
  assert.equal(badgeFor(state, 3, "2").text, "2");
  assert.deepEqual(badgeFor(state, 5, ""), { text: "", title: "paxel" });
});

test("blob: sources are what MSE players use", () => {
  assert.equal(isBlobSource("blob:https://a.test/1234"), true);
  assert.equal(isBlobSource("https://a.test/movie.mp4"), false);
  assert.equal(isBlobSource(undefined), false);
});

test("request headers wait for their response, bounded", () => {
  let pending = new Map();
  for (let i = 0; i < MAX_PENDING + 20; i++) {
    pending = notePending(pending, { requestId: String(i), requestHeaders: [{ name: "Cookie", value: `c=${i}` }, { name: "Accept", value: "*/*" }] });
  }
  assert.equal(pending.size, MAX_PENDING);
  assert.deepEqual(pending.get(String(MAX_PENDING + 19)), { Cookie: `c=${MAX_PENDING + 19}` });
  assert.equal(pending.has("0"), false, "the oldest go first");
});

const urlArb = fc.tuple(fc.constantFrom("http://a.test", "https://b.test:8443"),
  fc.array(fc.constantFrom("hls", "v1", "v2", "x"), { maxLength: 3 }),
  fc.constantFrom("index.m3u8", "master.m3u8", "m.mpd", "movie.mp4", "seg1.ts", "a.m4s", "clip.webm"))
  .map(([origin, dirs, name]) => [origin, ...dirs, name].join("/"));
const typeArb = fc.constantFrom("application/vnd.apple.mpegurl", "application/dash+xml", "video/mp4", "video/mp2t", "text/plain", "audio/mpeg");

test("property: finds are unique per tab, bounded, listed ones have no parent, and each tab is independent", () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), urlArb, typeArb), { maxLength: 120 }), (events) => {
    let state = {};
    for (const [tab, url, type] of events) {
      state = addFind(state, tab, classify(answer(url, type, { tabId: tab, length: 2 * MIN_FILE_SIZE })));
    }
    for (const [key, tab] of Object.entries(state)) {
      const urls = tab.finds.map((f) => f.url);
      assert.equal(new Set(urls).size, urls.length);
      assert.ok(tab.finds.length <= MAX_FINDS);
      assert.ok(listed(state, key).every((f) => !f.parent));
      assert.ok(tab.finds.every((f) => f.kind !== "file" || !/\.(ts|m4s)$/.test(f.url)), "no segment is a find");
      const without = forgetTab(state, key);
      for (const other of Object.keys(without)) assert.equal(without[other], state[other]);
    }
  }));
});

test("the picker's words and the name a stream is saved under", async () => {
  const { nameFromTitle, qualityLabel } = await import("../lib/mediasniff.js");
  const size = (n) => `${(n / 1048576).toFixed(1)} MiB`;
  assert.equal(qualityLabel({ height: 720, bandwidth: 2500000, size: 47185920 }, size), "720p · 2.5 Mbit/s · ~45.0 MiB");
  assert.equal(qualityLabel({ height: null, bandwidth: 300000, size: null }, size), "300 kbit/s");
  assert.equal(qualityLabel({}, size), "default");
  assert.equal(nameFromTitle("Ep. 1: \"Pilot\" / part 2\u0007"), "Ep. 1 Pilot part 2");
  assert.equal(nameFromTitle("   "), undefined);
  fc.assert(fc.property(fc.string(), (title) => {
    const name = nameFromTitle(title);
    assert.ok(name === undefined || (name.length <= 120 && !/[\\/:*?"<>|\u0000-\u001f]/.test(name)));
  }));
});

test("at most MAX_TABS tabs keep finds: the oldest tab (lowest id) goes first", () => {
  let state = {};
  for (let tab = 1; tab <= MAX_TABS + 5; tab++) {
    state = addFind(state, tab, classify(answer(`https://a.test/${tab}.m3u8`, "application/vnd.apple.mpegurl", { tabId: tab })));
  }
  assert.equal(Object.keys(state).length, MAX_TABS);
  assert.deepEqual(listed(state, 1), []);
  assert.equal(listed(state, MAX_TABS + 5).length, 1);
});

test("a stream's segments from another host or folder (an MSE player's fetches) are not files to offer", () => {
  // a DASH player on www.site.test fetching 2 MiB fMP4 segments served as video/mp4 from a CDN
  const mpd = classify(answer("https://www.site.test/watch/manifest.mpd", "application/dash+xml"));
  let state = addFind({}, 4, mpd);
  for (let n = 1; n <= 3; n++) {
    const seg = classify({ ...answer(`https://cdn.test/v/720/chunk-${n}.mp4`, "video/mp4", { length: 2 << 20 }), type: "xmlhttprequest" });
    state = addFind(state, 4, seg);
  }
  assert.deepEqual(listed(state, 4).map((f) => f.url), [mpd.url], "the stream, not its segments");
  // the same file played by a <video src> (a media request) is a file to offer
  const played = classify({ ...answer("https://cdn.test/v/trailer.mp4", "video/mp4", { length: 9 << 20 }), type: "media" });
  assert.equal(listed(addFind(state, 4, played), 4).length, 2);
  // and without a stream on the page, a file fetched by script is still offered
  const alone = classify({ ...answer("https://cdn.test/v/chunk-1.mp4", "video/mp4", { length: 2 << 20 }), type: "xmlhttprequest" });
  assert.equal(listed(addFind({}, 5, alone), 5).length, 1);
});

test("a CDN's cookies: what the browser sent with a stream's parts, per host, never the playlist host's", () => {
  const master = answer("https://site.test/v/master.m3u8", "application/vnd.apple.mpegurl");
  const segment = (url, type = "video/mp2t", extra = {}) => ({ ...answer(url, type, extra), type: "xmlhttprequest" });
  let state = noteResponse({}, segment("https://cdn.test/s/1.ts"), { Cookie: "cdn=early" });
  assert.deepEqual(state, {}, "no stream in the tab yet: nothing kept");
  state = noteResponse(state, master, { Cookie: "site=1", Referer: "https://site.test/watch" });
  state = noteResponse(state, segment("https://cdn.test/s/1.ts"), { Cookie: "cdn=a; token=x=y" });
  state = noteResponse(state, segment("https://cdn.test/s/2.ts"), { Cookie: "cdn=b; token=x=y" });  // latest wins
  assert.equal(noteResponse(state, segment("https://cdn.test/s/2.ts"), { Cookie: "cdn=b; token=x=y" }), state, "unchanged");
  state = noteResponse(state, segment("http://keys.test/k", "application/octet-stream"), { Cookie: "k=1" });   // not a part
  state = noteResponse(state, segment("http://keys.test/k.key", "application/octet-stream"), { Cookie: "k=2" });
  state = noteResponse(state, segment("https://ads.test/pixel.gif", "image/gif"), { Cookie: "track=1" });
  state = noteResponse(state, segment("https://cdn2.test/s/3.ts", "video/mp2t", { status: 403 }), { Cookie: "no=1" });
  state = noteResponse(state, segment("https://site.test/v/0.ts"), { Cookie: "site=1" });
  assert.deepEqual(Object.keys(state["4"].hosts), ["cdn.test", "keys.test", "site.test"]);
  assert.deepEqual(listed(state, 4).map((f) => f.url), ["https://site.test/v/master.m3u8"], "the finds are untouched");
  assert.deepEqual(hostCookies(state, 4, master.url), [
    { name: "cdn", value: "b", domain: "cdn.test", hostOnly: true, path: "/", secure: true },
    { name: "token", value: "x=y", domain: "cdn.test", hostOnly: true, path: "/", secure: true },
    { name: "k", value: "2", domain: "keys.test", hostOnly: true, path: "/", secure: false },
  ], "the playlist's own host is left out: its request's Cookie header goes already");
  assert.deepEqual(hostCookies(state, 5, master.url), [], "another tab's hosts are not this tab's");
  assert.deepEqual(forgetTab(state, 4), {}, "a navigation forgets the hosts with the finds");
  // a later find keeps the hosts
  const more = noteResponse(state, answer("https://site.test/other.mpd", "application/dash+xml"), null);
  assert.deepEqual(more["4"].hosts, state["4"].hosts);
});

test("stream parts: segments and keys by type or extension, audio/video a script fetched", () => {
  assert.equal(isStreamPart({ url: "https://c.test/a.m4s", responseHeaders: [] }), true);
  assert.equal(isStreamPart({ url: "https://c.test/x", responseHeaders: [{ name: "content-type", value: "video/MP2T" }] }), true);
  assert.equal(isStreamPart({ url: "https://c.test/x", type: "xmlhttprequest", responseHeaders: [{ name: "Content-Type", value: "video/mp4" }] }), true);
  assert.equal(isStreamPart({ url: "https://c.test/x", type: "media", responseHeaders: [{ name: "Content-Type", value: "video/mp4" }] }), false);
  assert.equal(isStreamPart({ url: "https://c.test/page", type: "xmlhttprequest", responseHeaders: [{ name: "Content-Type", value: "text/html" }] }), false);
});

test("property: hosts stay bounded, every cookie is host-only to a host a part came from, never the stream's", () => {
  const hostArb = fc.constantFrom("site.test", "cdn1.test", "cdn2.test", "cdn3.test", "cdn4.test", "cdn5.test",
    "cdn6.test", "cdn7.test", "cdn8.test", "cdn9.test", "cdnA.test");
  const cookieArb = fc.array(fc.tuple(fc.constantFrom("a", "b", "", " c"), fc.constantFrom("1", "x=y", "")), { minLength: 1, maxLength: 4 })
    .map((pairs) => pairs.map(([n, v]) => (n ? `${n}=${v}` : v)).join("; "));
  fc.assert(fc.property(fc.array(fc.tuple(hostArb, cookieArb), { maxLength: 40 }), (parts) => {
    let state = noteResponse({}, answer("https://site.test/m.m3u8", "application/vnd.apple.mpegurl"), null);
    const seen = new Set();
    for (const [host, cookie] of parts) {
      state = noteResponse(state, { ...answer(`https://${host}/s.ts`, "video/mp2t"), type: "xmlhttprequest" }, { Cookie: cookie });
      seen.add(host.toLowerCase());
    }
    assert.ok(Object.keys(state["4"].hosts ?? {}).length <= MAX_HOSTS);
    for (const c of hostCookies(state, 4, "https://site.test/m.m3u8")) {
      assert.ok(seen.has(c.domain) && c.domain !== "site.test" && c.hostOnly === true && c.name !== "", JSON.stringify(c));
    }
  }));
});
