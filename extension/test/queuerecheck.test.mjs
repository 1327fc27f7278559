// When the panel's queue overview asks the service again by itself (lib/listing.js
// queueRecheck): a second after a queue's window opens or closes, at least every 30 s (a
// time-of-day speed limit changes without an event), and soon again when the service answered
// with a change already past (its once-a-second look at the clock had not come yet: the line
// said "closed, opens 02:00" at 02:00:01 and would have stayed so for 30 s).
import { test } from "node:test";
import assert from "node:assert/strict";
import "../lib/format.js";
import "../lib/listing.js";

const L = globalThis.paxelListing;
const now = 1796000000;
const queue = (over) => ({ name: "main", open: true, next_open: null, next_close: null, ...over });

test("a second after the next change, at most 30 s", () => {
  assert.equal(L.queueRecheck({ ok: true, queues: [queue()] }, now), 30);
  assert.equal(L.queueRecheck({ ok: true, queues: [queue({ open: false, next_open: now + 10 }), queue({ next_close: now + 20 })] }, now), 11);
  assert.equal(L.queueRecheck({ ok: true, queues: [queue({ next_close: now + 3600 })] }, now), 30);
});

test("a change the service said but has not made yet is asked about again within a second", () => {
  // the reply left the service a moment before the window opened; the panel reads it after
  assert.equal(L.queueRecheck({ ok: true, queues: [queue({ open: false, next_open: now - 0.2 })] }, now), 1);
  assert.equal(L.queueRecheck({ ok: true, queues: [queue({ next_close: now })] }, now), 1);
});

test("no answer (the service away), or one without queues: asked again, not given up", () => {
  for (const reply of [null, { ok: false }, { ok: true }, { ok: true, queues: "x" }, { ok: true, queues: [null, 7] }]) {
    assert.equal(L.queueRecheck(reply, now), 30);
  }
});
