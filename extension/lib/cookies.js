// Which cookies go with a download: the right cookie store, the right partition. Pure.
import { parseUrl } from "./urls.js";

/**
 * The cookie store a download or tab belongs to.
 * Firefox names stores (`firefox-default`, `firefox-private`, `firefox-container-N`) and gives
 * them on tabs and download items; Chromium has "0" (regular) and "1" (incognito).
 */
export function cookieStoreFor({ isFirefox, incognito, cookieStoreId }) {
  if (typeof cookieStoreId === "string" && cookieStoreId) return cookieStoreId;
  if (isFirefox) return incognito ? "firefox-private" : "firefox-default";
  return incognito ? "1" : "0";
}

/**
 * The cookies.getAll queries to run for `url`: unpartitioned cookies, plus partitioned ones
 * (CHIPS / Firefox state partitioning) when the top-level page is known. Firefox needs
 * `firstPartyDomain: null` (or getAll throws with first-party isolation on) and reads every
 * partition with `partitionKey: {}`; `selectCookies` then keeps the top-level site's partition.
 */
export function cookieQueries({ url, storeId, isFirefox, partitionKey }) {
  const base = { url, storeId };
  if (isFirefox) base.firstPartyDomain = null;
  const queries = [base];
  if (isFirefox) queries.push({ ...base, partitionKey: {} });
  else if (partitionKey && partitionKey.topLevelSite) queries.push({ ...base, partitionKey });
  return queries;
}

/** A partition belongs to the page when the page's host is the site's host or under it. */
export function partitionMatches(partitionKey, topLevelUrl) {
  if (!partitionKey || !partitionKey.topLevelSite) return true;
  const site = parseUrl(partitionKey.topLevelSite);
  const page = parseUrl(topLevelUrl);
  if (!site || !page) return false;
  if (site.protocol !== page.protocol) return false;
  const h = page.hostname;
  return h === site.hostname || h.endsWith(`.${site.hostname}`);
}

/**
 * Merge the results of the queries: drop other sites' partitions and duplicates. When a name
 * exists both partitioned and not, both are kept (the server sees both in a browser, too).
 */
export function selectCookies(results, topLevelUrl) {
  const seen = new Set();
  const out = [];
  for (const cookie of results.flat()) {
    if (!cookie || typeof cookie.name !== "string") continue;
    if (cookie.partitionKey && !partitionMatches(cookie.partitionKey, topLevelUrl)) continue;
    const key = JSON.stringify([cookie.name, cookie.domain, cookie.path, cookie.partitionKey?.topLevelSite ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(cookie);
  }
  return out;
}

/** A browser cookie as the wire's cookie object (docs/protocol.md, `download.cookies`). */
export function toWireCookie(c) {
  return {
    name: c.name,
    value: c.value,
    domain: c.domain,
    host_only: Boolean(c.hostOnly),
    path: c.path || "/",
    secure: Boolean(c.secure),
    http_only: Boolean(c.httpOnly),
    expiration_date: typeof c.expirationDate === "number" && !c.session ? c.expirationDate : null,
  };
}
