import { test } from "node:test";
import assert from "node:assert/strict";
import { buildAction, buildDownload, buildHello, buildProbe, classifyHostError, clientName, isFirefoxUrl, PROTOCOL_VERSION, RequestError } from "../lib/messages.js";
import { DEFAULT_SETTINGS } from "../lib/settings.js";

const cookie = { name: "paxel_session", value: "letmein", domain: "127.0.0.1", hostOnly: true, path: "/", secure: false, httpOnly: false, session: true };

test("hello names the client the way the host checks it", () => {
  assert.equal(clientName("chrome-extension://abc/", "abc"), "chrome-extension://abc/");
  assert.equal(clientName("moz-extension://1234-uuid/", "paxel@paxel.io"), "firefox:paxel@paxel.io");
  assert.deepEqual(buildHello("moz-extension://u/", "paxel@paxel.io"), { type: "hello", client: "firefox:paxel@paxel.io", version: PROTOCOL_VERSION, start: true });
  assert.equal(buildHello("moz-extension://u/", "paxel@paxel.io", false).start, false);
  assert.ok(isFirefoxUrl("moz-extension://u/"));
  assert.ok(!isFirefoxUrl("chrome-extension://u/"));
});

test("download request: wire names, defaults left out, base name only", () => {
  const req = buildDownload(
    { url: "http://127.0.0.1:8080/private/f.bin", filename: "/home/u/Downloads/f.bin", referrer: "http://127.0.0.1:8080/page.html", userAgent: "UA/1", cookies: [cookie], source: "click" },
    DEFAULT_SETTINGS,
  );
  assert.deepEqual(req, {
    type: "download",
    url: "http://127.0.0.1:8080/private/f.bin",
    filename: "f.bin",
    referrer: "http://127.0.0.1:8080/page.html",
    user_agent: "UA/1",
    cookies: [{ name: "paxel_session", value: "letmein", domain: "127.0.0.1", host_only: true, path: "/", secure: false, http_only: false, expiration_date: null }],
    source: "click",
  });
});

test("download request carries connections and folder when set", () => {
  const req = buildDownload({ url: "https://a.test/x", source: "context-menu", filename: "" }, { ...DEFAULT_SETTINGS, connections: 4, folder: "/srv/dl" });
  assert.equal(req.connections, 4);
  assert.equal(req.folder, "/srv/dl");
  assert.equal("filename" in req, false);
  assert.deepEqual(req.cookies, []);
});

test("a non-http referrer is dropped, a non-http URL refused", () => {
  const req = buildDownload({ url: "https://a.test/x", referrer: "about:blank", source: "click" }, DEFAULT_SETTINGS);
  assert.equal("referrer" in req, false);
  assert.throws(() => buildDownload({ url: "blob:https://a.test/1", source: "click" }, DEFAULT_SETTINGS), RequestError);
  assert.throws(() => buildProbe({ url: "data:,x" }), /blob|data-url/);
  assert.throws(() => buildDownload({ url: "https://a.test/x", source: "cli" }, DEFAULT_SETTINGS), /unknown source/);
});

test("probe request", () => {
  assert.deepEqual(buildProbe({ url: "https://a.test/x", userAgent: "UA", cookies: [] }), { type: "probe", url: "https://a.test/x", user_agent: "UA", cookies: [] });
});

test("popup actions: only known ones, with their fields", () => {
  assert.deepEqual(buildAction("pause", "d-1"), { type: "pause", download_id: "d-1" });
  assert.deepEqual(buildAction("remove", "d-1", { delete_file: true }), { type: "remove", download_id: "d-1", delete_file: true });
  assert.deepEqual(buildAction("remove", "d-1", { delete_file: "yes" }), { type: "remove", download_id: "d-1" });
  assert.deepEqual(buildAction("open", "d-1", { what: "folder" }), { type: "open", download_id: "d-1", what: "folder" });
  assert.throws(() => buildAction("open", "d-1", { what: "/etc" }), (err) => err instanceof RequestError && err.code === "BAD_FIELD");
  assert.throws(() => buildAction("shutdown", "d-1"), /unknown action/);
  assert.deepEqual(buildAction("duplicate_answer", "d-1", { choice: "skip" }), { type: "duplicate_answer", download_id: "d-1", choice: "skip" });
  assert.throws(() => buildAction("duplicate_answer", "d-1", { choice: "delete" }), /choice/);
  assert.deepEqual(buildAction("start_now", "d-1"), { type: "start_now", download_id: "d-1" });
  assert.throws(() => buildAction("pause", ""), /download_id/);
  assert.throws(() => buildAction("pause", 3), /download_id/);
});

