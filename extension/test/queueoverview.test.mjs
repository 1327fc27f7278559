// The panel's queue overview from the service's `queues` reply (issue 13 item 5: the panel, the
// full surface): each queue's downloads at once, running and waiting, its window now and its next
// change in local time, and the speed limit over all downloads that holds now.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../lib/format.js";
import "../lib/listing.js";

const fmt = globalThis.paxelFormat;
const L = globalThis.paxelListing;
const at = (...parts) => new Date(...parts).getTime() / 1000; // local time, as the panel shows it
const now = at(2026, 10, 30, 3, 0); // Monday 30 November 2026, 03:00
const queue = (over) => ({ name: "main", max_concurrent: 3, running: 0, queued: 0, schedule: "global", open: true, next_open: null, next_close: null, ...over });

test("each queue's line: limit, running, waiting, and its window now with the next change", () => {
  const overview = L.queueOverview(fmt, { max_speed: 1048576, queues: [
    queue({ running: 2, queued: 5 }),
    queue({ name: "night", max_concurrent: 1, running: 1, schedule: "own", next_close: at(2026, 10, 30, 6, 0) }),
    queue({ name: "day", max_concurrent: 2, queued: 4, schedule: "own", open: false, next_open: at(2026, 10, 30, 9, 30) }),
    queue({ name: "weekend", max_concurrent: 1, open: false, next_open: at(2026, 11, 5, 0, 0) }),
    queue({ name: "tomorrow", max_concurrent: 1, open: false, next_open: at(2026, 11, 1, 2, 0) }),
    queue({ name: "never", max_concurrent: 1, open: false }),
  ] }, now);
  assert.equal(overview.limit, "1.0 MiB/s over all downloads");
  assert.deepEqual(overview.rows.map((r) => [r.name, r.atOnce, r.running, r.waiting, r.window]), [
    ["main", "3", "2", "5", "open"],
    ["night", "1", "1", "0", "open until 06:00 (own windows)"],
    ["day", "2", "0", "4", "closed, opens 09:30 (own windows)"],
    ["weekend", "1", "0", "0", "closed, opens Sat 00:00"],
    ["tomorrow", "1", "0", "0", "closed, opens tomorrow 02:00"],
    ["never", "1", "0", "0", "closed, no window within a week"],
  ]);
  assert.equal(overview.rows[2].open, false);
  assert.equal(L.queueOverview(fmt, { queues: [queue({})] }, now).limit, "no limit");
});

test("nothing to tell: only the main queue, always open, no limit", () => {
  assert.equal(L.queueOverview(fmt, { queues: [queue({ running: 1 })] }, now).quiet, true);
  assert.equal(L.queueOverview(fmt, { queues: [queue({})], max_speed: 1024 }, now).quiet, false);
  assert.equal(L.queueOverview(fmt, { queues: [queue({ open: false, next_open: now + 60 })] }, now).quiet, false);
  assert.equal(L.queueOverview(fmt, { queues: [queue({}), queue({ name: "night" })] }, now).quiet, false);
});

test("any reply, even a broken one, gives lines of text, never a throw", () => {
  const anything = fc.anything({ withNullPrototype: false });
  fc.assert(fc.property(fc.oneof(anything, fc.record({ max_speed: anything,
    queues: fc.array(fc.record({ name: anything, max_concurrent: anything, running: anything, queued: anything,
      schedule: anything, open: anything, next_open: anything, next_close: anything }), { maxLength: 4 }) })), fc.double(), (reply, t) => {
    const overview = L.queueOverview(fmt, reply, t);
    assert.equal(typeof overview.limit, "string");
    for (const row of overview.rows) for (const key of ["name", "atOnce", "running", "waiting", "window"]) assert.equal(typeof row[key], "string");
  }));
});
