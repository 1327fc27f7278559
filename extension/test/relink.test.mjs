import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { afterRefresh, CLICK_AGAIN, letGo, pageToOpen } from "../lib/relink.js";
import { outcomeOf } from "../lib/takeover.js";

test("refresh opens the download's page, or asks for the click again", () => {
  assert.deepEqual(afterRefresh({ page: "https://site.test/files.html" }), { open: "https://site.test/files.html" });
  for (const page of [null, undefined, "", "javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", 7]) {
    assert.deepEqual(afterRefresh({ page }), { say: CLICK_AGAIN });
  }
  assert.deepEqual(afterRefresh(null), { say: CLICK_AGAIN });
});

test("a late take is removed when new, only paused when it continues an earlier download", () => {
  const download = { download_id: "d-1" };
  assert.deepEqual(letGo(outcomeOf({ outcome: "taken", download })), { type: "remove", download_id: "d-1", delete_file: true });
  assert.deepEqual(letGo(outcomeOf({ outcome: "taken", download, attached: true })), { type: "pause", download_id: "d-1" });
  assert.equal(letGo(outcomeOf({ outcome: "declined", reason: "status" })), null);
});

test("a click answered with the download already running is let go of by doing nothing", () => {
  // The service answers a second click on a file it is downloading with that download; should
  // the browser's copy win after all (Firefox finished first), the earlier download goes on.
  const download = { download_id: "d-1", state: "running" };
  assert.equal(letGo(outcomeOf({ outcome: "taken", download, attached: true, already: true })), null);
  // An attach whose download the service started at once is this click's: paused.
  assert.deepEqual(letGo(outcomeOf({ outcome: "taken", download, attached: true })), { type: "pause", download_id: "d-1" });
  assert.deepEqual(letGo(outcomeOf({ outcome: "taken", download, already: true })),
    { type: "remove", download_id: "d-1", delete_file: true });
});

test("whatever the answer, letting go never deletes an attached download's file", () => {
  fc.assert(fc.property(fc.anything(), (junk) => {
    const outcome = outcomeOf({ outcome: "taken", download: { download_id: "d-9" }, attached: junk });
    const request = letGo(outcome);
    assert.equal(request.type === "pause", junk === true);
    const page = afterRefresh({ page: junk });
    assert.ok("open" in page ? /^https?:/.test(page.open) : page.say === CLICK_AGAIN);
  }));
});

test("Open page opens a web page only: a javascript:, file: or data: page falls back to the link", () => {
  const url = "https://files.example/a.bin";
  assert.equal(pageToOpen({ page: "https://site.example/p", url }), "https://site.example/p");
  for (const page of ["javascript:alert(1)", "JavaScript:alert(1)", "file:///etc/passwd", "data:text/html,<b>x",
    " javascript:alert(1)", "blob:https://x/1", null, "", 7]) {
    assert.equal(pageToOpen({ page, url }), url, String(page));
  }
  assert.equal(pageToOpen({ page: "javascript:x", url: "file:///x" }), null);
  fc.assert(fc.property(fc.string(), fc.string(), (page, link) => {
    const opened = pageToOpen({ page, url: link });
    return opened === null || /^https?:/i.test(new URL(opened).protocol);
  }));
});
