import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { classifyFailure, SERVICE_UNAVAILABLE } from "../lib/failures.js";

// CI replays one fixed seed so a run cannot fail on a case no developer has seen; locally every
// run explores new cases.
if (process.env.CI) fc.configureGlobal({ seed: 20261123 });

test("a refused button press (BAD_STATE) is shown on the download, not as a lost host", () => {
  const verdict = classifyFailure({ code: "BAD_STATE", number: 30, message: "download d-1 is completed: cannot pause" });
  assert.deepEqual(verdict, { kind: "refused", message: "download d-1 is completed: cannot pause" });
});

test("every refusal code 20-32 leaves the connection status alone", () => {
  for (let number = 20; number <= 32; number += 1) {
    assert.equal(classifyFailure({ code: "X", number, message: "no" }).kind, "refused", `code ${number}`);
  }
});

test("SERVICE_UNAVAILABLE means the service is stopped (the popup offers to start it)", () => {
  assert.deepEqual(classifyFailure({ code: "SERVICE_UNAVAILABLE", number: SERVICE_UNAVAILABLE, message: "not running" }),
    { kind: "host", state: "stopped", message: "not running" });
});

test("transport failures without a wire code are connection problems, with their own state", () => {
  assert.deepEqual(classifyFailure({ code: "not_installed", message: "not found" }), { kind: "host", state: "not_installed", message: "not found" });
  assert.deepEqual(classifyFailure({ code: "forbidden", message: "nope" }), { kind: "host", state: "forbidden", message: "nope" });
  assert.equal(classifyFailure({ code: "timeout", message: "slow" }).state, "failed");
  assert.equal(classifyFailure({ code: "failed", message: "closed" }).state, "failed");
});

test("requests the extension itself rejects are refusals", () => {
  assert.equal(classifyFailure({ code: "BAD_FIELD", message: "download_id must be a non-empty string" }).kind, "refused");
  assert.equal(classifyFailure({ code: "UNKNOWN_TYPE", message: "unknown message type" }).kind, "refused");
});

test("malformed error objects still give a verdict with a message", () => {
  for (const bad of [undefined, null, {}, { message: "" }, { number: "30" }]) {
    const verdict = classifyFailure(bad);
    assert.equal(verdict.kind, "host");
    assert.equal(verdict.message, "paxel did not answer");
  }
});

test("property: any answered code other than 33 is a refusal, 33 never is", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.string(), (number, code) => {
    const verdict = classifyFailure({ code, number, message: "m" });
    assert.equal(verdict.kind, number === SERVICE_UNAVAILABLE ? "host" : "refused");
  }));
});
