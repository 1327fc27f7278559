import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { actionsFor } from "../lib/lifecycle.js";

// The service's own table, as `hello` sends it (tests/unit/test_lifecycle.py keeps the copy true).
const table = JSON.parse(readFileSync(new URL("../../tests/support/lifecycle.json", import.meta.url), "utf8"));
const names = (state, lifecycle = table) => actionsFor(lifecycle, state).map((a) => a.action);

test("buttons come from the service's table, in its order", () => {
  assert.deepEqual(names("running"), ["pause", "cancel", "remove"]);
  assert.deepEqual(names("paused"), ["resume", "refresh", "start_now", "cancel", "remove"]);
  assert.deepEqual(names("queued"), ["pause", "start_now", "cancel", "remove", "move_top", "move_up", "move_down", "move_bottom"]);
  assert.deepEqual(names("completed"), ["open", "reveal", "remove"]);
  assert.deepEqual(names("failed"), ["retry", "refresh", "remove"]);
  assert.deepEqual(names("missing"), ["remove"]);
  assert.deepEqual(names("weird"), []);
});

test("each action carries the request to send", () => {
  const reveal = actionsFor(table, "completed").find((a) => a.action === "reveal");
  assert.deepEqual(reveal.request, { type: "open", what: "folder" });
});

test("no table or a malformed one offers nothing, and never throws", () => {
  for (const bad of [null, undefined, {}, { transitions: "x" }, { transitions: [null, 3, { by: "user", from: "running" }] }]) {
    assert.deepEqual(actionsFor(bad, "running"), []);
  }
  const serviceOnly = { transitions: [{ action: "start", by: "service", from: ["queued"], to: "running" }] };
  assert.deepEqual(names("queued", serviceOnly), []);
});
