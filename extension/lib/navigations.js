// The navigation requests the browser really sent, and which one a download came from. Pure:
// the background feeds in webRequest details and gets plain values back.
//
// Why: a download is the answer to a main_frame/sub_frame request. What paxel must replay is that
// request: its method (a POST cannot be replayed) and its headers (the Cookie header the browser
// chose, SameSite included, Referer as the page's policy cut it, Accept-Language, Origin).
// cookies.getAll and navigator.userAgent only approximate them.
//
// The log is a plain array of entries, newest last, one per webRequest requestId:
//   {requestId, url, urls (every hop), method, tabId, incognito, cookieStoreId, at, headers}
// `at` is the time (ms since the epoch, webRequest's timeStamp) the last hop's headers were sent;
// `headers` is that hop's requestHeaders array, or null until onSendHeaders.

/** How long a request may wait for its download: slow servers answer late. */
export const MATCH_BEFORE_MS = 60000;
/** A download's startTime may read slightly before the request's timeStamp (clock rounding). */
export const MATCH_AFTER_MS = 5000;
/** At most this many requests are remembered; navigations are frequent, downloads rare. */
export const MAX_ENTRIES = 200;

/** What onBeforeRequest / onSendHeaders listen to: the requests a download can come from. */
export const REQUEST_FILTER = Object.freeze({ urls: ["<all_urls>"], types: ["main_frame", "sub_frame"] });

/**
 * onSendHeaders' extra-info spec. Chromium hides Cookie, Referer, Accept-Language and Origin
 * unless "extraHeaders" is asked for; Firefox shows every header and rejects the unknown option.
 */
export function sendHeadersOptions(isFirefox) {
  return isFirefox ? ["requestHeaders"] : ["requestHeaders", "extraHeaders"];
}

function upper(method) {
  return typeof method === "string" && method ? method.toUpperCase() : null;
}

function privacyOf(details) {
  const out = {};
  if (typeof details.incognito === "boolean") out.incognito = details.incognito;
  if (typeof details.cookieStoreId === "string" && details.cookieStoreId) out.cookieStoreId = details.cookieStoreId;
  return out;
}

/** Drop entries too old to match any download still to come, then keep the newest MAX_ENTRIES. */
export function prune(log, now) {
  const fresh = log.filter((e) => now - e.at <= MATCH_BEFORE_MS);
  return fresh.length > MAX_ENTRIES ? fresh.slice(fresh.length - MAX_ENTRIES) : fresh;
}

/**
 * onBeforeRequest: a new request, or the next hop of a redirected one (same requestId, the new
 * URL and the method the browser will use: a POST answered 303 arrives here as GET).
 */
export function noteRequest(log, details) {
  if (typeof details?.requestId !== "string" || typeof details.url !== "string") return log;
  const at = Number(details.timeStamp) || 0;
  const previous = log.find((e) => e.requestId === details.requestId);
  const others = log.filter((e) => e !== previous);
  const entry = {
    requestId: details.requestId,
    url: details.url,
    urls: [...(previous?.urls ?? []), details.url],
    method: upper(details.method) ?? previous?.method ?? null,
    tabId: Number.isInteger(details.tabId) ? details.tabId : previous?.tabId ?? -1,
    ...privacyOf(previous ?? {}),
    ...privacyOf(details),
    at,
    headers: null,
  };
  return [...others, entry];
}

/** onSendHeaders: the headers of the entry's current hop, as they went out. */
export function noteHeaders(log, details) {
  if (typeof details?.requestId !== "string" || !Array.isArray(details.requestHeaders)) return log;
  return log.map((e) => {
    if (e.requestId !== details.requestId || e.url !== details.url) return e;
    return {
      ...e,
      method: upper(details.method) ?? e.method,
      ...privacyOf(details),
      at: Number(details.timeStamp) || e.at,
      headers: details.requestHeaders.map((h) => ({ name: String(h.name), value: headerValue(h) })),
    };
  });
}

/**
 * onHeadersReceived: the answer to the entry's current hop began (`respondedAt`). A download
 * starts as its answer arrives, so this time, not the request's, tells apart two requests for
 * one URL (two tabs) and a request answered long ago by a page.
 */
export function noteResponse(log, details) {
  if (typeof details?.requestId !== "string") return log;
  const at = Number(details.timeStamp);
  if (!Number.isFinite(at)) return log;
  return log.map((e) => (e.requestId === details.requestId && e.url === details.url ? { ...e, respondedAt: at } : e));
}

