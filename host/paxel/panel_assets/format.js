// Pure helpers for the panel: numbers to words and a download's view to what a row shows.
// No DOM here, so node's test runner checks them directly (tests/panel/format.test.cjs).
"use strict";

(function (root) {
  const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
  // Labels per lifecycle action. Which actions a state allows, in which order, and which states
  // are active come from the service's lifecycle table (hello's `lifecycle`, docs/protocol.md),
  // never from a copy here; an action without a label is not shown.
  const LABELS = {
    pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry",
    open: "Open file", reveal: "Show in folder", remove: "Remove",
  };

  function formatSize(bytes) {
    if (typeof bytes !== "number" || !isFinite(bytes) || bytes < 0) return "?";
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit === 0) return `${value} B`;
    return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
  }

  function formatSpeed(bytesPerSecond) {
    if (typeof bytesPerSecond !== "number" || !(bytesPerSecond > 0)) return "";
    return `${formatSize(bytesPerSecond)}/s`;
  }

  function formatEta(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) return "";
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec} left` : `${m}:${sec} left`;
  }

  function fraction(view) {
    if (view.state === "completed") return 1;
    if (!view.total) return null; // unknown size: the bar shows an indeterminate stripe
    return Math.min(1, Math.max(0, view.done / view.total));
  }

  // `active`: the lifecycle table lists the view's state as active (isActive below).
  function sizeText(view, active) {
    const f = fraction(view);
    if (view.state === "completed" || view.state === "missing") return formatSize(view.total ?? view.done);
    if (view.total) return `${formatSize(view.done)} of ${formatSize(view.total)} (${Math.floor(f * 100)}%)`;
    return view.done > 0 || active ? formatSize(view.done) : ""; // a failed probe has no size
  }

  // One block per segment, positioned by its byte range, filled by what it has fetched.
  function segmentBlocks(view) {
    const total = view.total;
    if (!total || !Array.isArray(view.segments)) return [];
    return view.segments.map(([start, end, done]) => ({
      left: (start / total) * 100,
      width: (Math.max(0, end - start) / total) * 100,
      fill: end > start ? Math.min(1, Math.max(0, done / (end - start))) * 100 : 100,
    }));
  }

  function isActive(lifecycle, view) {
    const states = (lifecycle && Array.isArray(lifecycle.states)) ? lifecycle.states : [];
    return states.some((s) => s && s.state === view.state && s.active === true);
  }

  // The user actions the table allows in `state` and this page has a label for, in table order.
  function actionsFor(lifecycle, state) {
    const transitions = (lifecycle && Array.isArray(lifecycle.transitions)) ? lifecycle.transitions : [];
    return transitions
      .filter((t) => t && t.by === "user" && Array.isArray(t.from) && t.from.includes(state)
        && Object.prototype.hasOwnProperty.call(LABELS, t.action))
      .map((t) => t.action);
  }

  const api = { formatSize, formatSpeed, formatEta, fraction, sizeText, segmentBlocks, isActive, actionsFor, LABELS };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.paxelFormat = api;
})(typeof window !== "undefined" ? window : globalThis);
