import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../lib/servicesettings.js";

const { mergeSaved } = globalThis.paxelServiceSettings;

// `set`s as fromForm gives them: what the form was drawn from, what it holds, what is saved now
const base = {
  max_concurrent: 3, default_connections: 8, duplicates: "rename",
  queues: { day: { max_concurrent: 1 } },
  schedule: { windows: [], speeds: [] },
  folder_rules: { by_type: false, sites: [], categories: {} },
};
const copy = (o) => structuredClone(o);

test("an edit of one setting keeps what was changed elsewhere in the others (no lost update)", () => {
  const mine = { ...copy(base), default_connections: 6 };
  const latest = { ...copy(base), max_concurrent: 5, queues: { day: { max_concurrent: 1 }, night: { max_concurrent: 2 } } };
  const { set, conflicts } = mergeSaved(mine, base, latest);
  assert.deepEqual(conflicts, []);
  assert.deepEqual(set, { default_connections: 6 });
});

test("queues merge one by one: mine renamed, theirs added", () => {
  const mine = { ...copy(base), queues: { dusk: { max_concurrent: 1 } } };
  const latest = { ...copy(base), queues: { day: { max_concurrent: 1 }, night: { max_concurrent: 2 } } };
  const { set, renamed, conflicts } = mergeSaved(mine, base, latest, { day: "dusk" });
  assert.deepEqual(conflicts, []);
  assert.deepEqual(set, { queues: { dusk: { max_concurrent: 1 }, night: { max_concurrent: 2 } } });
  assert.deepEqual(renamed, { day: "dusk" });
});

test("the same setting changed on both sides differently is a conflict, named; the same way is not", () => {
  const mine = { ...copy(base), queues: { day: { max_concurrent: 3 } }, schedule: { windows: [{ start: "02:00", stop: "06:00", days: ["mon"] }], speeds: [] } };
  const latest = { ...copy(base), queues: { day: { max_concurrent: 2 } }, schedule: copy(mine.schedule) };
  const out = mergeSaved(mine, base, latest);
  assert.deepEqual(out.conflicts, ["queues.day"]);
  // Save again: what was seen is now the base, so the form's value replaces theirs
  const again = mergeSaved(mine, out.base, latest);
  assert.deepEqual(again.conflicts, []);
  assert.deepEqual(again.set, { queues: { day: { max_concurrent: 3 } } });
});

test("a queue renamed here and removed (or changed) elsewhere is a conflict, not a rename of nothing", () => {
  const mine = { ...copy(base), queues: { dusk: { max_concurrent: 1 } } };
  const latest = { ...copy(base), queues: {} };
  const out = mergeSaved(mine, base, latest, { day: "dusk" });
  assert.deepEqual(out.conflicts, ["queues.day"]);
  const again = mergeSaved(mine, out.base, latest, { day: "dusk" }); // Save again: a new queue
  assert.deepEqual(again.conflicts, []);
  assert.deepEqual(again.renamed, {});
  assert.deepEqual(again.set, { queues: { dusk: { max_concurrent: 1 } } });
});

test("merging is the form's set when nothing changed elsewhere, and latest when nothing changed here", () => {
  const queues = fc.dictionary(fc.constantFrom("a", "b", "c"), fc.record({ max_concurrent: fc.integer({ min: 1, max: 32 }) }));
  const set = fc.record({ max_concurrent: fc.integer({ min: 1, max: 32 }), queues, folder_rules: fc.record({ by_type: fc.boolean() }) });
  fc.assert(fc.property(set, set, (b, m) => {
    const mine = mergeSaved(m, b, b);
    assert.deepEqual(mine.conflicts, []);
    const plain = (o) => JSON.parse(JSON.stringify(o)); // fast-check's objects may lack a prototype
    assert.deepEqual(plain({ ...b, ...mine.set }), plain(m));
    const theirs = mergeSaved(b, b, m);
    assert.deepEqual(theirs.conflicts, []);
    assert.deepEqual(theirs.set, {});
  }));
});
