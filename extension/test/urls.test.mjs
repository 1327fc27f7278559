import { test } from "node:test";
import assert from "node:assert/strict";
import { baseName, hasExtension, hostMatches, urlRefusal } from "../lib/urls.js";

test("only http and https go to paxel", () => {
  assert.equal(urlRefusal("https://a.test/x"), null);
  assert.equal(urlRefusal("HTTP://A.TEST/x"), null);
  assert.equal(urlRefusal("blob:null/1"), "blob-url");
  assert.equal(urlRefusal(undefined), "bad-url");
});

test("base names from Firefox paths, Windows paths and URL paths", () => {
  assert.equal(baseName("/tmp/dl/f.bin"), "f.bin");
  assert.equal(baseName("C:\\Users\\u\\f.bin"), "f.bin");
  assert.equal(baseName("/files/a%20b.zip"), "a b.zip");
  assert.equal(baseName("/files/bad%E0"), "bad%E0");
  assert.equal(baseName(null), "");
  // An encoded separator is no way out of the name (fast-check found "%5c" -> "\\").
  assert.equal(baseName("%5c"), "");
  assert.equal(baseName("/files/..%2F..%2Fetc%2Fpasswd"), "passwd");
  assert.equal(baseName("/files/a%5Cb.zip"), "b.zip");
});

test("extensions", () => {
  assert.ok(hasExtension("a.TAR.GZ", "gz"));
  assert.ok(hasExtension("a.TAR.GZ", "tar.gz"));
  assert.ok(hasExtension("/dl/a.iso", "iso"));
  assert.ok(!hasExtension("a.TAR.GZ", "tar"));
  assert.ok(!hasExtension("a.targz", "gz"));
  assert.ok(!hasExtension(".bashrc", "bashrc"));
  assert.ok(!hasExtension("noext", "noext"));
  assert.ok(!hasExtension("trailing.", "trailing"));
});

test("host matching does not match look-alike suffixes", () => {
  assert.ok(hostMatches("a.example.com", "example.com"));
  assert.ok(hostMatches("EXAMPLE.com.", "example.com"));
  assert.ok(!hostMatches("badexample.com", "example.com"));
});
