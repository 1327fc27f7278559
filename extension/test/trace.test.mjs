import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { addDecision, describeDecision, failureReason, REASONS, TRACE_SIZE } from "../lib/trace.js";
import { decide } from "../lib/rules.js";
import { DEFAULT_SETTINGS, normalizeSettings } from "../lib/settings.js";

if (process.env.CI) fc.configureGlobal({ seed: 20261130 });

const d = (i, over = {}) => ({ at: i, url: `https://h/${i}`, name: `${i}.bin`, to: "browser", reason: "post", ...over });

test("the trace keeps the last 20 decisions, newest first", () => {
  let trace = [];
  for (let i = 0; i < 25; i++) trace = addDecision(trace, d(i));
  assert.equal(trace.length, TRACE_SIZE);
  assert.deepEqual(trace.map((x) => x.at), Array.from({ length: 20 }, (_, k) => 24 - k));
});

test("property: whatever is stored, adding keeps at most 20 well-formed decisions", () => {
  const decision = fc.record({ at: fc.nat(), url: fc.string(), to: fc.constantFrom("paxel", "browser", "nobody"), reason: fc.oneof(fc.string(), fc.constant(undefined)) });
  fc.assert(fc.property(fc.oneof(fc.anything(), fc.array(decision, { maxLength: 30 })), fc.array(decision, { maxLength: 30 }), (stored, added) => {
    let trace = addDecision(stored, undefined);
    for (const x of added) trace = addDecision(trace, x);
    assert.ok(Array.isArray(trace) && trace.length <= Math.max(TRACE_SIZE, Array.isArray(stored) ? stored.length : 0));
    for (const x of trace.slice(0, added.filter((a) => a.to !== "nobody" && typeof a.reason === "string").length)) {
      assert.ok(x.to === "paxel" || x.to === "browser");
    }
  }));
});

test("every reason rules.decide can give has words for the user", () => {
  const settings = normalizeSettings({ ...DEFAULT_SETTINGS, minSize: 1024 }).settings;
  const base = { url: "https://h/f.bin", referrer: "", filename: "f.bin", mime: "", size: 4096, incognito: false };
  const cases = [
    {}, { url: "blob:https://h/1" }, { url: "data:,x" }, { url: "filesystem:https://h/temporary/f" }, { url: "ftp://h/f" },
    { url: "x" }, { incognito: true }, { size: 10 }, { method: "POST" }, { bypass: true }, { size: null, bypass: true },
  ];
  for (const c of cases) {
    const { reason } = decide({ ...base, ...c }, settings);
    assert.ok(reason in REASONS, reason);
  }
  for (const s of [{ enabled: false }, { skipDomains: "h" }, { excludeTypes: "bin" }, { includeTypes: "zip" }]) {
    const { reason } = decide(base, normalizeSettings({ ...DEFAULT_SETTINGS, ...s }).settings);
    assert.ok(reason in REASONS, reason);
  }
});

test("failures name the host's state; the popup line says where the headers came from", () => {
  assert.equal(failureReason({ code: "not_installed" }), "host-missing");
  assert.equal(failureReason({ code: "NOT_INSTALLED" }), "host-missing");
  assert.equal(failureReason({ code: "timeout" }), "host-failed");
  assert.equal(failureReason({ code: "FOLDER_NOT_ALLOWED" }), "refused");
  assert.equal(failureReason(new Error("x")), "refused");
  assert.equal(describeDecision(d(1)), "browser: sent by POST: paxel cannot replay it");
  assert.equal(describeDecision(d(1, { to: "paxel", reason: "rules-matched", request: "cookies" })),
    "paxel: rules matched (request not seen: cookies from the cookie store)");
  assert.equal(describeDecision(d(1, { reason: "refused", detail: "FOLDER_NOT_ALLOWED" })), "browser: paxel refused it: FOLDER_NOT_ALLOWED");
});
