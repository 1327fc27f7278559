// Which URLs paxel can fetch. Pure.

/** Parse a URL, or null: browsers hand us strings that are not always URLs. */
export function parseUrl(url) {
  if (typeof url !== "string") return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Why a URL must stay with the browser, or null when paxel can fetch it.
 * blob:, data: and filesystem: live only inside the browser; the service cannot reach them.
 */
export function urlRefusal(url) {
  const u = parseUrl(url);
  if (!u) return "bad-url";
  if (u.protocol === "blob:") return "blob-url";
  if (u.protocol === "data:") return "data-url";
  if (u.protocol === "filesystem:") return "filesystem-url";
  if (u.protocol !== "http:" && u.protocol !== "https:") return "scheme";
  return null;
}

/** Host name matches a skip-list entry: the entry itself or any subdomain of it. */
export function hostMatches(host, domain) {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === domain || h.endsWith(`.${domain}`);
}

/** Base name of a browser path or URL path, decoded; Firefox gives full paths, Chromium names. */
export function baseName(path) {
  if (typeof path !== "string" || !path) return "";
  const last = path.split(/[\\/]/).pop() ?? "";
  let decoded;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    return last;
  }
  // A separator that was percent-encoded (%2F, %5C) is still no part of a name.
  return decoded.split(/[\\/]/).pop() ?? "";
}

/**
 * Whether a name ends in the extension `ext` (lower case, no leading dot; may itself hold dots,
 * like `tar.gz`), with a name before it: `.bashrc` has no extension.
 */
export function hasExtension(name, ext) {
  const base = baseName(name).toLowerCase();
  return base.length > ext.length + 1 && base.endsWith(`.${ext}`);
}
