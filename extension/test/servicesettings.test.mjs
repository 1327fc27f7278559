import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../lib/servicesettings.js";

const { DAYS, fieldOfServiceError, fromForm, serviceErrorText, speedToField, toForm } = globalThis.paxelServiceSettings;

const service = {
  max_concurrent: 3, default_connections: 8, max_speed: 8388608, duplicates: "ask",
  queues: { night: { max_concurrent: 1 } },
  schedule: { windows: [{ start: "22:00", stop: "06:00", days: ["fri", "sat"] }], speeds: [{ start: "09:00", stop: "18:00", days: [...DAYS], max_speed: 1048576 }] },
  folder_rules: { by_type: true, categories: { Video: { extensions: ["mp4"], folder: "Video" } }, sites: [{ host: "example.org", folder: "Example" }] },
  roots: ["/home/u/Downloads"],
};

test("the service's settings round-trip through the form; what the page does not edit is kept", () => {
  const values = toForm(service);
  assert.equal(values.maxSpeed, "8");
  assert.deepEqual(values.queues, [{ name: "night", was: "night", maxConcurrent: "1", windows: [], anyTime: false }]);
  assert.deepEqual(values.speeds, [{ start: "09:00", stop: "18:00", days: [...DAYS], maxSpeed: "1" }]);
  const { set, errors } = fromForm(values, service);
  assert.equal(errors, undefined);
  assert.deepEqual(set, {
    max_concurrent: 3, default_connections: 8, max_speed: 8388608, max_connections_per_host: null, duplicates: "ask",
    queues: service.queues, schedule: service.schedule, folder_rules: service.folder_rules,
  });
});

test("a queue's own schedule windows (not edited here) are kept when the form is saved", () => {
  const night = { start: "02:00", stop: "06:00", days: [...DAYS] };
  const current = { ...service, queues: { night: { max_concurrent: 1, schedule: { windows: [night] } }, bulk: { max_concurrent: 2 } } };
  const values = toForm(current);
  values.queues[0].maxConcurrent = "3";
  const { set, errors } = fromForm(values, current);
  assert.equal(errors, undefined);
  assert.deepEqual(set.queues, { night: { max_concurrent: 3, schedule: { windows: [night] } }, bulk: { max_concurrent: 2 } });
});

test("errors name the field, in the form's words and units", () => {
  const values = { ...toForm(service), maxConcurrent: "0", maxSpeed: "8M",
    queues: [{ name: "main", maxConcurrent: "2" }, { name: "a/b", maxConcurrent: "x" }],
    windows: [{ start: "25:00", stop: "06:00", days: [] }], sites: [{ host: "http://x", folder: "" }],
    speeds: [{ start: "09:00", stop: "9", days: ["mon"], maxSpeed: "fast" }] };
  const fields = Object.fromEntries(fromForm(values, service).errors.map((e) => [e.field, e.message]));
  assert.equal(fields.maxConcurrent, "Downloads at once: a whole number from 1 to 32.");
  assert.match(fields.maxSpeed, /MiB\/s/);
  assert.match(fields["queues.0.name"], /main/);
  assert.match(fields["queues.1.name"], /letters, digits/);
  assert.match(fields["queues.1.maxConcurrent"], /1 to 32/);
  assert.match(fields["windows.0.start"], /02:00/);
  assert.match(fields["windows.0.days"], /tick/);
  assert.match(fields["sites.0.host"], /example\.org/);
  assert.match(fields["sites.0.folder"], /Folder/);
  assert.equal(fields["windows.0.stop"], undefined);
  assert.match(fields["speeds.0.stop"], /02:00/);
  assert.match(fields["speeds.0.maxSpeed"], /MiB\/s/);
});

test("speeds: the settings' forms (bytes, text, null) as MiB/s", () => {
  assert.equal(speedToField("8M"), "8");
  assert.equal(speedToField("512K"), "0.5");
  assert.equal(speedToField(null), "");
  fc.assert(fc.property(fc.integer({ min: 1024, max: 2 ** 40 }), (bytes) => {
    const back = fromForm({ ...toForm({ ...service, max_speed: bytes }) }, service).set.max_speed;
    assert.ok(Math.abs(back - bytes) <= 0.0005 * 1048576 + 1);
  }));
});

test("any form values give either a set or errors, never a throw", () => {
  const text = fc.oneof(fc.string(), fc.constantFrom("1", "32", "02:00", "main", "8", ""));
  fc.assert(fc.property(fc.record({ maxConcurrent: text, defaultConnections: text, maxSpeed: text, duplicates: text,
    queues: fc.array(fc.record({ name: text, maxConcurrent: text }), { maxLength: 3 }),
    windows: fc.array(fc.record({ start: text, stop: text, days: fc.subarray([...DAYS]) }), { maxLength: 3 }),
    speeds: fc.array(fc.record({ start: text, stop: text, days: fc.subarray([...DAYS]), maxSpeed: text }), { maxLength: 2 }),
    sites: fc.array(fc.record({ host: text, folder: text }), { maxLength: 3 }), byType: fc.boolean() }), (values) => {
    const out = fromForm(values, service);
    assert.ok((out.set === undefined) !== (out.errors === undefined));
    if (out.set) for (const [, q] of Object.entries(out.set.queues)) assert.ok(q.max_concurrent >= 1 && q.max_concurrent <= 32);
  }));
});

