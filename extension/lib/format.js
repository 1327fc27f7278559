// Numbers as people read them, and the shapes the popup draws. Pure.

export const ACTIVE_STATES = Object.freeze(["queued", "running"]);

export function isActive(view) {
  return ACTIVE_STATES.includes(view.state);
}

export function activeCount(views) {
  return views.filter(isActive).length;
}

/** Badge text: empty when nothing is active, so the icon stays clean. */
export function badgeText(views) {
  const n = activeCount(views);
  return n === 0 ? "" : n > 99 ? "99+" : String(n);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "?";
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${UNITS[i]}`;
}

export function formatSpeed(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatEta(seconds) {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Fraction done in [0, 1], or null when the total is unknown. */
export function progressFraction(view) {
  if (view.state === "completed") return 1;
  if (!Number.isFinite(view.total) || view.total <= 0) return null;
  return Math.min(1, Math.max(0, view.done / view.total));
}

/**
 * One block per segment for the segment bar, in percent of the file: where it starts, how wide
 * it is and how much of it is written. Segments past the total or malformed are dropped.
 */
export function segmentBlocks(view) {
  const total = view.total;
  if (!Number.isFinite(total) || total <= 0 || !Array.isArray(view.segments)) return [];
  const blocks = [];
  for (const seg of view.segments) {
    if (!Array.isArray(seg) || seg.length !== 3) continue;
    const [start, end, done] = seg.map(Number);
    if (!(start >= 0 && end > start && end <= total && done >= 0)) continue;
    blocks.push({
      left: (start / total) * 100,
      width: ((end - start) / total) * 100,
      filled: Math.min(1, done / (end - start)) * 100,
    });
  }
  return blocks;
}

/** Merge one event into the list of downloads the UI shows (newest first). */
export function applyEvent(views, event) {
  const byId = new Map(views.map((v) => [v.download_id, v]));
  const data = event.data ?? {};
  if (event.event === "removed") {
    byId.delete(data.download_id);
  } else if (event.event === "progress") {
    for (const v of data.downloads ?? []) byId.set(v.download_id, v);
  } else if (data.download && data.download.download_id) {
    byId.set(data.download.download_id, data.download);
  }
  return [...byId.values()].sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
}
