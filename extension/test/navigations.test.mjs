import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  forget, forwardedHeaders, matchDownload, MATCH_AFTER_MS, MATCH_BEFORE_MS, MAX_ENTRIES, noteHeaders, notePrivacy,
  noteRequest, noteResponse, prune, requestWait, sendHeadersOptions,
} from "../lib/navigations.js";

if (process.env.CI) fc.configureGlobal({ seed: 20261130 });

const T = Date.parse("2026-11-30T12:00:00Z");
const headers = [
  { name: "Cookie", value: "lax=1" },
  { name: "Referer", value: "http://localhost:8080/page.html" },
  { name: "User-Agent", value: "Mozilla/5.0 test" },
  { name: "Accept-Language", value: "fr-FR,fr;q=0.9" },
  { name: "Accept", value: "text/html" },
];

function sent(log, { requestId = "1", url, method = "GET", at = T, tabId = 3, extra = {} }) {
  let out = noteRequest(log, { requestId, url, method, tabId, timeStamp: at, ...extra });
  out = noteHeaders(out, { requestId, url, method, requestHeaders: headers, timeStamp: at + 1, ...extra });
  return out;
}

test("Chromium asks for extraHeaders (Cookie, Referer… are hidden without it); Firefox must not", () => {
  assert.deepEqual(sendHeadersOptions(false), ["requestHeaders", "extraHeaders"]);
  assert.deepEqual(sendHeadersOptions(true), ["requestHeaders"]);
});

test("a download matches the request whose last hop is its final URL, and gets its headers", () => {
  const log = sent([], { url: "http://127.0.0.1/f.bin" });
  const hit = matchDownload(log, { url: "http://127.0.0.1/f.bin", finalUrl: "http://127.0.0.1/f.bin", startTime: new Date(T + 50).toISOString(), incognito: false });
  assert.equal(hit.requestId, "1");
  assert.equal(hit.method, "GET");
  assert.deepEqual(forwardedHeaders(hit.headers), {
    Cookie: "lax=1", Referer: "http://localhost:8080/page.html", "User-Agent": "Mozilla/5.0 test", "Accept-Language": "fr-FR,fr;q=0.9",
  });
  assert.deepEqual(forget(log, hit), []);
});

test("a POST answered 303 is a GET of the redirect target; the POST itself stays a POST", () => {
  let log = noteRequest([], { requestId: "7", url: "http://a.test/export", method: "POST", tabId: 1, timeStamp: T });
  log = noteHeaders(log, { requestId: "7", url: "http://a.test/export", method: "POST", requestHeaders: headers, timeStamp: T });
  const posted = matchDownload(log, { url: "http://a.test/export", startTime: T + 10 });
  assert.equal(posted.method, "POST");
  log = noteRequest(log, { requestId: "7", url: "http://a.test/files/x.csv", method: "GET", tabId: 1, timeStamp: T + 5 });
  log = noteHeaders(log, { requestId: "7", url: "http://a.test/files/x.csv", method: "GET", requestHeaders: headers, timeStamp: T + 6 });
  assert.equal(log.length, 1);
  // Chromium: url is the first hop, finalUrl the last; Firefox gives one url.
  const chromium = matchDownload(log, { url: "http://a.test/export", finalUrl: "http://a.test/files/x.csv", startTime: T + 20 });
  assert.equal(chromium.method, "GET");
  assert.equal(chromium.url, "http://a.test/files/x.csv");
  assert.equal(matchDownload(log, { url: "http://a.test/files/x.csv", startTime: T + 20 }).method, "GET");
});

test("time: a request older than the window, or well after the download started, does not match", () => {
  const log = sent([], { url: "http://h/f" });
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T + MATCH_BEFORE_MS + 10 }), null);
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T - MATCH_AFTER_MS - 10 }), null);
  assert.ok(matchDownload(log, { url: "http://h/f", startTime: T }));
});