/** Chromium's tab lookup, made after the fact (its webRequest details carry no incognito). */
export function notePrivacy(log, requestId, incognito) {
  return log.map((e) => (e.requestId === requestId && typeof incognito === "boolean" ? { ...e, incognito } : e));
}

function headerValue(h) {
  if (typeof h.value === "string") return h.value;
  // Chromium gives bytes that are not valid UTF-8 as binaryValue: keep them byte for byte.
  if (Array.isArray(h.binaryValue)) return String.fromCharCode(...h.binaryValue.map((b) => b & 0xff));
  return "";
}

function startOf(download) {
  const t = typeof download.startTime === "number" ? download.startTime : Date.parse(download.startTime ?? "");
  return Number.isFinite(t) ? t : null;
}

/**
 * The request a download came from. A DownloadItem carries no requestId and no tab, so:
 *  1. URL: the request's last hop is the download's final URL (Chromium `finalUrl`; Firefox's
 *     `url` is already the final one);
 *  2. time: the last hop was sent at most MATCH_BEFORE_MS before the download started, and at
 *     most MATCH_AFTER_MS after it;
 *  3. tab: what a tab decides for the request — private or not, and Firefox's container
 *     (cookie store) — agrees with the download's, when both sides say;
 *  4. of several, the one whose answer began closest to the download's start (`respondedAt`,
 *     else the time it was sent): a download starts as its answer arrives, so two tabs asking
 *     for one URL each get their own request (and headers: their cookies may differ by
 *     SameSite), and a request a page answered long ago loses to the fresh one; without a
 *     start time, the most recent. A request is used by one download only (the caller drops it).
 * Returns the entry or null (then the caller falls back to cookies.getAll and says so).
 * Firefox may announce the download before the webRequest events of its request: the caller
 * waits a little for a match (see `complete`) before it falls back.
 */
export function matchDownload(log, download) {
  const start = startOf(download);
  const finalUrl = typeof download.finalUrl === "string" && download.finalUrl ? download.finalUrl : download.url;
  let best = null;
  for (const e of log) {
    if (e.url !== finalUrl) continue;
    if (start !== null && (e.at < start - MATCH_BEFORE_MS || e.at > start + MATCH_AFTER_MS)) continue;
    if (typeof e.incognito === "boolean" && typeof download.incognito === "boolean" && e.incognito !== download.incognito) continue;
    if (e.cookieStoreId && download.cookieStoreId && e.cookieStoreId !== download.cookieStoreId) continue;
    if (!best || closer(e, best, start)) best = e;
  }
  return best;
}

function closer(e, best, start) {
  if (start === null) return e.at >= best.at;
  const gap = (x) => Math.abs((typeof x.respondedAt === "number" ? x.respondedAt : x.at) - start);
  return gap(e) < gap(best) || (gap(e) === gap(best) && e.at >= best.at);
}

/** A match is complete once its headers are known (onSendHeaders came after onBeforeRequest). */
export function complete(entry) {
  return Boolean(entry && Array.isArray(entry.headers));
}

/**
 * How long (ms) a download may wait for its request's events before it falls back to
 * cookies.getAll, given what the log has for it now (`entry`, from matchDownload). Firefox may
 * announce a download before any webRequest event of its request: it waits `waitMs`. Chromium
 * decides a download's name after its response arrived, long after the request's events, so
 * with nothing for its URL there is nothing to wait for: a link with a `download` attribute,
 * which Chromium fetches as no navigation, was held `waitMs` (1 s) for every click.
 */
export function requestWait(entry, isFirefox, waitMs) {
  if (complete(entry)) return 0;
  return isFirefox || entry ? waitMs : 0;
}

/** The log without the entry a download has used. */
export function forget(log, entry) {
  return entry ? log.filter((e) => e.requestId !== entry.requestId) : log;
}

const FORWARDED = Object.freeze({
  cookie: "Cookie",
  referer: "Referer",
  "user-agent": "User-Agent",
  "accept-language": "Accept-Language",
  origin: "Origin",
});

/**
 * The headers paxel sends again, as the browser sent them: {Cookie, Referer, User-Agent,
 * Accept-Language, Origin}, each only when the browser sent it (a Referer the page's policy
 * left out stays out). Repeated headers are joined the way HTTP joins them.
 */
export function forwardedHeaders(headers) {
  const out = {};
  for (const h of headers ?? []) {
    const name = FORWARDED[String(h.name).toLowerCase()];
    if (!name || typeof h.value !== "string") continue;
    out[name] = name in out ? `${out[name]}${name === "Cookie" ? "; " : ", "}${h.value}` : h.value;
  }
  return out;
}
