// Media a tab plays: HLS playlists, DASH manifests and plain audio/video files, found by watching
// the tab's responses (webRequest). Pure: the background feeds in webRequest details and keeps the
// returned state in storage.session (an MV3 worker restart must not lose a page's finds).
// Detection sends nothing anywhere: the service is asked about a find only when the popup opens.
//
// State: { "<tabId>": { page, finds: [Find], hosts } }, one entry per tab that has finds.
//   hosts (absent until needed): { "<host>": {cookie, secure} }, the Cookie header the browser sent
//          with the latest part of a stream (segment, key) from that host: a CDN's own cookies,
//          which the playlist's request to its own host did not carry (noteStreamHost).
//   Find: {url, kind: "hls" | "dash" | "file", mime, size (bytes or null), at (ms), script (a file
//          fetched by fetch/XHR: true, else absent), headers
//          ({Cookie, Referer, User-Agent, Accept-Language, Origin} the browser sent, or null),
//          parent (the URL of the stream this one belongs to, or absent)}
// A find with a `parent` is a part of another (an HLS variant playlist under the master's
// folder, fetched after it): kept so it is not found again, never listed on its own.
//
// Why these rules (the body of a response is not visible to webRequest in Chromium):
// - a playlist by its URL (.m3u8/.m3u/.mpd) or its Content-Type; a plain file by a video/* or
//   audio/* type and a size of at least MIN_FILE_SIZE (players fetch small clips and previews);
// - segments are not media to offer: segment types (MPEG-TS, ISO segment) and extensions (.ts,
//   .m4s, .m4v/.m4a fragments…) never are, nor a file under the folder of a stream already found,
//   nor, once the tab has a stream, a file fetched by script (fetch/XHR: an MSE player's segment
//   on a CDN; a plain <video src> loads through a "media" request);
// - a second HLS playlist in the folder of (or below) one already found is its variant.

import { forwardedHeaders } from "./navigations.js";

export const MIN_FILE_SIZE = 1 << 20;
/** At most this many finds per tab (a live page fetching playlists for hours stays bounded). */
export const MAX_FINDS = 50;
/** At most this many tabs keep finds (storage.session has a quota). Object keys that are integers
 * keep numeric order, so the lowest tab id goes first: tab ids only grow, it is the oldest tab. */
export const MAX_TABS = 64;
/** At most this many hosts' cookies per tab (the CDNs a page's stream parts come from). */
export const MAX_HOSTS = 8;
/** At most this many cookies for other hosts in one request (the protocol takes 512). */
export const MAX_HOST_COOKIES = 256;
/** Request headers waiting for their response, per requestId (worker-lifetime, bounded). */
export const MAX_PENDING = 300;

/** The requests media arrives through (a playlist is fetched by XHR/fetch, a file by <video>). */
export const REQUEST_FILTER = Object.freeze({
  urls: ["http://*/*", "https://*/*"],
  types: ["main_frame", "sub_frame", "xmlhttprequest", "media", "other"],
});

const HLS_TYPES = new Set(["application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl", "audio/x-mpegurl"]);
const DASH_TYPES = new Set(["application/dash+xml"]);
const SEGMENT_TYPES = new Set(["video/mp2t", "video/iso.segment", "audio/iso.segment"]);
const SEGMENT_EXTENSIONS = /\.(ts|m4s|m4v|m4a|m4f|cmfv|cmfa|aac|vtt|webvtt|key)$/;

function pathOf(url) {
  try {
    return new URL(url).pathname.toLowerCase();
  } catch {
    return "";
  }
}

