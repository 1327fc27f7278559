// node --test: the panel's pure formatting helpers (host/paxel/panel_assets/format.js).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const fmt = require(path.join(__dirname, "../../host/paxel/panel_assets/format.js"));

test("sizes use binary units and stay short", () => {
  assert.equal(fmt.formatSize(0), "0 B");
  assert.equal(fmt.formatSize(1023), "1023 B");
  assert.equal(fmt.formatSize(1024), "1.0 KiB");
  assert.equal(fmt.formatSize(64 * 1024 * 1024), "64.0 MiB");
  assert.equal(fmt.formatSize(300 * 1024 * 1024), "300 MiB");
  assert.equal(fmt.formatSize(5 * 1024 ** 5), "5120 TiB");
  assert.equal(fmt.formatSize(null), "?");
  assert.equal(fmt.formatSize(-1), "?");
});

test("speed is blank when nothing moves", () => {
  assert.equal(fmt.formatSpeed(0), "");
  assert.equal(fmt.formatSpeed(undefined), "");
  assert.equal(fmt.formatSpeed(2 * 1024 * 1024), "2.0 MiB/s");
});

test("eta reads as m:ss or h:mm:ss", () => {
  assert.equal(fmt.formatEta(null), "");
  assert.equal(fmt.formatEta(Infinity), "");
  assert.equal(fmt.formatEta(5), "0:05 left");
  assert.equal(fmt.formatEta(125.4), "2:05 left");
  assert.equal(fmt.formatEta(3725), "1:02:05 left");
});

test("fraction and size text", () => {
  const running = { state: "running", total: 1000, done: 250 };
  assert.equal(fmt.fraction(running), 0.25);
  assert.equal(fmt.sizeText({ ...running, total: 4096, done: 1024 }), "1.0 KiB of 4.0 KiB (25%)");
  assert.equal(fmt.fraction({ state: "running", total: null, done: 10 }), null);
  assert.equal(fmt.sizeText({ state: "running", total: null, done: 10 }), "10 B");
  assert.equal(fmt.fraction({ state: "completed", total: null, done: 10 }), 1);
  assert.equal(fmt.sizeText({ state: "failed", total: null, done: 0 }), "");
  assert.equal(fmt.sizeText({ state: "queued", total: null, done: 0 }), "0 B");
  assert.equal(fmt.fraction({ state: "running", total: 10, done: 20 }), 1);
});

test("one block per segment, placed by byte range and filled by progress", () => {
  const view = { state: "running", total: 400, segments: [[0, 100, 100], [100, 300, 50], [300, 400, 0]] };
  assert.deepEqual(fmt.segmentBlocks(view), [
    { left: 0, width: 25, fill: 100 },
    { left: 25, width: 50, fill: 25 },
    { left: 75, width: 25, fill: 0 },
  ]);
  assert.deepEqual(fmt.segmentBlocks({ ...view, total: null }), []);
  assert.deepEqual(fmt.segmentBlocks({ ...view, segments: [[5, 5, 0]] }), [{ left: 1.25, width: 0, fill: 100 }]);
});

test("buttons follow the state; unknown states can still be removed", () => {
  assert.deepEqual(fmt.actionsFor("running"), ["pause", "cancel"]);
  assert.deepEqual(fmt.actionsFor("paused"), ["resume", "cancel"]);
  assert.deepEqual(fmt.actionsFor("completed"), ["open", "folder", "remove"]);
  assert.deepEqual(fmt.actionsFor("failed"), ["retry", "remove"]);
  assert.deepEqual(fmt.actionsFor("cancelled"), ["retry", "remove"]);
  assert.deepEqual(fmt.actionsFor("missing"), ["remove"]); // the service refuses retry there
  assert.deepEqual(fmt.actionsFor("something-new"), ["remove"]);
  for (const state of ["queued", "running", "paused"]) assert.ok(fmt.isActive({ state }));
  for (const state of ["completed", "failed", "cancelled", "missing"]) assert.ok(!fmt.isActive({ state }));
});