test("a service error is put next to the field it names", () => {
  const values = toForm(service);
  assert.equal(fieldOfServiceError("schedule.windows[0].stop: not a time", values), "windows.0.stop");
  assert.equal(fieldOfServiceError("schedule.speeds[0].max_speed: not a speed", values), "speeds.0.maxSpeed");
  assert.equal(fieldOfServiceError("schedule.windows[1]: an object", values), "windows.1.start");
  assert.equal(fieldOfServiceError("settings: `queues.night` must be {\"max_concurrent\": 1..32}", values), "queues.0.maxConcurrent");
  assert.equal(fieldOfServiceError("settings: `duplicates` must be one of rename, ask", values), "duplicates");
  assert.equal(fieldOfServiceError("/c/settings.json: `folder_rules`.sites[1].folder: /etc is not inside an allowed download folder (/d)", values), "sites.1.folder");
  assert.equal(fieldOfServiceError("settings: `folder_rules`.sites[2]: an object with `host` and `folder`", values), "sites.2.host");
  assert.equal(fieldOfServiceError("something else", values), null);
  assert.equal(serviceErrorText("/c/settings.json: `folder_rules`.sites[1].folder: /etc is not inside an allowed download folder (/d)", "sites.1.folder"),
    "Folder: /etc is not inside an allowed download folder (/d)");
  assert.equal(serviceErrorText("/c/settings.json: `queues.night` must be 1..32", "queues.0.maxConcurrent"), "`queues.night` must be 1..32");
});

test("a queue whose name changed is sent as a rename, with its own windows", () => {
  const current = { ...service, queues: { night: { max_concurrent: 1, schedule: { windows: [] } }, day: { max_concurrent: 2 } } };
  const values = toForm(current);
  assert.deepEqual(values.queues.map((q) => q.was), ["night", "day"]);
  values.queues[0].name = "late";
  const out = fromForm(values, current);
  assert.deepEqual(out.renamed, { night: "late" });
  assert.deepEqual(out.set.queues, { late: { max_concurrent: 1, schedule: { windows: [] } }, day: { max_concurrent: 2 } });
  // swapped names swap; an unchanged form renames nothing; a new row is no rename
  const swap = toForm(current);
  [swap.queues[0].name, swap.queues[1].name] = ["day", "night"];
  assert.deepEqual(fromForm(swap, current).renamed, { night: "day", day: "night" });
  assert.equal(fromForm(toForm(current), current).renamed, undefined);
  const added = toForm(current);
  added.queues.push({ name: "new", was: "", maxConcurrent: "1" });
  assert.equal(fromForm(added, current).renamed, undefined);
});

test("the panel's extra fields: a queue's own windows, folders by type; the global limit left out", () => {
  const current = { ...service, queues: { night: { max_concurrent: 1 } } };
  const values = toForm(current);
  delete values.maxSpeed; // the panel's toolbar sets it
  values.queues[0].windows = [{ start: "22:00", stop: "06:00", days: ["mon", "fri"] }]; // past midnight: valid
  values.categories.push({ name: "Disc images", extensions: "*.ISO, .img", folder: "/root/Downloads/iso" });
  values.categories[0].extensions = "mp4 mkv";
  const { set, errors } = fromForm(values, current);
  assert.equal(errors, undefined);
  assert.equal(Object.hasOwn(set, "max_speed"), false);
  assert.deepEqual(set.queues.night, { max_concurrent: 1, schedule: { windows: [{ start: "22:00", stop: "06:00", days: ["mon", "fri"] }] } });
  assert.deepEqual(set.folder_rules.categories, { Video: { extensions: ["mkv", "mp4"], folder: "Video" },
    "Disc images": { extensions: ["img", "iso"], folder: "/root/Downloads/iso" } });
  // no windows left: the queue follows the global ones again
  values.queues[0].windows = [];
  assert.deepEqual(fromForm(values, current).set.queues.night, { max_concurrent: 1 });
  // a hand-written empty own list ("any time") is not turned into "follow the global windows"
  const anyTime = { ...service, queues: { night: { max_concurrent: 1, schedule: { windows: [] } } } };
  assert.deepEqual(fromForm(toForm(anyTime), anyTime).set.queues.night, { max_concurrent: 1, schedule: { windows: [] } });
});