/** The MIME type without parameters, lower case ("" when absent). */
export function mimeOf(contentType) {
  return String(contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** "hls" / "dash" by the URL's path or the Content-Type, "file" for audio/video, else null. */
export function kindOf(url, contentType) {
  const path = pathOf(url);
  const mime = mimeOf(contentType);
  if (HLS_TYPES.has(mime) || path.endsWith(".m3u8") || path.endsWith(".m3u")) return "hls";
  if (DASH_TYPES.has(mime) || path.endsWith(".mpd")) return "dash";
  if (SEGMENT_TYPES.has(mime) || SEGMENT_EXTENSIONS.test(path)) return null;
  if (mime.startsWith("video/") || mime.startsWith("audio/")) return "file";
  return null;
}

function header(headers, name) {
  const wanted = name.toLowerCase();
  const found = (headers ?? []).find((h) => String(h.name).toLowerCase() === wanted);
  return typeof found?.value === "string" ? found.value : null;
}

/** The whole file's size: Content-Range's total (a player asks `Range: bytes=0-`), else Content-Length. */
export function sizeOf(responseHeaders) {
  const range = /\/(\d+)\s*$/.exec(header(responseHeaders, "Content-Range") ?? "");
  if (range) return Number(range[1]);
  const length = header(responseHeaders, "Content-Length");
  return length !== null && /^\d+$/.test(length.trim()) ? Number(length) : null;
}

/**
 * onHeadersReceived details → a find (without headers) or null. Only successful answers of a
 * tab count; a plain file needs a known size of at least `minSize`.
 */
export function classify(details, minSize = MIN_FILE_SIZE) {
  if (!details || !Number.isInteger(details.tabId) || details.tabId < 0) return null;
  if (details.statusCode !== 200 && details.statusCode !== 206) return null;
  if (typeof details.url !== "string" || !/^https?:/i.test(details.url)) return null;
  const contentType = header(details.responseHeaders, "Content-Type");
  const kind = kindOf(details.url, contentType);
  if (kind === null) return null;
  const size = sizeOf(details.responseHeaders);
  if (kind === "file" && (size === null || size < minSize)) return null;
  const find = { url: details.url, kind, mime: mimeOf(contentType) || null, size, at: Number(details.timeStamp) || 0 };
  // fetched by script (fetch/XHR), not by a <video>/<audio>: what an MSE player feeds on
  return kind === "file" && details.type === "xmlhttprequest" ? { ...find, script: true } : find;
}

function folderOf(url) {
  try {
    const u = new URL(url);
    return u.origin + u.pathname.slice(0, u.pathname.lastIndexOf("/") + 1);
  } catch {
    return null;
  }
}

function withoutQuery(url) {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return url;
  }
}

/** The stream `find` belongs to: an earlier HLS/DASH find whose folder holds it, or null. */
function parentOf(finds, find) {
  const folder = folderOf(find.url);
  if (folder === null) return null;
  for (const f of finds) {
    if (f.kind === "file" || f.parent) continue;
    const root = folderOf(f.url);
    if (root !== null && folder.startsWith(root) && withoutQuery(f.url) !== withoutQuery(find.url)) return f;
  }
  return null;
}

/**
 * The state with `find` (from `classify`) added to tab `tabId`, its request headers attached;
 * unchanged (the same object) when it adds nothing: a URL found already, a segment of a stream
 * found already. `page` is the tab's URL when known.
 */
export function addFind(state, tabId, find, headers = null, page = undefined) {
  if (!find) return state;
  const key = String(tabId);
  const tab = state[key] ?? { page: page ?? null, finds: [] };
  if (tab.finds.some((f) => f.url === find.url)) return state;
  const parent = parentOf(tab.finds, find);
  if (parent && find.kind === "file") return state; // a piece of a stream already found
  // a file a script fetched while the page plays a stream: its segment from another host or
  // folder (CDNs serve fMP4 segments as video/mp4, 2 MiB each at 720p)
  if (find.script && tab.finds.some((f) => f.kind !== "file")) return state;
  if (parent && find.kind === "dash") return state;
  const entry = { ...find, headers: headers ?? null, ...(parent ? { parent: parent.url } : {}) };
  const finds = [...tab.finds, entry].slice(-MAX_FINDS);
  const { [key]: _old, ...others } = state;
  const kept = Object.entries(others).slice(-(MAX_TABS - 1));
  return { ...Object.fromEntries(kept), [key]: { ...tab, page: tab.page ?? page ?? null, finds } };
}

/** onHeadersReceived details (and their request's headers) → the state with a find or a host's
 * cookies noted (addFind, noteStreamHost); the same object when neither applies. */
export function noteResponse(state, details, headers = null) {
  const find = classify(details);
  if (find) return addFind(state, details.tabId, find, headers);
  return Number.isInteger(details?.tabId) ? noteStreamHost(state, details.tabId, details, headers) : state;
}

/** A response that is a part of a stream rather than media to offer: a segment or key by its type
 * or extension, or audio/video a script fetched (an MSE player's fMP4 segment). */
export function isStreamPart(details) {
  const mime = mimeOf(header(details?.responseHeaders, "Content-Type"));
  if (SEGMENT_TYPES.has(mime) || SEGMENT_EXTENSIONS.test(pathOf(details?.url))) return true;
  return details?.type === "xmlhttprequest" && (mime.startsWith("video/") || mime.startsWith("audio/"));
}

function hostOf(url) {
  try {
    const u = new URL(url);
    return { host: u.hostname.toLowerCase(), secure: u.protocol === "https:" };
  } catch {
    return null;
  }
}

/**
 * The state with the Cookie header `headers` (notePending's) the browser sent for a part of a
 * stream kept for that part's host, in a tab that plays a stream: cookies are per host, and a
 * CDN's never travel with the playlist's request, so this is how its segments get them. The
 * latest wins; MAX_HOSTS hosts per tab; the same object when nothing changes.
 */
export function noteStreamHost(state, tabId, details, headers) {
  const key = String(tabId);
  const tab = state[key];
  const cookie = headers?.Cookie;
  if (!tab || typeof cookie !== "string" || cookie === "" || !tab.finds.some((f) => f.kind !== "file")) return state;
  if ((details.statusCode !== 200 && details.statusCode !== 206) || !isStreamPart(details)) return state;
  const at = hostOf(details.url);
  if (at === null) return state;
  const was = tab.hosts?.[at.host];
  if (was && was.cookie === cookie && was.secure === at.secure) return state;
  const { [at.host]: _old, ...others } = tab.hosts ?? {};
  const hosts = Object.fromEntries([...Object.entries(others), [at.host, { cookie, secure: at.secure }]].slice(-MAX_HOSTS));
  return { ...state, [key]: { ...tab, hosts } };
}

/**
 * Browser-style cookie objects (as cookies.getAll gives) for the hosts other than `url`'s that the
 * tab's stream parts came from, each host-only for its host: the service sends each host its own
 * (its engine matches cookies by domain), never one host's to another. The stream's own host is
 * left out: its request's Cookie header goes along already. A cookie with no name (which the
 * service cannot send) is dropped; secure when seen over https.
 */
export function hostCookies(state, tabId, url) {
  const own = hostOf(url)?.host;
  const out = [];
  for (const [host, { cookie, secure }] of Object.entries(state[String(tabId)]?.hosts ?? {})) {
    if (host === own) continue;
    for (const part of String(cookie).split(";")) {
      const eq = part.indexOf("=");
      const name = eq < 0 ? "" : part.slice(0, eq).trim();
      if (name) out.push({ name, value: part.slice(eq + 1).trim(), domain: host, hostOnly: true, path: "/", secure });
    }
  }
  return out.slice(0, MAX_HOST_COOKIES);
}

/** The tab navigated (a main_frame request) or closed: its finds are gone. */
export function forgetTab(state, tabId) {
  const key = String(tabId);
  if (!(key in state)) return state;
  const { [key]: _gone, ...rest } = state;
  return rest;
}

/** What the popup and the context menu offer for a tab: its finds that are not parts of another. */
export function listed(state, tabId) {
  return (state[String(tabId)]?.finds ?? []).filter((f) => !f.parent);
}

/** The streams (HLS/DASH) a tab played, for a `<video>` whose src is a blob:. */
export function streamsOf(state, tabId) {
  return listed(state, tabId).filter((f) => f.kind !== "file");
}

/** A find by its URL in a tab (null when the tab navigated since). */
export function findOf(state, tabId, url) {
  return listed(state, tabId).find((f) => f.url === url) ?? null;
}

/** A stream is saved under the page's title (the service adds .mp4); undefined: the URL's name. */
export function nameFromTitle(title) {
  // eslint-disable-next-line no-control-regex
  const name = String(title ?? "").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 120);
  return name || undefined;
}

