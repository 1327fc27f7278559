// paxel's one visual language for the popup, the background (badge) and the panel: numbers,
// names, states and buttons as people read them. Pure: no DOM, no browser API.
//
// ONE source file. The panel loads it as host/paxel/panel_assets/format.js, a symlink to this
// file that the wheel build resolves to a copy; the extension imports it as a module for its side
// effect (it has no `export`, so the panel's WebKit runs it as a classic script too). Both find
// the API as `globalThis.paxelFormat`; node tests import it the same way. The CLI
// (host/paxel/humanize.py) follows the same rules: tests/support/format_golden.json holds the
// examples that node's tests and pytest both check.
//
// Which states are active and which actions a state allows come from the service's lifecycle
// table (`hello` → `lifecycle`, docs/protocol.md), never from a copy here; only labels live here.
"use strict";

(function (root) {
  const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  const ELLIPSIS = "…";

  // One label per lifecycle action; an action without a label is not shown.
  const LABELS = Object.freeze({
    pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry", refresh: "Refresh link",
    open: "Open file", reveal: "Show in folder", remove: "Remove",
    start_now: "Start now", move_top: "To top", move_up: "Up", move_down: "Down", move_bottom: "To bottom",
  });

  // Actions that are not lifecycle transitions: they work on the link, not the download.
  const LINK_LABELS = Object.freeze({ open_page: "Open page", copy_link: "Copy link" });

  function number(value) {
    // 99.96 would print as "100.0": decide on the rounded value (humanize._number)
    return Math.round(value * 10) / 10 >= 100 ? value.toFixed(0) : value.toFixed(1);
  }

  /** 4096 -> "4.0 KiB"; 512 -> "512 B"; binary units, one decimal below 100. */
  function formatSize(bytes) {
    if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "?";
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit && Math.round(value) >= 1024 && unit < UNITS.length - 1) { // 1023.99 KiB reads "1.0 MiB"
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${Math.trunc(value)} B` : `${number(value)} ${UNITS[unit]}`;
  }

  /** "1.2/5.0 GiB" when both share a unit, else "512 KiB/5.0 GiB". */
  function formatPair(done, total) {
    const a = formatSize(done);
    const b = formatSize(total);
    const [aNum, aUnit] = a.split(" ");
    return aUnit === b.split(" ")[1] ? `${aNum}/${b}` : `${a}/${b}`;
  }

  /** "81.2 MiB/s"; "" when nothing moves. */
  function formatSpeed(bytesPerSecond) {
    if (typeof bytesPerSecond !== "number" || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
    return `${formatSize(bytesPerSecond)}/s`;
  }

  /** 62 -> "1:02"; 3725 -> "1:02:05"; "" when unknown. */
  function formatDuration(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
    const whole = Math.round(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  /** The one ETA style: "0:47 left". */
  function formatEta(seconds) {
    const d = formatDuration(seconds);
    return d ? `${d} left` : "";
  }

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

  // ---- errors: what happened, in words, and what to do ----

  function statusOf(error) {
    const m = /answered (\d{3})\b/.exec(error && error.message ? error.message : "");
    return m ? Number(m[1]) : null;
  }

  // The engine's message names the URL; the row already shows the name and site.
  function withoutUrl(message, view) {
    let text = String(message || "");
    for (const url of [view.final_url, view.url]) if (url) text = text.split(url).join("the server");
    return text;
  }

  /**
   * What a failed download's row says and offers: {text, hide: [lifecycle actions that would
   * only fail again], links: [link actions that help]}. null when there is no error.
   */
  // Errors a new link cannot mend (network, disk, a failing server…): no "Refresh link" there.
  const NO_NEW_LINK = Object.freeze(["refresh"]);

  function advice(view) {
    const error = view.error;
    if (!error) return null;
    const status = statusOf(error);
    const expired = { hide: ["retry"], links: ["open_page", "copy_link"] };
    if (view.stop_reason === "link_expired") {
      // The .part is kept: a new link to the same file continues it (docs/protocol.md "Expired links").
      return { text: `The link expired (${status ?? "refused"}) — Refresh link opens its page: click the download there again and paxel continues where it stopped.`, hide: ["retry"], links: ["copy_link"] };
    }
    if (status === 404 || status === 410) {
      return { text: `The server says the file is gone (${status}) — the link may have expired: open its page and start the download there again.`, ...expired };
    }
    if (status === 401 || status === 403) {
      return { text: `The server refused access (${status}) — the login or cookies may have expired: open its page, sign in and download again.`, ...expired };
    }
    const tries = /gave up after (\d+) tries/.exec(error.message || "");
    if (status !== null && (status >= 500 || status === 429)) {
      return { text: `The server kept failing (${status})${tries ? ` after ${tries[1]} tries` : ""} — try again later.`, hide: NO_NEW_LINK, links: ["copy_link"] };
    }
    const what = withoutUrl(error.message, view);
    switch (error.name) {
      case "NETWORK":
        return { text: `The connection failed (${what}) — check the network, then retry.`, hide: NO_NEW_LINK, links: [] };
      case "DISK":
        return { text: `The file cannot be written: ${what} — free some space or choose another folder, then retry.`, hide: NO_NEW_LINK, links: [] };
      case "CHECKSUM_MISMATCH":
        return { text: "The file arrived damaged (its checksum does not match) — retry to fetch it again.", hide: NO_NEW_LINK, links: [] };
      case "SERVER_MISBEHAVED":
        return { text: `The server sent data paxel cannot trust (${what}) — retry; if it happens again, let the browser download it.`, hide: NO_NEW_LINK, links: ["copy_link"] };
      default:
        return { text: what, hide: NO_NEW_LINK, links: [] };
    }
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

  /** While retrying: "next try in 1:57" (from retry_at, Unix seconds, and `now`); else "". */
  function retryText(view, now) {
    if (view.state !== "running" || view.phase !== "retrying" || typeof view.retry_at !== "number") return "";
    const left = view.retry_at - now;
    return left > 0.5 ? `next try in ${formatDuration(left)}` : "trying again…";
  }

  // ---- states ----

  function lifecycleStates(lifecycle) {
    return lifecycle && Array.isArray(lifecycle.states) ? lifecycle.states : [];
  }

  function isActive(lifecycle, view) {
    return lifecycleStates(lifecycle).some((s) => s && s.state === view.state && s.active === true);
  }

  /** Words for the state, with the detail that explains it: "retrying (try 2 of 6)". */
  function stateText(view) {
    if (view.state === "running") {
      if (view.phase === "connecting") return "connecting…";
      if (view.phase === "retrying") {
        return view.attempt && view.attempts ? `retrying (try ${view.attempt} of ${view.attempts})` : "retrying";
      }
      if (view.phase === "muxing") return "making the file…"; // a stream: ffmpeg joins the segments
      const m = view.media;
      if (m && m.segments_total > 0) return `downloading (${m.segments_done} of ${m.segments_total} segments)`;
      return "downloading";
    }
    if (view.state === "missing") return "file missing";
    return view.state;
  }

  /** Fraction done in [0, 1], or null when it is not known. */
  function fraction(view) {
    if (view.state === "completed") return 1;
    if (typeof view.total !== "number" || !(view.total > 0)) return null;
    return Math.min(1, Math.max(0, (view.done || 0) / view.total));
  }

  /**
   * The bar a row shows: "determinate" (a known fraction), "indeterminate" (running, size not
   * known: an animated stripe) or null (nothing known, or nothing left: a cancelled download's
   * .part is gone). Never a static stripe that looks like progress.
   */
  function barKind(view) {
    if (view.state === "cancelled" || view.state === "missing") return null;
    if (fraction(view) !== null) return view.state === "running" || view.done > 0 || view.state === "completed" ? "determinate" : null;
    return view.state === "running" && view.phase !== "connecting" && view.phase !== "retrying" ? "indeterminate" : null;
  }

  /** "1.2/5.0 GiB (24%)", "5.0 GiB" once done, "12.0 MiB" with no total, "" when nothing is known. */
  function sizeText(view) {
    if (view.state === "completed" || view.state === "missing") {
      return typeof view.total === "number" ? formatSize(view.total) : formatSize(view.done);
    }
    if (view.state === "cancelled") return "";
    const f = fraction(view);
    if (f !== null) return `${formatPair(view.done || 0, view.total)} (${Math.floor(f * 100)}%)`;
    return view.done > 0 ? formatSize(view.done) : "";
  }

  /** One block per segment, in percent of the file: where it starts, how wide, how much written. */
  function segmentBlocks(view) {
    const total = view.total;
    if (typeof total !== "number" || !(total > 0) || !Array.isArray(view.segments)) return [];
    const blocks = [];
    for (const seg of view.segments) {
      if (!Array.isArray(seg) || seg.length !== 3) continue;
      const [start, end, done] = seg.map(Number);
      if (!(start >= 0 && end > start && end <= total && done >= 0)) continue;
      blocks.push({
        left: (start / total) * 100,
        width: ((end - start) / total) * 100,
        fill: Math.min(1, done / (end - start)) * 100,
      });
    }
    return blocks;
  }

  /**
   * The user actions the lifecycle table allows in `state` that have a label, in table order:
   * [{action, request, label}] (`request`: the message to send, plus download_id).
   */
  function actionsFor(lifecycle, state) {
    const transitions = lifecycle && Array.isArray(lifecycle.transitions) ? lifecycle.transitions : [];
    return transitions
      .filter((t) => t && t.by === "user" && Array.isArray(t.from) && t.from.includes(state)
        && Object.prototype.hasOwnProperty.call(LABELS, t.action) && t.request && typeof t.request.type === "string")
      .map((t) => ({ action: t.action, request: t.request, label: LABELS[t.action] }));
  }

  /** Totals for a header or badge: active (by the table), running, paused, summed speed. */
  function totals(lifecycle, views) {
    const active = views.filter((v) => isActive(lifecycle, v));
    const running = active.filter((v) => v.state === "running");
    return {
      active: active.length,
      running: running.length,
      paused: active.filter((v) => v.state === "paused").length,
      speed: running.reduce((sum, v) => sum + (Number(v.speed) || 0), 0),
    };
  }

  /** "2 downloading · 1 paused · 14.2 MiB/s", or "idle". */
  function summaryText(lifecycle, views) {
    const t = totals(lifecycle, views);
    if (!t.active) return "idle";
    const parts = [];
    if (t.running) parts.push(`${t.running} downloading`);
    if (t.paused) parts.push(`${t.paused} paused`);
    if (t.active - t.running - t.paused) parts.push(`${t.active - t.running - t.paused} queued`);
    if (t.speed > 0) parts.push(formatSpeed(t.speed));
    return parts.join(" · ");
  }

  /** Badge text: the active count (as the panel's header), empty when nothing is active. */
  function badgeText(lifecycle, views) {
    const n = totals(lifecycle, views).active;
    return n === 0 ? "" : n > 99 ? "99+" : String(n);
  }

  // ---- when ----

  const pad = (n) => String(n).padStart(2, "0");

  /** "14:52" today (local time), "2026-11-29 14:52" another day; "" when unknown. */
  function clockText(unixSeconds, now) {
    if (typeof unixSeconds !== "number" || !Number.isFinite(unixSeconds)) return "";
    const at = new Date(unixSeconds * 1000);
    const today = new Date(now * 1000);
    const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
    return at.toDateString() === today.toDateString()
      ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
  }

  /** A row's time: "finished 14:52" once it ended, else "added 14:31". */
  function whenText(view, now) {
    const finished = clockText(view.finished_at, now);
    if (finished && !["queued", "running", "paused"].includes(view.state)) return `finished ${finished}`;
    const added = clockText(view.created_at, now);
    return added ? `added ${added}` : "";
  }

  // ---- speed over time, from the samples the service sent ----

  const GRAPH_SECONDS = 60; // how much history a graph shows

  /**
   * Add the speeds of one `progress` event (at `now`, seconds) to `samples` (id -> [[t, speed]],
   * plus "total" for the sum), dropping what is older than the graph shows. Returns a new object.
   */
  function addSamples(samples, views, now) {
    const next = {};
    const keep = (list) => (list || []).filter(([t]) => now - t <= GRAPH_SECONDS);
    for (const [id, list] of Object.entries(samples || {})) next[id] = keep(list);
    let total = 0;
    for (const v of views) {
      if (v.state !== "running") continue;
      const speed = Number(v.speed) > 0 ? Number(v.speed) : 0;
      total += speed;
      next[v.download_id] = [...(next[v.download_id] || []), [now, speed]];
    }
    next.total = [...(next.total || []), [now, total]];
    return next;
  }

  /**
   * An SVG path for `points` ([[t, speed]]) in a width x height box: time left to right up to
   * `now` (over the samples there are, 5 s at least and GRAPH_SECONDS at most, so a graph fills
   * its box soon after a window opens), speed bottom to top up to the highest sample. "" for
   * fewer than two points or nothing but zeros (a flat line would say nothing).
   */
  function sparkPath(points, width, height, now) {
    if (!Array.isArray(points) || points.length < 2) return "";
    const top = Math.max(...points.map(([, v]) => v));
    if (!(top > 0)) return "";
    const span = Math.min(GRAPH_SECONDS, Math.max(5, now - points[0][0]));
    const x = (t) => Math.max(0, width - ((now - t) / span) * width);
    const y = (v) => height - (v / top) * (height - 1);
    return points.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  }

  // ---- everything at once ----

  // What "Pause all", "Resume all" and "Clear finished" do: which lifecycle action, on which states.
  const BULK = Object.freeze({
    pause_all: { action: "pause", states: ["queued", "running"], label: "Pause all" },
    resume_all: { action: "resume", states: ["paused"], label: "Resume all" },
    clear_finished: { action: "remove", states: ["completed", "missing", "cancelled"], label: "Clear finished" },
  });

  /** The requests a bulk button sends: [{download_id, request}] the table allows, newest first. */
  function bulkRequests(lifecycle, views, bulk) {
    const spec = BULK[bulk];
    if (!spec) return [];
    const out = [];
    for (const v of views) {
      if (!spec.states.includes(v.state)) continue;
      const found = actionsFor(lifecycle, v.state).find((a) => a.action === spec.action);
      if (found) out.push({ download_id: v.download_id, request: found.request });
    }
    return out;
  }

  /** Merge one service event into the list of downloads (newest first). */
  function applyEvent(views, event) {
    const byId = new Map(views.map((v) => [v.download_id, v]));
    const data = (event && event.data) || {};
    if (event.event === "removed") {
      byId.delete(data.download_id);
    } else if (event.event === "progress") {
      for (const v of data.downloads || []) byId.set(v.download_id, v);
    } else if (data.download && data.download.download_id) {
      byId.set(data.download.download_id, data.download);
    }
    return [...byId.values()].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  }

  const api = Object.freeze({
    LABELS, LINK_LABELS, formatSize, formatPair, formatSpeed, formatDuration, formatEta, nameFromUrl,
    siteOf, displayName, fileKind, shortenMiddle, fitMiddle, retryText, advice, isActive, stateText, fraction, barKind, sizeText,
    segmentBlocks, actionsFor, totals, summaryText, badgeText, applyEvent, GRAPH_SECONDS, addSamples,
    clockText, whenText,
    sparkPath, BULK, bulkRequests,
  });
  root.paxelFormat = api;
})(globalThis);