test("the panel's extra fields name their errors", () => {
  const values = { ...toForm(service),
    queues: [{ name: "night", was: "night", maxConcurrent: "-1", windows: [{ start: "25:00", stop: "6", days: [] }] }, { name: " night ", maxConcurrent: "1" }, { name: "", maxConcurrent: "1" }],
    categories: [{ name: "Video", extensions: "mp4 iso", folder: "Video" }, { name: "Disc", extensions: "ISO", folder: "" },
      { name: "Video", extensions: "mp4/x", folder: "V" }, { name: ".x", extensions: "", folder: "x" }] };
  const fields = Object.fromEntries(fromForm(values, service).errors.map((e) => [e.field, e.message]));
  assert.match(fields["queues.0.maxConcurrent"], /1 to 32/);
  assert.match(fields["queues.0.windows.0.start"], /02:00/);
  assert.match(fields["queues.0.windows.0.stop"], /02:00/);
  assert.match(fields["queues.0.windows.0.days"], /tick/);
  assert.match(fields["queues.1.name"], /twice/);
  assert.match(fields["queues.2.name"], /1 to 64/);
  assert.equal(fields["categories.0.extensions"], undefined);
  assert.match(fields["categories.1.extensions"], /iso is in Video already/);
  assert.match(fields["categories.1.folder"], /Folder/);
  assert.match(fields["categories.2.name"], /twice/);
  assert.match(fields["categories.2.extensions"], /“mp4\/x” is not one/);
  assert.match(fields["categories.3.name"], /letters/);
  assert.match(fields["categories.3.extensions"], /at least one/);
  for (const bad of ["-1", "0", "33", "1e1", "2.5", "x", ""]) {
    assert.ok(fromForm({ ...toForm(service), queues: [{ name: "q", maxConcurrent: bad }] }, service).errors, bad);
  }
});

test("a service error about a category or a queue's window is put next to its field", () => {
  const values = { ...toForm(service), categories: [{ name: "Video", extensions: "mp4", folder: "V" }, { name: "Disc images", extensions: "iso", folder: "/etc" }] };
  const outside = "/c/settings.json: `folder_rules`.categories.Disc images.folder: /etc is not inside an allowed download folder (/d)";
  assert.equal(fieldOfServiceError(outside, values), "categories.1.folder");
  assert.equal(serviceErrorText(outside, "categories.1.folder"), "Folder: /etc is not inside an allowed download folder (/d)");
  assert.equal(fieldOfServiceError("settings: `folder_rules`.categories.Video.extensions: not an extension: 'x/'", values), "categories.0.extensions");
  assert.equal(fieldOfServiceError("settings: `queues.night.schedule`.windows[0].stop: not a time", { queues: [{ name: "night" }] }), "queues.0.windows.0.stop");
});

test("any values of the panel's extra fields give either a set or errors, never a throw", () => {
  const text = fc.oneof(fc.string(), fc.constantFrom("1", "32", "02:00", "22:00", "iso", "*.iso tar.gz", "/d/x", ""));
  const win = fc.record({ start: text, stop: text, days: fc.subarray([...DAYS]) });
  fc.assert(fc.property(fc.record({
    queues: fc.array(fc.record({ name: text, was: text, maxConcurrent: text, windows: fc.option(fc.array(win, { maxLength: 2 }), { nil: undefined }) }), { maxLength: 3 }),
    categories: fc.option(fc.array(fc.record({ name: text, extensions: text, folder: text }), { maxLength: 3 }), { nil: undefined }) }), (extra) => {
    const out = fromForm({ ...toForm(service), ...extra }, service);
    assert.ok((out.set === undefined) !== (out.errors === undefined));
    if (out.set) {
      const seen = new Set();
      for (const c of Object.values(out.set.folder_rules.categories)) {
        for (const e of c.extensions) {
          assert.ok(!seen.has(e), `${e} in two categories`);
          seen.add(e);
        }
      }
    }
  }));
});

test("the per-site connection cap: empty is no cap, 1..1024 is sent, anything else names its field and sends nothing", () => {
  const values = toForm({ ...service, max_connections_per_host: 4 });
  assert.equal(values.hostCap, "4");
  assert.equal(toForm(service).hostCap, "");
  assert.equal(fromForm({ ...values, hostCap: " 2 " }, service).set.max_connections_per_host, 2);
  assert.equal(fromForm({ ...values, hostCap: "" }, service).set.max_connections_per_host, null);
  assert.equal(fromForm({ ...values, hostCap: "1024" }, service).set.max_connections_per_host, 1024);
  assert.ok(!("max_connections_per_host" in fromForm({ ...values, hostCap: undefined }, service).set), "a form without it keeps it");
  for (const bad of ["0", "1025", "2.5", "-1", "four", "1e3"]) {
    const { set, errors } = fromForm({ ...values, hostCap: bad }, service);
    assert.equal(set, undefined, bad);
    assert.deepEqual(errors.map((e) => e.field), ["hostCap"], bad);
  }
  assert.equal(fieldOfServiceError("settings.json: `max_connections_per_host` must be 1..1024 or null", values), "hostCap");
});