/** A `<video>`/`<audio>` src that is not a file anyone can fetch: MSE plays from a blob:. */
export function isBlobSource(srcUrl) {
  return typeof srcUrl === "string" && srcUrl.startsWith("blob:");
}

/**
 * The tab's badge and title: its downloads count when there is one (the global badge), else a
 * hint that the page has media. `active` is the global badge text ("" when nothing runs).
 */
export function badgeFor(state, tabId, active) {
  const n = listed(state, tabId).length;
  if (n === 0) return { text: active, title: "paxel" };
  return { text: active || "▶", title: `paxel: ${n === 1 ? "1 media item" : `${n} media items`} on this page` };
}

/** onSendHeaders: keep the headers a media request went out with until its response comes. */
export function notePending(pending, details) {
  if (typeof details?.requestId !== "string" || !Array.isArray(details.requestHeaders)) return pending;
  const next = new Map(pending);
  next.delete(details.requestId);
  next.set(details.requestId, forwardedHeaders(details.requestHeaders));
  while (next.size > MAX_PENDING) next.delete(next.keys().next().value);
  return next;
}

/**
 * A quality as the picker shows it: "720p · 2.5 Mbit/s · ~45.0 MiB" (parts left out when the
 * playlist does not say). `variant` is one of media_probe's; `formatSize` the shared formatter's.
 */
export function qualityLabel(variant, formatSize) {
  const parts = [];
  if (Number.isInteger(variant?.height)) parts.push(`${variant.height}p`);
  if (typeof variant?.bandwidth === "number" && variant.bandwidth > 0) {
    parts.push(variant.bandwidth >= 1e6 ? `${(variant.bandwidth / 1e6).toFixed(1)} Mbit/s` : `${Math.round(variant.bandwidth / 1e3)} kbit/s`);
  }
  if (typeof variant?.size === "number" && variant.size > 0) parts.push(`~${formatSize(variant.size)}`);
  return parts.join(" · ") || "default";
}
