import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEvent, badgeText, formatBytes, formatEta, formatSpeed, progressFraction, segmentBlocks } from "../lib/format.js";

const view = (over = {}) => ({ download_id: "d-1", state: "running", total: 1000, done: 250, speed: 2048, eta: 75, segments: [[0, 500, 200], [500, 1000, 50]], created_at: 1, ...over });

test("sizes, speeds and ETAs read like a person writes them", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(50 * 1024 * 1024), "50 MiB");
  assert.equal(formatBytes(-1), "?");
  assert.equal(formatSpeed(0), "");
  assert.equal(formatSpeed(8 * 1024 * 1024), "8.0 MiB/s");
  assert.equal(formatEta(null), "");
  assert.equal(formatEta(42), "42s");
  assert.equal(formatEta(75), "1m 15s");
  assert.equal(formatEta(3 * 3600 + 5 * 60), "3h 05m");
});

test("progress: fraction of total, unknown total is null, completed is 1", () => {
  assert.equal(progressFraction(view()), 0.25);
  assert.equal(progressFraction(view({ total: null })), null);
  assert.equal(progressFraction(view({ state: "completed", total: null })), 1);
  assert.equal(progressFraction(view({ done: 2000 })), 1);
});

test("segment bar: one block per segment, malformed ones dropped", () => {
  assert.deepEqual(segmentBlocks(view()), [{ left: 0, width: 50, filled: 40 }, { left: 50, width: 50, filled: 10 }]);
  assert.deepEqual(segmentBlocks(view({ segments: [[0, 2000, 0], [5, 5, 0], "x", [0, 10]] })), []);
  assert.deepEqual(segmentBlocks(view({ total: null })), []);
});

test("badge counts queued and running downloads", () => {
  assert.equal(badgeText([]), "");
  assert.equal(badgeText([view(), view({ state: "queued" }), view({ state: "paused" }), view({ state: "completed" })]), "2");
  assert.equal(badgeText(Array.from({ length: 120 }, () => view())), "99+");
});

test("events update the list, newest first", () => {
  let list = applyEvent([], { event: "added", data: { download: view() } });
  list = applyEvent(list, { event: "added", data: { download: view({ download_id: "d-2", created_at: 2 }) } });
  assert.deepEqual(list.map((v) => v.download_id), ["d-2", "d-1"]);
  list = applyEvent(list, { event: "progress", data: { downloads: [view({ done: 900 })] } });
  assert.equal(list.find((v) => v.download_id === "d-1").done, 900);
  list = applyEvent(list, { event: "removed", data: { download_id: "d-2" } });
  assert.deepEqual(list.map((v) => v.download_id), ["d-1"]);
  assert.deepEqual(applyEvent(list, { event: "completed" }), list);
});
