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
  assert.equal(fmt.sizeText({ state: "queued", total: null, done: 0 }, true), "0 B");
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

// The service's own lifecycle table as hello sends it (tests/unit/test_lifecycle.py keeps it true).
const lifecycle = require(path.join(__dirname, "../support/lifecycle.json"));

test("buttons and active states come from the service's lifecycle table", () => {
  assert.deepEqual(fmt.actionsFor(lifecycle, "running"), ["pause", "cancel", "remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "paused"), ["resume", "cancel", "remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "completed"), ["open", "reveal", "remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "failed"), ["retry", "remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "cancelled"), ["retry", "remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "missing"), ["remove"]);
  assert.deepEqual(fmt.actionsFor(lifecycle, "something-new"), []);
  for (const state of ["queued", "running", "paused"]) assert.ok(fmt.isActive(lifecycle, { state }));
  for (const state of ["completed", "failed", "cancelled", "missing"]) assert.ok(!fmt.isActive(lifecycle, { state }));
});

test("without a table (or with a broken one) nothing is offered and nothing throws", () => {
  for (const bad of [null, {}, { states: 1, transitions: "x" }, { transitions: [null, { by: "user" }] }]) {
    assert.deepEqual(fmt.actionsFor(bad, "running"), []);
    assert.ok(!fmt.isActive(bad, { state: "running" }));
  }
  const unlabelled = { transitions: [{ action: "teleport", by: "user", from: ["running"], to: "same" }] };
  assert.deepEqual(fmt.actionsFor(unlabelled, "running"), []);
});
