import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { afterRefresh, CLICK_AGAIN, letGo } from "../lib/relink.js";
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

test("whatever the answer, letting go never deletes an attached download's file", () => {
  fc.assert(fc.property(fc.anything(), (junk) => {
    const outcome = outcomeOf({ outcome: "taken", download: { download_id: "d-9" }, attached: junk });
    const request = letGo(outcome);
    assert.equal(request.type === "pause", junk === true);
    const page = afterRefresh({ page: junk });
    assert.ok("open" in page ? /^https?:/.test(page.open) : page.say === CLICK_AGAIN);
  }));
});
