import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, browserSize, INTERCEPT, LEAVE, PROBE } from "../lib/rules.js";
import { DEFAULT_SETTINGS, normalizeSettings } from "../lib/settings.js";

const settings = (over = {}) => normalizeSettings({ ...DEFAULT_SETTINGS, ...over }).settings;
const big = { url: "https://example.com/a/big.iso", referrer: "https://example.com/", filename: "big.iso", mime: "application/octet-stream", size: 50 * 1024 * 1024, incognito: false };

test("a large http download is intercepted", () => {
  assert.deepEqual(decide(big, settings()), { action: INTERCEPT, reason: "rules-matched" });
});

test("switched off leaves everything to the browser", () => {
  assert.equal(decide(big, settings({ enabled: false })).reason, "disabled");
});

for (const [url, reason] of [
  ["blob:https://example.com/5b1c-11", "blob-url"],
  ["data:application/octet-stream;base64,AAAA", "data-url"],
  ["ftp://example.com/f.iso", "scheme"],
  ["file:///etc/passwd", "scheme"],
  ["not a url", "bad-url"],
]) {
  test(`${reason}: ${url.slice(0, 20)} stays with the browser`, () => {
    assert.deepEqual(decide({ ...big, url }, settings()), { action: LEAVE, reason });
  });
}

test("private windows are skipped unless enabled", () => {
  assert.equal(decide({ ...big, incognito: true }, settings()).reason, "private-window");
  assert.equal(decide({ ...big, incognito: true }, settings({ privateWindows: true })).action, INTERCEPT);
});

test("skip list matches the site and its subdomains, by URL or referrer", () => {
  const s = settings({ skipDomains: "example.com" });
  assert.equal(decide(big, s).reason, "skipped-site");
  assert.equal(decide({ ...big, url: "https://cdn.example.com/x.iso", referrer: "" }, s).reason, "skipped-site");
  assert.equal(decide({ ...big, url: "https://other.org/x.iso", referrer: "https://www.example.com/page" }, s).reason, "skipped-site");
  assert.equal(decide({ ...big, url: "https://notexample.com/x.iso", referrer: "" }, s).action, INTERCEPT);
});

test("include and exclude types by extension and by MIME pattern", () => {
  assert.equal(decide(big, settings({ excludeTypes: ".ISO" })).reason, "excluded-type");
  assert.equal(decide(big, settings({ includeTypes: "zip" })).reason, "not-included-type");
  assert.equal(decide(big, settings({ includeTypes: "zip iso" })).action, INTERCEPT);
  const video = { ...big, filename: "clip", mime: "video/mp4; codecs=avc1" };
  assert.equal(decide(video, settings({ includeTypes: "video/*" })).action, INTERCEPT);
  assert.equal(decide(video, settings({ excludeTypes: "video/mp4" })).reason, "excluded-type");
});

test("a type with a dot in it (tar.gz) matches the end of the name, not just the last extension", () => {
  const tarball = { ...big, url: "https://example.com/src.TAR.GZ", filename: "src.TAR.GZ" };
  assert.equal(decide(tarball, settings({ excludeTypes: "*.tar.gz" })).reason, "excluded-type");
  assert.equal(decide(tarball, settings({ includeTypes: "tar.gz" })).action, INTERCEPT);
  assert.equal(decide(tarball, settings({ includeTypes: "gz" })).action, INTERCEPT);
  assert.equal(decide(tarball, settings({ includeTypes: "r.gz" })).reason, "not-included-type");
  assert.equal(decide({ ...big, filename: ".iso", url: "https://example.com/.iso" }, settings({ includeTypes: "iso" })).reason, "not-included-type");
});

test("extension comes from the URL when the browser has no file name yet", () => {
  assert.equal(decide({ ...big, filename: "" }, settings({ excludeTypes: "iso" })).reason, "excluded-type");
});

test("below the minimum size the browser keeps it; unknown size asks for a probe", () => {
  const s = settings({ minSize: 1000 });
  assert.equal(decide({ ...big, size: 999 }, s).reason, "below-minimum-size");
  assert.equal(decide({ ...big, size: 1000 }, s).action, INTERCEPT);
  assert.equal(decide({ ...big, size: null }, s).action, PROBE);
  assert.equal(decide({ ...big, size: 10, probed: true }, s).action, LEAVE);
  assert.equal(decide({ ...big, size: null, probed: true }, s).action, INTERCEPT);
  assert.equal(decide({ ...big, size: null }, settings({ minSize: 0 })).action, INTERCEPT);
});

test("browser sizes: -1 (Firefox) and 0 (Chromium) are unknown", () => {
  assert.equal(browserSize(-1), null);
  assert.equal(browserSize(0), null);
  assert.equal(browserSize(undefined), null);
  assert.equal(browserSize(12), 12);
});

test("a download the browser fetched by POST stays with the browser; GET (any case) does not", () => {
  assert.deepEqual(decide({ ...big, method: "POST" }, settings()), { action: LEAVE, reason: "post" });
  assert.equal(decide({ ...big, method: "PUT" }, settings()).reason, "post");
  assert.equal(decide({ ...big, method: "get" }, settings()).action, INTERCEPT);
  assert.equal(decide({ ...big, method: undefined }, settings()).action, INTERCEPT);
});

test("filesystem: URLs stay with the browser", () => {
  assert.deepEqual(decide({ ...big, url: "filesystem:https://example.com/temporary/a.iso" }, settings()), { action: LEAVE, reason: "filesystem-url" });
});

test("bypass answers only for a download paxel would have taken or probed", () => {
  assert.deepEqual(decide({ ...big, bypass: true }, settings()), { action: LEAVE, reason: "bypass" });
  assert.deepEqual(decide({ ...big, size: null, bypass: true }, settings({ minSize: 1024 })), { action: LEAVE, reason: "bypass" });
  assert.equal(decide({ ...big, size: 10, bypass: true }, settings({ minSize: 1024 })).reason, "below-minimum-size");
  assert.equal(decide({ ...big, method: "POST", bypass: true }, settings()).reason, "post");
  assert.equal(decide({ ...big, bypass: true }, settings({ enabled: false })).reason, "disabled");
});

test("a playlist link is a stream: the minimum size (a file's rule) does not leave it with the browser", async () => {
  const { decide: decideAgain } = await import("../lib/rules.js");
  const { DEFAULT_SETTINGS: defaults } = await import("../lib/settings.js");
  const settings = { ...defaults, minSize: 1 << 20 };
  const small = { url: "https://cdn.test/show/master.m3u8", filename: "master.m3u8", size: 900, mime: "application/vnd.apple.mpegurl" };
  assert.deepEqual(decideAgain(small, settings), { action: "intercept", reason: "stream" });
  assert.deepEqual(decideAgain({ ...small, url: "https://cdn.test/get?id=1", filename: "get", mime: "application/dash+xml" }, settings),
    { action: "intercept", reason: "stream" });
  assert.equal(decideAgain({ ...small, bypass: true }, settings).reason, "bypass");
  assert.equal(decideAgain({ ...small, url: "https://cdn.test/notes.txt", filename: "notes.txt", mime: "text/plain" }, settings).reason,
    "below-minimum-size");
});
