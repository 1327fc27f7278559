import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTake, canTake, deadlineLeft, outcomeOf, seenOf, takeDeadlineFrom, TAKE_DEADLINE_MS, TIMED_OUT } from "../lib/takeover.js";

if (process.env.CI) fc.configureGlobal({ seed: 20261130 });

test("only a host that says `take` gets downloads", () => {
  assert.equal(canTake({ capabilities: ["download", "take"] }), true);
  assert.equal(canTake({ capabilities: ["download", "probe"] }), false);
  assert.equal(canTake(null), false);
  assert.equal(canTake({ capabilities: "take" }), false);
});

test("what the browser saw: unknown sizes (-1 Firefox, 0 Chromium) are null, names are base names", () => {
  assert.deepEqual(seenOf({ totalBytes: 2048, mime: "application/zip", filename: "/home/u/Downloads/a.zip" }),
    { size: 2048, content_type: "application/zip", filename: "a.zip" });
  assert.deepEqual(seenOf({ totalBytes: -1, mime: "", filename: "" }), { size: null, content_type: null, filename: null });
  assert.deepEqual(seenOf({ totalBytes: 0, fileSize: 0 }), { size: null, content_type: null, filename: null });
});

test("take is the download request plus what the browser saw", () => {
  const download = { type: "download", url: "https://h/a.zip", source: "click" };
  assert.deepEqual(buildTake(download, { size: 1, content_type: null, filename: "a.zip" }),
    { type: "take", url: "https://h/a.zip", source: "click", expect: { size: 1, content_type: null, filename: "a.zip" } });
});

test("taken needs a download; everything else is a decline with a reason and words", () => {
  const download = { download_id: "d-1" };
  assert.deepEqual(outcomeOf({ outcome: "taken", download }), { taken: true, download });
  assert.deepEqual(outcomeOf({ outcome: "declined", reason: "html", message: "the server answered paxel an HTML page" }),
    { taken: false, reason: "html", message: "the server answered paxel an HTML page" });
  assert.equal(TIMED_OUT.reason, "timeout");
  fc.assert(fc.property(fc.anything(), (junk) => {
    const verdict = outcomeOf(junk);
    if (verdict.taken) assert.equal(typeof verdict.download.download_id, "string");
    else assert.ok(verdict.reason && verdict.message);
  }));
});

test("the take's deadline counts from the download's announcement, a cold start included", () => {
  assert.equal(deadlineLeft(1000, 1000), TAKE_DEADLINE_MS);
  assert.equal(deadlineLeft(1000, 4000), TAKE_DEADLINE_MS - 3000);   // 3 s of cold start spent
  assert.equal(deadlineLeft(1000, 1000 + TAKE_DEADLINE_MS + 1), 0);
  assert.equal(deadlineLeft(5000, 1000), TAKE_DEADLINE_MS);          // a clock step back: never more
  assert.equal(deadlineLeft(undefined, 1000), TAKE_DEADLINE_MS);
});

test("the take's deadline is 10 s; only a shorter one (from 1 s, whole ms) may be stored for a test", () => {
  assert.equal(TAKE_DEADLINE_MS, 10000);   // under Chromium's 15 s hold, a cold start included
  assert.equal(takeDeadlineFrom(undefined), 10000);
  assert.equal(takeDeadlineFrom(3000), 3000);
  assert.equal(takeDeadlineFrom(1000), 1000);
  for (const stored of [999, 0, -1, 10001, 20000, 2500.5, "3000", null, NaN, Infinity, {}]) {
    assert.equal(takeDeadlineFrom(stored), 10000, String(stored));
  }
  assert.equal(deadlineLeft(1000, 2000, 3000), 2000);
  assert.equal(deadlineLeft(1000, 9000, 3000), 0);
  fc.assert(fc.property(fc.anything(), (stored) => {
    const ms = takeDeadlineFrom(stored);
    return Number.isInteger(ms) && ms >= 1000 && ms <= TAKE_DEADLINE_MS;
  }));
});
