import { test } from "node:test";
import assert from "node:assert/strict";
import { cookieStoreFor, cookieQueries, selectCookies, partitionMatches, toWireCookie } from "../lib/cookies.js";

test("cookie store: the item's own store wins, else private/regular per browser", () => {
  assert.equal(cookieStoreFor({ isFirefox: true, incognito: false, cookieStoreId: "firefox-container-3" }), "firefox-container-3");
  assert.equal(cookieStoreFor({ isFirefox: true, incognito: true }), "firefox-private");
  assert.equal(cookieStoreFor({ isFirefox: true, incognito: false }), "firefox-default");
  assert.equal(cookieStoreFor({ isFirefox: false, incognito: true }), "1");
  assert.equal(cookieStoreFor({ isFirefox: false, incognito: false, cookieStoreId: "" }), "0");
});

test("Firefox queries: firstPartyDomain null, and every partition", () => {
  const q = cookieQueries({ url: "https://a.test/f", storeId: "firefox-private", isFirefox: true });
  assert.deepEqual(q, [
    { url: "https://a.test/f", storeId: "firefox-private", firstPartyDomain: null },
    { url: "https://a.test/f", storeId: "firefox-private", firstPartyDomain: null, partitionKey: {} },
  ]);
});

test("Chromium queries: the partition only when known", () => {
  assert.deepEqual(cookieQueries({ url: "https://a.test/f", storeId: "0", isFirefox: false }), [{ url: "https://a.test/f", storeId: "0" }]);
  const pk = { topLevelSite: "https://site.test" };
  assert.deepEqual(cookieQueries({ url: "https://a.test/f", storeId: "0", isFirefox: false, partitionKey: pk })[1], { url: "https://a.test/f", storeId: "0", partitionKey: pk });
});

test("partition matching by scheme and site", () => {
  assert.ok(partitionMatches(undefined, "https://x.test/"));
  assert.ok(partitionMatches({ topLevelSite: "https://site.test" }, "https://www.site.test/page"));
  assert.ok(!partitionMatches({ topLevelSite: "https://site.test" }, "http://site.test/page"));
  assert.ok(!partitionMatches({ topLevelSite: "https://site.test" }, "https://evilsite.test/"));
  assert.ok(!partitionMatches({ topLevelSite: "https://site.test" }, undefined));
});

test("selection drops other sites' partitions and duplicates from overlapping queries", () => {
  const plain = { name: "s", value: "1", domain: "a.test", path: "/" };
  const mine = { name: "p", value: "2", domain: "a.test", path: "/", partitionKey: { topLevelSite: "https://site.test" } };
  const theirs = { name: "p", value: "3", domain: "a.test", path: "/", partitionKey: { topLevelSite: "https://other.test" } };
  const picked = selectCookies([[plain], [plain, mine, theirs, null]], "https://site.test/page");
  assert.deepEqual(picked, [plain, mine]);
});

test("wire cookie: snake_case, session cookies have no expiry", () => {
  const browserCookie = { name: "paxel_session", value: "letmein", domain: "127.0.0.1", hostOnly: true, path: "/", secure: false, httpOnly: true, session: false, expirationDate: 1900000000.5, storeId: "0", sameSite: "lax" };
  assert.deepEqual(toWireCookie(browserCookie), {
    name: "paxel_session", value: "letmein", domain: "127.0.0.1", host_only: true, path: "/", secure: false, http_only: true, expiration_date: 1900000000.5,
  });
  assert.equal(toWireCookie({ ...browserCookie, session: true }).expiration_date, null);
  assert.equal(toWireCookie({ name: "a", value: "b", domain: ".x.test", path: "" }).path, "/");
});
