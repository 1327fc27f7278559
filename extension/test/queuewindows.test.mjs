// A queue's own windows as the options page and the panel edit them (issue 13 item 5): read from
// the service's settings into the form and back without loss, a wrong day or time refused next
// to its field, and each window read out in words (a window over midnight, or a whole day when
// its start is its end, as paxel.service.schedule holds them).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../lib/servicesettings.js";

const { DAYS, fromForm, toForm, windowWords } = globalThis.paxelServiceSettings;
const base = { max_concurrent: 3, default_connections: 8, duplicates: "rename",
  schedule: { windows: [], speeds: [] }, folder_rules: { by_type: false, categories: {}, sites: [] } };
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const days = fc.subarray([...DAYS], { minLength: 1 });
const window = fc.record({ start: hhmm, stop: hhmm, days }, { noNullPrototype: true });

test("a queue's own windows go through the form and back as they were (none, empty, some)", () => {
  fc.assert(fc.property(fc.array(fc.option(fc.array(window, { maxLength: 3 }), { nil: undefined }), { minLength: 1, maxLength: 3 }), (owns) => {
    const queues = Object.fromEntries(owns.map((own, i) => [`q${i}`, { max_concurrent: i + 1, ...(own ? { schedule: { windows: own } } : {}) }]));
    const settings = { ...base, queues };
    const out = fromForm(toForm(settings), settings);
    assert.equal(out.errors, undefined);
    assert.deepEqual(out.set.queues, queues);
  }));
});

test("a window added to a queue in the form is saved as its own schedule; removing the last leaves the global ones", () => {
  const settings = { ...base, queues: { night: { max_concurrent: 1 } } };
  const values = toForm(settings);
  values.queues[0].windows.push({ start: "22:00", stop: "06:00", days: ["fri", "sat"] });
  assert.deepEqual(fromForm(values, settings).set.queues, { night: { max_concurrent: 1, schedule: { windows: [{ start: "22:00", stop: "06:00", days: ["fri", "sat"] }] } } });
  const own = { ...base, queues: { night: { max_concurrent: 1, schedule: { windows: [{ start: "02:00", stop: "06:00", days: [...DAYS] }] } } } };
  const cleared = toForm(own);
  cleared.queues[0].windows = [];
  assert.deepEqual(fromForm(cleared, own).set.queues, { night: { max_concurrent: 1 } });
  cleared.queues[0].anyTime = true; // without windows of its own: at any time
  assert.deepEqual(fromForm(cleared, own).set.queues, { night: { max_concurrent: 1, schedule: { windows: [] } } });
});

test("a wrong time or day in a queue's window is refused next to its field; nothing is sent", () => {
  const settings = { ...base, queues: { night: { max_concurrent: 1 } } };
  const values = toForm(settings);
  values.queues[0].windows.push({ start: "25:00", stop: "6", days: ["fri", "someday"] }, { start: "02:00", stop: "06:00", days: [] });
  const out = fromForm(values, settings);
  assert.equal(out.set, undefined);
  const fields = Object.fromEntries(out.errors.map((e) => [e.field, e.message]));
  assert.equal(fields["queues.0.windows.0.start"], "From: a time like 02:00.");
  assert.equal(fields["queues.0.windows.0.stop"], "To: a time like 02:00.");
  assert.equal(fields["queues.0.windows.0.days"], "Days: “someday” is not a day (mon, tue, wed, thu, fri, sat, sun).");
  assert.equal(fields["queues.0.windows.1.days"], "Days: tick at least one.");
});

test("any day that is not one of the seven is refused, never dropped in silence", () => {
  fc.assert(fc.property(days, fc.string().filter((d) => !DAYS.includes(d)), fc.nat(), (good, bad, at) => {
    const list = [...good];
    list.splice(at % (list.length + 1), 0, bad);
    const out = fromForm({ ...toForm(base), windows: [{ start: "02:00", stop: "06:00", days: list }] }, base);
    assert.deepEqual(out.errors?.map((e) => e.field), ["windows.0.days"]);
  }));
});

test("a window in words: over midnight ends the next day, the same start and end is a whole day", () => {
  assert.equal(windowWords({ start: "02:00", stop: "06:00", days: [...DAYS] }), "every day, 02:00 to 06:00");
  assert.equal(windowWords({ start: "22:00", stop: "06:00", days: ["fri", "sat"] }), "Fri, Sat: 22:00 to 06:00 the next day");
  assert.equal(windowWords({ start: "02:00", stop: "02:00", days: ["sun"] }), "Sun: 24 hours from 02:00");
  assert.equal(windowWords({ start: "25:00", stop: "02:00", days: ["sun"] }), "");
  assert.equal(windowWords({ start: "01:00", stop: "02:00", days: [] }), "");
  fc.assert(fc.property(window, (w) => {
    const words = windowWords(w);
    assert.equal(words.includes("the next day"), w.stop < w.start);
    assert.equal(words.includes("24 hours"), w.stop === w.start);
    assert.ok(words.includes(w.start));
  }));
});

test("a Save merges a queue's windows with what the CLI changed meanwhile: another queue's kept, the same queue's named", () => {
  const { mergeSaved } = globalThis.paxelServiceSettings;
  const setOf = (settings) => { const v = toForm(settings); delete v.categories; return fromForm(v, settings).set; };
  const drawn = { ...base, queues: { night: { max_concurrent: 1 }, day: { max_concurrent: 1 } } };
  const mine = toForm(drawn);
  mine.queues[0].windows.push({ start: "22:00", stop: "06:00", days: [...DAYS] });
  const day = { windows: [{ start: "09:00", stop: "17:00", days: ["mon"] }] };
  const cli = { ...base, queues: { night: { max_concurrent: 1 }, day: { max_concurrent: 1, schedule: day } } }; // paxel schedule --queue day window …
  const merged = mergeSaved(fromForm(mine, drawn).set, setOf(drawn), setOf(cli));
  assert.deepEqual(merged.conflicts, []);
  assert.deepEqual(merged.set.queues.day, { max_concurrent: 1, schedule: day });
  assert.equal(merged.set.queues.night.schedule.windows[0].start, "22:00");
  const both = { ...base, queues: { night: { max_concurrent: 1, schedule: day }, day: { max_concurrent: 1 } } };
  assert.deepEqual(mergeSaved(fromForm(mine, drawn).set, setOf(drawn), setOf(both)).conflicts, ["queues.night"]);
});
