// What the service refuses, the form refuses first, in words next to the field (or, when only
// the service can tell, its error lands next to the right field): the panel and the options page.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../lib/servicesettings.js";

const { fieldOfServiceError, fromForm, toForm } = globalThis.paxelServiceSettings;
const service = { max_concurrent: 3, default_connections: 8, duplicates: "rename", queues: { day: { max_concurrent: 1 } },
  schedule: { windows: [], speeds: [{ start: "09:00", stop: "18:00", days: ["mon"], max_speed: 1048576 }] },
  folder_rules: { by_type: false, categories: {}, sites: [] } };
const SERVICE_QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/; // paxel.service.settings._QUEUE_NAME

test("a queue name the service refuses (starting with . _ - or a space) is refused by the form", () => {
  for (const name of ["-x", ".hidden", "_q", "...", "night", "a b.c_d-e", "9"]) {
    const values = toForm(service);
    values.queues[0].name = name;
    const out = fromForm(values, service);
    assert.equal(out.errors === undefined, SERVICE_QUEUE_NAME.test(name), name);
    if (out.errors) assert.deepEqual(out.errors.map((e) => e.field), ["queues.0.name"], name);
  }
});

test("a speed above the service's 2^40 bytes/s is refused by the form, next to its field", () => {
  const values = { ...toForm(service), maxSpeed: "2000000" };
  values.speeds[0].maxSpeed = "99999999";
  const out = fromForm(values, service);
  assert.deepEqual(out.errors.map((e) => e.field).sort(), ["maxSpeed", "speeds.0.maxSpeed"]);
  values.maxSpeed = "1048576";
  values.speeds[0].maxSpeed = "1048576"; // 2^40 exactly: the largest the service takes
  assert.equal(fromForm(values, service).errors, undefined);
});

test("the service's error about a speed rule's limit or days is put next to that field", () => {
  const where = "/c/settings.json: `schedule`.speeds[0]";
  assert.equal(fieldOfServiceError(`${where}: \`max_speed\` must be a speed`, {}), "speeds.0.maxSpeed");
  assert.equal(fieldOfServiceError(`${where}: \`days\` must be a non-empty list`, {}), "speeds.0.days");
  assert.equal(fieldOfServiceError("settings: `schedule`.windows[1].stop: a wall-clock time", {}), "windows.1.stop");
});

test("a queue open at any time (own windows: none) is the form's anyTime, both ways", () => {
  const settings = { ...service, queues: { fast: { max_concurrent: 1, schedule: { windows: [] } }, slow: { max_concurrent: 1 } } };
  const values = toForm(settings);
  assert.deepEqual(values.queues.map((q) => q.anyTime), [true, false]);
  assert.deepEqual(fromForm(values, settings).set.queues, settings.queues);
  values.queues[0].anyTime = false;
  values.queues[1].anyTime = true;
  assert.deepEqual(fromForm(values, settings).set.queues, { fast: { max_concurrent: 1 }, slow: { max_concurrent: 1, schedule: { windows: [] } } });
  delete values.queues[0].anyTime; // a form without the box (the options page): kept as it was
  delete values.queues[0].windows;
  assert.deepEqual(fromForm(values, settings).set.queues.fast, settings.queues.fast);
});
