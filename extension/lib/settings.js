// User settings: defaults and validation. Pure: the background stores what this returns.

export const DEFAULT_SETTINGS = Object.freeze({
  enabled: true,
  // Small files gain nothing from several connections; 0 hands over everything.
  minSize: 1024 * 1024,
  includeTypes: Object.freeze([]),
  excludeTypes: Object.freeze([]),
  skipDomains: Object.freeze([]),
  privateWindows: false,
  connections: null, // null: the service's default_connections
  folder: null, // null: the service's default_folder
});

export const MAX_CONNECTIONS = 32;

/** Split a comma/space/newline separated list into trimmed, lower-cased, de-duplicated items. */
export function parseList(text) {
  if (Array.isArray(text)) text = text.filter((t) => typeof t === "string").join("\n");
  if (typeof text !== "string") return [];
  const items = text
    .split(/[\s,;]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return [...new Set(items)];
}

/** A file type is an extension (`zip`, `.zip` → `zip`) or a MIME pattern (`video/*`). */
export function normalizeType(item) {
  const t = item.trim().toLowerCase().replace(/^\*?\./, "");
  if (!/^[a-z0-9][a-z0-9+.\-]*(\/([a-z0-9][a-z0-9+.\-]*|\*))?$/.test(t)) return null;
  return t;
}

/** A site to skip is a host name; users paste URLs and `*.example.com`, so accept those. */
export function normalizeDomain(item) {
  let d = item.trim().toLowerCase();
  d = d.replace(/^[a-z][a-z0-9+.\-]*:\/\//, "").replace(/[/?#].*$/, "").replace(/:\d+$/, "");
  d = d.replace(/^\*\./, "").replace(/^\./, "").replace(/\.$/, "");
  if (!/^[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*$/.test(d)) return null;
  return d;
}

/** A number, or a string of one (as a form gives it); NaN for anything else, never a throw. */
function numberFrom(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return Number.NaN;
}

function normalizeItems(raw, normalize, field, errors) {
  const out = [];
  for (const item of parseList(raw)) {
    const value = normalize(item);
    if (value === null) errors.push({ field, message: `not a valid entry: "${item}"` });
    else if (!out.includes(value)) out.push(value);
  }
  return out;
}

/**
 * Validate settings coming from storage or the options form.
 * Returns the full settings (defaults for anything missing or invalid) and the list of problems,
 * so the options page can refuse to save while the background keeps working on stored junk.
 */
export function normalizeSettings(raw) {
  const errors = [];
  const src = raw && typeof raw === "object" ? raw : {};
  const s = { ...DEFAULT_SETTINGS };

  if ("enabled" in src) {
    if (typeof src.enabled === "boolean") s.enabled = src.enabled;
    else errors.push({ field: "enabled", message: "must be true or false" });
  }
  if ("privateWindows" in src) {
    if (typeof src.privateWindows === "boolean") s.privateWindows = src.privateWindows;
    else errors.push({ field: "privateWindows", message: "must be true or false" });
  }
  if ("minSize" in src && src.minSize !== null && src.minSize !== "") {
    const n = numberFrom(src.minSize);
    if (Number.isSafeInteger(n) && n >= 0) s.minSize = n;
    else errors.push({ field: "minSize", message: "must be a whole number of bytes, 0 or more" });
  }
  if ("connections" in src && src.connections !== null && src.connections !== "") {
    const n = numberFrom(src.connections);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_CONNECTIONS) s.connections = n;
    else errors.push({ field: "connections", message: `must be a whole number from 1 to ${MAX_CONNECTIONS}` });
  }
  if ("folder" in src && src.folder !== null && src.folder !== "") {
    if (typeof src.folder === "string" && isAbsolutePath(src.folder)) s.folder = src.folder;
    else errors.push({ field: "folder", message: "must be an absolute folder path" });
  }
  if ("includeTypes" in src) s.includeTypes = normalizeItems(src.includeTypes, normalizeType, "includeTypes", errors);
  if ("excludeTypes" in src) s.excludeTypes = normalizeItems(src.excludeTypes, normalizeType, "excludeTypes", errors);
  if ("skipDomains" in src) s.skipDomains = normalizeItems(src.skipDomains, normalizeDomain, "skipDomains", errors);
  return { settings: s, errors };
}

function isAbsolutePath(p) {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");
}