test("host errors classified from the browsers' own messages", () => {
  assert.equal(classifyHostError("Specified native messaging host not found."), "not_installed");
  assert.equal(classifyHostError("No such native application io.paxel.host"), "not_installed");
  assert.equal(classifyHostError("Access to the specified native messaging host is forbidden."), "forbidden");
  assert.equal(classifyHostError("Native host has exited."), "failed");
  assert.equal(classifyHostError(undefined), "failed");
});

test("with the browser's real headers: Cookie, Accept-Language, Origin as headers, its Referer and UA, no cookie store", () => {
  const sent = { Cookie: "lax=1; s=2", Referer: "http://localhost:1/p.html", "User-Agent": "UA-real", "Accept-Language": "fr", Origin: "http://localhost:1" };
  const req = buildDownload({ url: "http://127.0.0.1:1/f", referrer: "http://other/", userAgent: "UA-nav", cookies: [{ name: "strict", value: "1", domain: "127.0.0.1" }], sent, source: "click" }, DEFAULT_SETTINGS);
  assert.deepEqual(req, {
    type: "download", url: "http://127.0.0.1:1/f", referrer: "http://localhost:1/p.html", user_agent: "UA-real",
    headers: { Cookie: "lax=1; s=2", "Accept-Language": "fr", Origin: "http://localhost:1" }, source: "click",
  });
  // A Referer the page's policy left out stays out; no Cookie sent means none.
  const bare = buildDownload({ url: "http://h/f", referrer: "http://h/page", userAgent: "UA", sent: { "User-Agent": "UA" }, source: "click" }, DEFAULT_SETTINGS);
  assert.deepEqual(bare, { type: "download", url: "http://h/f", user_agent: "UA", source: "click" });
  // The probe carries the same request as the download (the service's one request model).
  const { type: _p, ...probed } = buildProbe({ url: "http://127.0.0.1:1/f", sent });
  const { type: _d, source: _s, ...downloaded } = req;
  assert.deepEqual(probed, downloaded);
});

test("a stream from the popup: source media, the quality asked, and media_probe with the same request fields", async () => {
  const { buildMediaProbe } = await import("../lib/messages.js");
  const sent = { Cookie: "s=1", Referer: "https://page.test/watch", "User-Agent": "UA/2" };
  const req = buildDownload({ url: "https://cdn.test/m.m3u8", source: "media", sent, media: { quality: 720 }, filename: "Show" }, DEFAULT_SETTINGS);
  assert.deepEqual(req.media, { quality: 720 });
  assert.equal(req.source, "media");
  assert.deepEqual(buildDownload({ url: "https://cdn.test/m.m3u8", source: "media", sent, media: { quality: null } }, DEFAULT_SETTINGS).media, {});
  assert.throws(() => buildDownload({ url: "https://cdn.test/m.m3u8", source: "media", media: { quality: 0 } }, DEFAULT_SETTINGS), RequestError);
  // a CDN's own cookies (mediasniff.hostCookies) go along as cookies, each for its host
  const cdn = { name: "cdn", value: "b", domain: "seg.test", hostOnly: true, path: "/", secure: true };
  assert.deepEqual(buildDownload({ url: "https://cdn.test/m.m3u8", source: "media", sent, hostCookies: [cdn] }, DEFAULT_SETTINGS).cookies,
    [{ name: "cdn", value: "b", domain: "seg.test", host_only: true, path: "/", secure: true, http_only: false, expiration_date: null }]);
  assert.equal(buildDownload({ url: "https://cdn.test/m.m3u8", source: "media", sent, hostCookies: [] }, DEFAULT_SETTINGS).cookies, undefined);
  const probe = buildMediaProbe({ url: "https://cdn.test/m.m3u8", sent });
  assert.deepEqual(probe, { type: "media_probe", url: "https://cdn.test/m.m3u8", referrer: "https://page.test/watch", user_agent: "UA/2", headers: { Cookie: "s=1" } });
});

