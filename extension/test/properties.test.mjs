// Invariants of the pure modules over generated inputs (fast-check, the JS analogue of hypothesis).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decide, INTERCEPT } from "../lib/rules.js";
import { normalizeSettings } from "../lib/settings.js";
import { selectCookies, partitionMatches } from "../lib/cookies.js";
import { buildDownload } from "../lib/messages.js";
import "../lib/format.js";
const { applyEvent, segmentBlocks } = globalThis.paxelFormat;
import { urlRefusal } from "../lib/urls.js";

// CI replays one fixed seed so a run cannot fail on a case no developer has seen; locally every
// run explores new cases.
if (process.env.CI) fc.configureGlobal({ seed: 20261123 });

const anything = fc.anything({ withNullPrototype: false });
const rawSettings = fc.record(
  {
    enabled: fc.oneof(fc.boolean(), anything),
    minSize: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string(), anything),
    connections: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.string(), anything),
    folder: fc.oneof(fc.constant("/home/u/dl"), fc.string(), anything),
    includeTypes: fc.oneof(fc.string(), fc.array(fc.string())),
    excludeTypes: fc.oneof(fc.string(), fc.array(fc.string())),
    skipDomains: fc.oneof(fc.string(), fc.array(fc.domain())),
    privateWindows: fc.oneof(fc.boolean(), anything),
  },
  { requiredKeys: [] },
);

test("settings: whatever comes in, the result is valid and normalizing it again changes nothing", () => {
  fc.assert(
    fc.property(rawSettings, (raw) => {
      const { settings } = normalizeSettings(raw);
      const again = normalizeSettings(settings);
      assert.deepEqual(again.errors, []);
      assert.deepEqual(again.settings, settings);
      assert.ok(Number.isSafeInteger(settings.minSize) && settings.minSize >= 0);
      assert.ok(settings.connections === null || (settings.connections >= 1 && settings.connections <= 32));
    }),
  );
});

const candidate = fc.record({
  url: fc.oneof(fc.webUrl(), fc.string(), fc.constantFrom("blob:https://a.test/1", "data:,x", "ftp://a.test/f")),
  referrer: fc.oneof(fc.webUrl(), fc.constant(""), fc.constant(undefined)),
  filename: fc.string(),
  mime: fc.oneof(fc.constant(undefined), fc.constantFrom("video/mp4", "application/zip", "text/html")),
  size: fc.oneof(fc.constant(null), fc.nat()),
  incognito: fc.boolean(),
  probed: fc.boolean(),
});

test("rules: only http(s) is ever intercepted, and never from a private window unless allowed", () => {
  fc.assert(
    fc.property(candidate, rawSettings, (c, raw) => {
      const settings = normalizeSettings(raw).settings;
      const verdict = decide(c, settings);
      if (verdict.action === INTERCEPT) {
        assert.equal(urlRefusal(c.url), null);
        assert.ok(settings.enabled);
        assert.ok(!c.incognito || settings.privateWindows);
        if (settings.minSize > 0 && c.size !== null) assert.ok(c.size >= settings.minSize);
      }
    }),
  );
});

test("download requests always carry an http(s) URL and only wire-named cookie fields", () => {
  const browserCookie = fc.record({
    name: fc.string(), value: fc.string(), domain: fc.domain(), path: fc.constantFrom("/", "/a", ""),
    hostOnly: fc.boolean(), secure: fc.boolean(), httpOnly: fc.boolean(), session: fc.boolean(),
    expirationDate: fc.double({ min: 0, max: 4e9, noNaN: true }), storeId: fc.string(),
  });
  fc.assert(
    fc.property(fc.webUrl(), fc.array(browserCookie, { maxLength: 5 }), fc.string(), (url, cookies, filename) => {
      const req = buildDownload({ url, cookies, filename, source: "click" }, normalizeSettings({}).settings);
      assert.equal(urlRefusal(req.url), null);
      assert.ok(!("filename" in req) || !/[\\/]/.test(req.filename));
      for (const c of req.cookies) {
        assert.deepEqual(Object.keys(c).sort(), ["domain", "expiration_date", "host_only", "http_only", "name", "path", "secure", "value"]);
      }
    }),
  );
});

test("cookie selection never returns another site's partition", () => {
  const site = fc.constantFrom("https://site.test", "https://other.test", "http://site.test");
  const cookie = fc.record({
    name: fc.constantFrom("a", "b"), value: fc.string(), domain: fc.constantFrom("x.test", ".x.test"), path: fc.constant("/"),
    partitionKey: fc.oneof(fc.constant(undefined), fc.record({ topLevelSite: site })),
  });
  fc.assert(
    fc.property(fc.array(fc.array(cookie, { maxLength: 6 }), { maxLength: 3 }), (results) => {
      const picked = selectCookies(results, "https://www.site.test/page");
      for (const c of picked) assert.ok(partitionMatches(c.partitionKey, "https://www.site.test/page"));
      const keys = picked.map((c) => JSON.stringify([c.name, c.domain, c.path, c.partitionKey?.topLevelSite ?? null]));
      assert.equal(new Set(keys).size, keys.length);
    }),
  );
});

test("segment blocks stay inside the bar", () => {
  const view = fc.nat({ max: 1e9 }).chain((total) =>
    fc.record({
      total: fc.constant(total),
      segments: fc.array(fc.tuple(fc.integer({ min: -10, max: total + 10 }), fc.integer({ min: -10, max: total + 10 }), fc.integer({ min: -10, max: total + 10 }))),
    }),
  );
  fc.assert(
    fc.property(view, (v) => {
      for (const b of segmentBlocks(v)) {
        assert.ok(b.left >= 0 && b.width > 0 && b.left + b.width <= 100 + 1e-9);
        assert.ok(b.fill >= 0 && b.fill <= 100);
      }
    }),
  );
});

test("events keep one entry per download, newest first", () => {
  const ids = fc.constantFrom("d-1", "d-2", "d-3");
  const event = fc.oneof(
    fc.record({ event: fc.constantFrom("added", "paused", "completed", "failed"), data: fc.record({ download: fc.record({ download_id: ids, created_at: fc.nat(), state: fc.constant("running") }) }) }),
    fc.record({ event: fc.constant("removed"), data: fc.record({ download_id: ids }) }),
    fc.record({ event: fc.constant("progress"), data: fc.record({ downloads: fc.array(fc.record({ download_id: ids, created_at: fc.nat(), state: fc.constant("running") })) }) }),
  );
  fc.assert(
    fc.property(fc.array(event), (events) => {
      const list = events.reduce(applyEvent, []);
      assert.equal(new Set(list.map((v) => v.download_id)).size, list.length);
      for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].created_at >= list[i].created_at);
    }),
  );
});