test("tab: a private download never takes a regular tab's request, nor a container another's", () => {
  let log = sent([], { requestId: "1", url: "http://h/f", extra: { incognito: false, cookieStoreId: "firefox-default" } });
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T, incognito: true }), null);
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T, cookieStoreId: "firefox-container-1" }), null);
  // Chromium learns privacy from the tab afterwards.
  log = sent([], { requestId: "2", url: "http://h/f" });
  log = notePrivacy(log, "2", true);
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T, incognito: false }), null);
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T, incognito: true }).requestId, "2");
});

test("of two requests for the same URL the newest wins, and each serves one download", () => {
  let log = sent([], { requestId: "1", url: "http://h/f", at: T });
  log = sent(log, { requestId: "2", url: "http://h/f", at: T + 100 });
  const first = matchDownload(log, { url: "http://h/f", startTime: T + 200 });
  assert.equal(first.requestId, "2");
  log = forget(log, first);
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T + 300 }).requestId, "1");
});

test("two tabs, one URL: each download gets the request whose answer started it, not the newest", () => {
  // Tab A (same-site, its Cookie has the SameSite=Strict session) and tab B (from another site,
  // no such cookie) ask for the same file 100 ms apart; A's answer comes first and starts A's
  // download. Newest-first gave A's download B's headers (and B's A's): paxel was refused with
  // A's and the browser's cookie went to B's.
  let log = noteRequest([], { requestId: "A", url: "http://h/f", method: "GET", tabId: 1, timeStamp: T });
  log = noteHeaders(log, { requestId: "A", url: "http://h/f", requestHeaders: [{ name: "Cookie", value: "strict=1" }], timeStamp: T });
  log = noteRequest(log, { requestId: "B", url: "http://h/f", method: "GET", tabId: 2, timeStamp: T + 100 });
  log = noteHeaders(log, { requestId: "B", url: "http://h/f", requestHeaders: [], timeStamp: T + 100 });
  log = noteResponse(log, { requestId: "A", url: "http://h/f", timeStamp: T + 150 });
  const a = matchDownload(log, { url: "http://h/f", startTime: T + 160 });
  assert.equal(a.requestId, "A");
  assert.deepEqual(forwardedHeaders(a.headers), { Cookie: "strict=1" });
  log = noteResponse(forget(log, a), { requestId: "B", url: "http://h/f", timeStamp: T + 400 });
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T + 410 }).requestId, "B");
});

test("a request answered long ago (a page, not a download) loses to the one whose answer started the download", () => {
  let log = sent([], { requestId: "old", url: "http://h/f", at: T });
  log = noteResponse(log, { requestId: "old", url: "http://h/f", timeStamp: T + 20 });
  log = sent(log, { requestId: "new", url: "http://h/f", at: T + 20000 });
  log = noteResponse(log, { requestId: "new", url: "http://h/f", timeStamp: T + 20050 });
  assert.equal(matchDownload(log, { url: "http://h/f", startTime: T + 20060 }).requestId, "new");
  // A response to an earlier hop (a redirect) says nothing of the final one.
  let hops = noteRequest([], { requestId: "r", url: "http://h/a", method: "GET", timeStamp: T });
  hops = noteResponse(hops, { requestId: "r", url: "http://h/a", timeStamp: T + 5 });
  hops = noteRequest(hops, { requestId: "r", url: "http://h/b", method: "GET", timeStamp: T + 6 });
  assert.equal(hops[0].respondedAt, undefined);
  assert.equal(noteResponse(hops, { requestId: "r", url: "http://h/a", timeStamp: T + 7 })[0].respondedAt, undefined);
});

test("Chromium waits for a request only when it saw one start; Firefox waits whenever none is complete", () => {
  const started = noteRequest([], { requestId: "1", url: "http://h/f", method: "GET", timeStamp: T })[0];
  const whole = sent([], { url: "http://h/f" })[0];
  assert.equal(requestWait(null, false, 1000), 0);      // Chromium, <a download>: no navigation
  assert.equal(requestWait(started, false, 1000), 1000); // its headers are on the way
  assert.equal(requestWait(whole, false, 1000), 0);
  assert.equal(requestWait(null, true, 1000), 1000);     // Firefox: its events may come later
  assert.equal(requestWait(whole, true, 1000), 0);
});

