// Part of paxel's one formatter (lib/format.js): a download's state in words and bars, the
// buttons it offers, the list's totals and what a service event does to the list. Pure: no DOM,
// no browser API. A classic script and an ES module at once (see units.js); adds to
// `globalThis.paxelFormat` and uses the numbers of units.js from there when called.
//
// Which states are active and which actions a state allows come from the service's lifecycle
// table (`hello` → `lifecycle`, docs/protocol.md), never from a copy here; only labels live here.
"use strict";

(function (root) {
  const fmt = (root.paxelFormat ??= {});

  // One label per lifecycle action; an action without a label is not shown.
  const LABELS = Object.freeze({
    pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry", refresh: "Refresh link",
    open: "Open file", reveal: "Show in folder", remove: "Remove",
    start_now: "Start now", move_top: "To top", move_up: "Up", move_down: "Down", move_bottom: "To bottom",
  });

  // Actions that are not lifecycle transitions: they work on the link, not the download.
  const LINK_LABELS = Object.freeze({ open_page: "Open page", copy_link: "Copy link" });

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

  /** While retrying: "next try in 1:57" (from retry_at, Unix seconds, and `now`); else "". */
  function retryText(view, now) {
    if (view.state !== "running" || view.phase !== "retrying" || typeof view.retry_at !== "number") return "";
    const left = view.retry_at - now;
    return left > 0.5 ? `next try in ${fmt.formatDuration(left)}` : "trying again…";
  }

  /** A row's time: "finished 14:52" once it ended, else "added 14:31". */
  function whenText(view, now) {
    const finished = fmt.clockText(view.finished_at, now);
    if (finished && !["queued", "running", "paused"].includes(view.state)) return `finished ${finished}`;
    const added = fmt.clockText(view.created_at, now);
    return added ? `added ${added}` : "";
  }

  /** Fraction done in [0, 1], or null when it is not known. A stream's bytes are known only at
   * the end, its segments from the start: segments done of all (not while live: the count grows). */
  function fraction(view) {
    if (view.state === "completed") return 1;
    const m = view.media;
    if (typeof view.total !== "number" || !(view.total > 0)) {
      if (!m || m.live !== false || !(m.segments_total > 0)) return null;
      return Math.min(1, Math.max(0, (m.segments_done || 0) / m.segments_total));
    }
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
      return typeof view.total === "number" ? fmt.formatSize(view.total) : fmt.formatSize(view.done);
    }
    if (view.state === "cancelled") return "";
    const f = fraction(view);
    if (f !== null && typeof view.total !== "number") return `${fmt.formatSize(view.done || 0)} (${Math.floor(f * 100)}%)`;
    if (f !== null) return `${fmt.formatPair(view.done || 0, view.total)} (${Math.floor(f * 100)}%)`;
    return view.done > 0 ? fmt.formatSize(view.done) : "";
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
    if (t.speed > 0) parts.push(fmt.formatSpeed(t.speed));
    return parts.join(" · ");
  }

  /** Badge text: the active count (as the panel's header), empty when nothing is active. */
  function badgeText(lifecycle, views) {
    const n = totals(lifecycle, views).active;
    return n === 0 ? "" : n > 99 ? "99+" : String(n);
  }

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

  Object.assign(fmt, {
    LABELS, LINK_LABELS, isActive, stateText, retryText, whenText, fraction, barKind, sizeText, segmentBlocks,
    actionsFor, totals, summaryText, badgeText, BULK, bulkRequests, applyEvent,
  });
})(globalThis);
