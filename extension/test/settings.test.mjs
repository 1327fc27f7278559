import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, normalizeSettings, parseList, normalizeDomain, normalizeType } from "../lib/settings.js";

test("nothing stored gives the defaults and no errors", () => {
  for (const raw of [undefined, null, {}, "junk", 42]) {
    assert.deepEqual(normalizeSettings(raw), { settings: { ...DEFAULT_SETTINGS }, errors: [] });
  }
});

test("lists are split, lower-cased, de-duplicated", () => {
  assert.deepEqual(parseList("ZIP, iso\n zip;;exe "), ["zip", "iso", "exe"]);
  assert.deepEqual(parseList(["a", "B"]), ["a", "b"]);
  assert.deepEqual(parseList(7), []);
});

test("domains: URLs and wildcards are reduced to the host", () => {
  assert.equal(normalizeDomain("https://www.Example.com:8080/path?q"), "www.example.com");
  assert.equal(normalizeDomain("*.example.com"), "example.com");
  assert.equal(normalizeDomain(".example.com."), "example.com");
  assert.equal(normalizeDomain("exa mple"), null);
  assert.equal(normalizeDomain("-bad.com"), null);
});

test("types: extensions and MIME patterns", () => {
  assert.equal(normalizeType(".ZIP"), "zip");
  assert.equal(normalizeType("*.tar.gz"), "tar.gz");
  assert.equal(normalizeType("video/*"), "video/*");
  assert.equal(normalizeType("a/b/c"), null);
  assert.equal(normalizeType("<script>"), null);
});

test("bad values are reported by field and replaced by defaults", () => {
  const { settings, errors } = normalizeSettings({
    enabled: "yes", minSize: -1, connections: 33, folder: "relative/dir", skipDomains: "ok.com bad_domain!", privateWindows: 1,
  });
  assert.deepEqual(errors.map((e) => e.field).sort(), ["connections", "enabled", "folder", "minSize", "privateWindows", "skipDomains"]);
  assert.equal(settings.enabled, true);
  assert.equal(settings.minSize, DEFAULT_SETTINGS.minSize);
  assert.equal(settings.connections, null);
  assert.equal(settings.folder, null);
  assert.deepEqual(settings.skipDomains, ["ok.com"]);
  assert.match(errors.find((e) => e.field === "skipDomains").message, /bad_domain!/);
});

test("good values are kept; empty numbers mean the service default", () => {
  const { settings, errors } = normalizeSettings({
    enabled: false, minSize: "0", connections: "16", folder: "C:\\Downloads", privateWindows: true, connections2: 1,
  });
  assert.deepEqual(errors, []);
  assert.equal(settings.minSize, 0);
  assert.equal(settings.connections, 16);
  assert.equal(settings.folder, "C:\\Downloads");
  assert.equal(normalizeSettings({ connections: "", minSize: "" }).settings.connections, null);
  assert.equal(normalizeSettings({ folder: "/home/u/Downloads" }).settings.folder, "/home/u/Downloads");
});

test("fractional or huge numbers are refused", () => {
  assert.equal(normalizeSettings({ connections: 2.5 }).errors[0].field, "connections");
  assert.equal(normalizeSettings({ minSize: 1.5 }).errors[0].field, "minSize");
  assert.equal(normalizeSettings({ minSize: Number.MAX_VALUE }).errors[0].field, "minSize");
  assert.equal(normalizeSettings({ minSize: NaN }).errors[0].field, "minSize");
});

test("stored junk that cannot become a number or a string is refused, never thrown", () => {
  // JSON from synced storage can hold {"toString": null}: converting it would throw.
  const junk = { toString: null };
  const { settings, errors } = normalizeSettings({
    minSize: junk, connections: [junk], includeTypes: [junk, "zip"], enabled: junk,
  });
  assert.equal(settings.minSize, DEFAULT_SETTINGS.minSize);
  assert.equal(settings.connections, null);
  assert.deepEqual(settings.includeTypes, ["zip"]);
  assert.deepEqual(errors.map((e) => e.field).sort(), ["connections", "enabled", "minSize"]);
});