test("forwardedHeaders keeps only the five, in canonical case, and decodes binaryValue", () => {
  assert.deepEqual(forwardedHeaders([
    { name: "cookie", value: "a=1" }, { name: "COOKIE", value: "b=2" }, { name: "origin", value: "null" },
    { name: "Authorization", value: "x" }, { name: "x-other", value: "y" },
  ]), { Cookie: "a=1; b=2", Origin: "null" });
  const log = noteHeaders(noteRequest([], { requestId: "1", url: "http://h/", timeStamp: T }),
    { requestId: "1", url: "http://h/", requestHeaders: [{ name: "Referer", binaryValue: [104, 233] }], timeStamp: T });
  assert.deepEqual(forwardedHeaders(log[0].headers), { Referer: "h\u00e9" });
});

test("events that are not webRequest details leave the log alone", () => {
  const log = sent([], { url: "http://h/f" });
  for (const junk of [undefined, null, {}, { requestId: 5, url: "x" }, { requestId: "1" }]) {
    assert.equal(noteRequest(log, junk), log);
    assert.equal(noteHeaders(log, junk), log);
  }
});

const event = fc.record({
  kind: fc.constantFrom("request", "headers", "privacy"),
  requestId: fc.constantFrom("1", "2", "3", "4"),
  url: fc.constantFrom("http://a/x", "http://a/y", "http://b/x"),
  method: fc.constantFrom("GET", "POST", "get", undefined),
  tabId: fc.integer({ min: -1, max: 3 }),
  incognito: fc.option(fc.boolean(), { nil: undefined }),
  dt: fc.integer({ min: 0, max: 90000 }),
});

test("property: whatever the events, the log is bounded, one entry per request, and a match fits the rules", () => {
  fc.assert(fc.property(fc.array(event, { maxLength: 60 }), fc.constantFrom("http://a/x", "http://b/x"), fc.option(fc.boolean(), { nil: undefined }),
    (events, url, incognito) => {
      let log = [];
      let now = T;
      for (const e of events) {
        now += e.dt;
        if (e.kind === "request") log = noteRequest(prune(log, now), { requestId: e.requestId, url: e.url, method: e.method, tabId: e.tabId, timeStamp: now, incognito: e.incognito });
        else if (e.kind === "headers") log = noteHeaders(log, { requestId: e.requestId, url: e.url, method: e.method, requestHeaders: headers, timeStamp: now });
        else log = notePrivacy(log, e.requestId, e.incognito);
      }
      assert.ok(log.length <= MAX_ENTRIES);
      assert.equal(new Set(log.map((e) => e.requestId)).size, log.length);
      const hit = matchDownload(log, { url, finalUrl: url, startTime: now, incognito });
      if (hit) {
        assert.equal(hit.url, url);
        assert.ok(hit.at >= now - MATCH_BEFORE_MS && hit.at <= now + MATCH_AFTER_MS);
        if (typeof incognito === "boolean" && typeof hit.incognito === "boolean") assert.equal(hit.incognito, incognito);
        assert.equal(matchDownload(forget(log, hit), { url, finalUrl: url, startTime: now, incognito })?.requestId === hit.requestId, false);
      }
    }));
});

test("a match is complete only once its headers were seen", async () => {
  const { complete } = await import("../lib/navigations.js");
  const log = noteRequest([], { requestId: "1", url: "http://h/f", method: "GET", timeStamp: T });
  assert.equal(complete(matchDownload(log, { url: "http://h/f", startTime: T })), false);
  assert.equal(complete(null), false);
  assert.equal(complete(matchDownload(noteHeaders(log, { requestId: "1", url: "http://h/f", requestHeaders: [], timeStamp: T }), { url: "http://h/f", startTime: T })), true);
});
