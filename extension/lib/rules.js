// Whether a browser download goes to paxel. Pure: every input is passed in.
import { baseName, hasExtension, hostMatches, parseUrl, urlRefusal } from "./urls.js";
import { kindOf } from "./mediasniff.js";

export const INTERCEPT = "intercept";
export const LEAVE = "leave";
export const PROBE = "probe";
const BYPASS = Object.freeze({ action: LEAVE, reason: "bypass" });

function typeMatches(pattern, name, mime) {
  if (pattern.includes("/")) {
    if (!mime) return false;
    const m = mime.toLowerCase().split(";")[0].trim();
    return pattern.endsWith("/*") ? m.startsWith(pattern.slice(0, -1)) : m === pattern;
  }
  return hasExtension(name, pattern);
}

/**
 * Decide for one download.
 * candidate: {url, referrer, filename, mime, size (bytes, null when unknown), incognito, probed,
 *   method (of the request the browser sent, when seen), bypass (the user asked that the next
 *   download go to the browser)}
 * Returns {action: INTERCEPT | LEAVE | PROBE, reason}. PROBE means: the size decides and the
 * browser does not know it; ask the host, then decide again with `size` and `probed: true`.
 * `bypass` is the last rule: it only answers "bypass" for a download paxel would otherwise have
 * taken (or probed), so the caller disarms the switch exactly when it made a difference.
 */
export function decide(candidate, settings) {
  if (!settings.enabled) return { action: LEAVE, reason: "disabled" };
  const refusal = urlRefusal(candidate.url);
  if (refusal) return { action: LEAVE, reason: refusal };
  // A POST (or any non-GET) cannot be replayed as GET: it would get a 405 or another page.
  if (candidate.method && candidate.method.toUpperCase() !== "GET") return { action: LEAVE, reason: "post" };
  if (candidate.incognito && !settings.privateWindows) return { action: LEAVE, reason: "private-window" };

  const hosts = [parseUrl(candidate.url)?.hostname, parseUrl(candidate.referrer)?.hostname].filter(Boolean);
  if (settings.skipDomains.some((d) => hosts.some((h) => hostMatches(h, d)))) {
    return { action: LEAVE, reason: "skipped-site" };
  }

  const name = baseName(candidate.filename) || baseName(parseUrl(candidate.url).pathname);
  if (settings.excludeTypes.some((p) => typeMatches(p, name, candidate.mime))) {
    return { action: LEAVE, reason: "excluded-type" };
  }
  if (settings.includeTypes.length && !settings.includeTypes.some((p) => typeMatches(p, name, candidate.mime))) {
    return { action: LEAVE, reason: "not-included-type" };
  }

  // A playlist is a few KiB of text standing for the whole stream: the size rules are a file's.
  const kind = kindOf(candidate.url, candidate.mime);
  if (kind === "hls" || kind === "dash") return candidate.bypass ? BYPASS : { action: INTERCEPT, reason: "stream" };

  if (settings.minSize > 0) {
    const size = candidate.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      // A probe that still cannot tell: a stream of unknown length is worth handing over.
      if (!candidate.probed) return candidate.bypass ? BYPASS : { action: PROBE, reason: "size-unknown" };
    } else if (size < settings.minSize) {
      return { action: LEAVE, reason: "below-minimum-size" };
    }
  }
  return candidate.bypass ? BYPASS : { action: INTERCEPT, reason: "rules-matched" };
}

/**
 * A browser's totalBytes as a size or null: unknown is -1 in Firefox and 0 in Chromium, and a
 * real empty file is rare enough that asking the host beats mistaking a stream for 0 bytes.
 */
export function browserSize(size) {
  return Number.isSafeInteger(size) && size > 0 ? size : null;
}
