// Requests sent to the native host, built and checked before they leave. Pure.
import { baseName, urlRefusal } from "./urls.js";
import { toWireCookie } from "./cookies.js";

export const PROTOCOL_VERSION = 2;

/** A request that cannot be built; `code` uses the wire's name for the same fault. */
export class RequestError extends Error {
  constructor(message) {
    super(message);
    this.name = "RequestError";
    this.code = "BAD_FIELD";
  }
}

/** The `client` field of hello: the origin the host checks against its allowed extensions. */
export function clientName(extensionBaseUrl, extensionId) {
  if (extensionBaseUrl.startsWith("moz-extension:")) return `firefox:${extensionId}`;
  return `chrome-extension://${extensionId}/`;
}

export function isFirefoxUrl(extensionBaseUrl) {
  // Chromium 156 defines `browser` too, so the extension's own URL is the reliable sign.
  return extensionBaseUrl.startsWith("moz-extension:");
}

/**
 * `start`: may this connection start a stopped service? Only for what the user asked for (a click,
 * a button); the background's own reconnecting says false, so a service the user stopped stays
 * stopped (the host then answers SERVICE_UNAVAILABLE).
 */
export function buildHello(extensionBaseUrl, extensionId, start = true) {
  return { type: "hello", client: clientName(extensionBaseUrl, extensionId), version: PROTOCOL_VERSION, start: start !== false };
}

function httpUrl(url) {
  const refusal = urlRefusal(url);
  if (refusal) throw new RequestError(`paxel cannot fetch this URL (${refusal}): ${String(url).slice(0, 200)}`);
  return url;
}

function optionalHttpUrl(url) {
  return url && urlRefusal(url) === null ? url : undefined;
}

/** Drop undefined/null fields: the host rejects nulls where the schema wants a string. */
function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null));
}

// Headers paxel's `download` takes in `headers`; Referer and User-Agent have their own fields.
const EXTRA_HEADERS = Object.freeze(["Cookie", "Accept-Language", "Origin"]);

/**
 * What identifies the request: the browser's real headers (`d.sent`, from
 * navigations.forwardedHeaders) when its request was seen, else the approximation (referrer
 * from the download, navigator.userAgent, cookies from cookies.getAll).
 */
function requestFields(d) {
  const sent = d.sent;
  if (!sent) {
    return {
      referrer: optionalHttpUrl(d.referrer),
      user_agent: d.userAgent || undefined,
      cookies: (d.cookies ?? []).map(toWireCookie),
    };
  }
  const headers = Object.fromEntries(EXTRA_HEADERS.filter((n) => typeof sent[n] === "string").map((n) => [n, sent[n]]));
  return {
    // Only what the browser sent: a Referer its policy left out stays out.
    referrer: optionalHttpUrl(sent.Referer),
    user_agent: sent["User-Agent"] || d.userAgent || undefined,
    headers: Object.keys(headers).length ? headers : undefined,
    // other hosts' own cookies, as the browser sent them there (a stream's CDN:
    // mediasniff.hostCookies); the service sends each only to its host
    cookies: d.hostCookies?.length ? d.hostCookies.map(toWireCookie) : undefined,
  };
}

/**
 * The `download` request for one hand-over.
 * d: {url, filename, referrer, userAgent, cookies (browser cookie objects), hostCookies (cookie objects
 *    of other hosts, kept with `sent`), sent (the browser's
 *    real headers, or undefined), source}
 * settings: normalized settings (connections and folder: null = service default)
 */
export function buildDownload(d, settings) {
  if (d.source !== "click" && d.source !== "context-menu" && d.source !== "media") {
    throw new RequestError(`unknown source: ${d.source}`);
  }
  const name = baseName(d.filename);
  return compact({
    type: "download",
    url: httpUrl(d.url),
    filename: name || undefined,
    folder: settings.folder,
    connections: settings.connections,
    ...requestFields(d),
    source: d.source,
    media: mediaField(d.media),
  });
}

/** `media: {quality}` (a stream: the best variant of at most `quality` lines, null: the best). */
function mediaField(media) {
  if (media === undefined || media === null) return undefined;
  const quality = media.quality ?? null;
  if (quality !== null && !(Number.isInteger(quality) && quality >= 1 && quality <= 100000)) {
    throw new RequestError(`media quality must be a height in lines, not ${String(quality).slice(0, 20)}`);
  }
  return quality === null ? {} : { quality };
}

/** `media_probe`: a found stream's qualities, duration and sizes, asked with the browser's headers. */
export function buildMediaProbe(d) {
  return compact({ type: "media_probe", url: httpUrl(d.url), ...requestFields(d) });
}

/** The `probe` request: the same request fields as `download` (the service's one request model). */
export function buildProbe(d) {
  return compact({ type: "probe", url: httpUrl(d.url), ...requestFields(d) });
}

export const DOWNLOAD_ACTIONS = Object.freeze(["pause", "resume", "cancel", "retry", "refresh", "remove", "start_now"]);
// The answers to a held duplicate (docs/protocol.md `duplicate_answer`).
export const DUPLICATE_CHOICES = Object.freeze(["rename", "skip", "resume"]);

/** A request the popup may ask for on one download; anything else is refused. */
export function buildAction(action, downloadId, extra = {}) {
  if (typeof downloadId !== "string" || !downloadId) throw new RequestError("download_id must be a non-empty string");
  if (DOWNLOAD_ACTIONS.includes(action)) {
    const req = { type: action, download_id: downloadId };
    if (action === "remove" && extra.delete_file === true) req.delete_file = true;
    return req;
  }
  if (action === "open") {
    if (extra.what !== "file" && extra.what !== "folder") throw new RequestError('open needs what: "file" or "folder"');
    return { type: "open", download_id: downloadId, what: extra.what };
  }
  if (action === "duplicate_answer") {
    if (!DUPLICATE_CHOICES.includes(extra.choice)) throw new RequestError(`duplicate_answer needs choice: ${DUPLICATE_CHOICES.join(", ")}`);
    return { type: "duplicate_answer", download_id: downloadId, choice: extra.choice };
  }
  throw new RequestError(`unknown action: ${action}`);
}

/**
 * What the host's disconnect message means for the user. Messages are the browsers' own:
 * Chromium "Specified native messaging host not found.", Firefox "No such native application …".
 */
export function classifyHostError(message) {
  const m = String(message ?? "");
  if (/not found|No such native application/i.test(m)) return "not_installed";
  if (/forbidden|not allowed/i.test(m)) return "forbidden";
  return "failed";
}
