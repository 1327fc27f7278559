// Part of paxel's one formatter (lib/format.js): what a download is called and where it comes
// from — the name from a URL, the site, a middle cut that keeps the extension, the file-type
// tile. Pure: no DOM, no browser API. A classic script and an ES module at once (see units.js);
// adds to `globalThis.paxelFormat`.
"use strict";

(function (root) {
  const ELLIPSIS = "…";

  /** What to call a download before the server names it: the URL's last segment, decoded. */
  function nameFromUrl(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return String(url ?? "");
    }
    const segments = parsed.pathname.replace(/\/+$/, "").split("/");
    let name = segments[segments.length - 1] || "";
    try {
      name = decodeURIComponent(name);
    } catch {
      name = unescape(name); // a stray % is kept as it is
    }
    // What Python's str.isprintable drops (humanize.name_from_url): controls, and the format and
    // separator characters a bidi override (U+202E: "fdp.exe" shown as "exe.pdf") hides behind.
    name = name.replace(/(?! )[\p{C}\p{Z}]/gu, "");
    return name || parsed.hostname || String(url);
  }

  /** The site a download comes from, for the second line: "example.com". */
  function siteOf(view) {
    try {
      return new URL(view.final_url || view.url).hostname;
    } catch {
      return "";
    }
  }

  function displayName(view) {
    return view.filename || nameFromUrl(view.final_url || view.url);
  }

  // Cut "very-long-name-of-a-driver-pack-2024.tar.gz" in the middle so the start (what it is)
  // and the extension (what kind) stay: humanize.shorten_middle's rule, counted in characters.
  function extensionOf(name) {
    const cut = name.lastIndexOf(".");
    if (cut <= 0) return "";
    const ext = name.slice(cut + 1);
    if ([...ext].length + 1 > 10) return "";
    const stem = name.slice(0, cut);
    const inner = stem.lastIndexOf(".");
    if (inner > 0) {
      const innerExt = stem.slice(inner + 1);
      if ([...innerExt].length <= 4 && [...innerExt].length + [...ext].length + 2 <= 10) return `.${innerExt}.${ext}`;
    }
    return `.${ext}`;
  }

  function shortenMiddle(name, width) {
    const chars = [...String(name)];
    if (chars.length <= width) return String(name);
    if (width <= 0) return "";
    if (width === 1) return ELLIPSIS;
    const room = width - 1;
    const extLen = [...extensionOf(String(name))].length;
    const tailLen = extLen <= Math.floor(room / 2) ? extLen + Math.floor((room - extLen) / 3) : Math.floor(room / 3);
    const tail = tailLen > 0 ? chars.slice(-tailLen) : [];
    const head = chars.slice(0, room - tail.length);
    return `${head.join("")}${ELLIPSIS}${tail.join("")}`;
  }

  /**
   * The longest middle-cut of `name` that `fits` (a predicate the page gives: does this text fit
   * its element?), found by bisection; the whole name when it fits as is.
   */
  function fitMiddle(name, fits) {
    const full = String(name);
    if (fits(full)) return full;
    let lo = 1;
    let hi = [...full].length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(shortenMiddle(full, mid))) lo = mid;
      else hi = mid - 1;
    }
    return shortenMiddle(full, lo);
  }

  // ---- file-type icon: a coloured tile with the extension, by kind ----

  const KINDS = Object.freeze({
    archive: ["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "cab"],
    disk: ["iso", "img", "dmg", "vhd", "vmdk", "qcow2"],
    video: ["mp4", "mkv", "webm", "avi", "mov", "m4v", "ts", "flv", "wmv"],
    audio: ["mp3", "flac", "ogg", "opus", "m4a", "wav", "aac"],
    image: ["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "tiff", "heic"],
    document: ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "epub", "txt", "csv"],
    program: ["exe", "msi", "deb", "rpm", "apk", "appimage", "pkg", "jar", "run", "sh"],
  });

  /** {kind, label} for the icon tile: "archive"/"ZIP", ..., "file"/"" when nothing is known. */
  function fileKind(name) {
    const cut = String(name).lastIndexOf(".");
    const ext = cut > 0 ? String(name).slice(cut + 1).toLowerCase() : "";
    if (!/^[a-z0-9]{1,8}$/.test(ext)) return { kind: "file", label: "" };
    for (const [kind, exts] of Object.entries(KINDS)) if (exts.includes(ext)) return { kind, label: ext.toUpperCase().slice(0, 4) };
    return { kind: "file", label: ext.toUpperCase().slice(0, 4) };
  }

  Object.assign((root.paxelFormat ??= {}), { nameFromUrl, siteOf, displayName, shortenMiddle, fitMiddle, fileKind });
})(globalThis);
