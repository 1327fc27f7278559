import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../lib/format.js";
import "../lib/listing.js";

const fmt = globalThis.paxelFormat;
const L = globalThis.paxelListing;
const view = (over = {}) => ({ download_id: "d-1", url: "http://example.com/f.bin", state: "completed", created_at: 1, ...over });

test("search: every word, any case, in the name, site or link; the filter by state", () => {
  const v = view({ url: "https://cdn.example.org/isos/Debian-13.iso", state: "completed" });
  assert.ok(L.matches(v, "Debian-13.iso", "debian ISO", "all"));
  assert.ok(L.matches(v, "Debian-13.iso", "cdn.example", "completed"));
  assert.ok(!L.matches(v, "Debian-13.iso", "debian ubuntu", "all"), "every word must be there");
  assert.ok(!L.matches(v, "Debian-13.iso", "", "failed"));
  assert.ok(L.matches(v, "Debian-13.iso", "   ", "no-such-filter"));
});

test("search properties: the empty query keeps all; more words never find more", () => {
  fc.assert(fc.property(fc.string(), fc.string(), fc.string(), fc.constantFrom(...Object.keys(L.HISTORY_FILTERS)),
    (name, a, b, filter) => {
      const v = view({ state: "failed" });
      if (filter === "all" || filter === "failed") assert.ok(L.matches(v, name, "", filter));
      if (L.matches(v, name, `${a} ${b}`, filter)) assert.ok(L.matches(v, name, a, filter));
      assert.equal(L.matches(v, name, a.toUpperCase(), filter), L.matches(v, name, a.toLowerCase(), filter));
    }));
});

test("keyboard: arrows, Home/End, pages stay within the rows", () => {
  assert.equal(L.nextRow("ArrowDown", -1, 3), 0);
  assert.equal(L.nextRow("ArrowUp", -1, 3), 2);
  assert.equal(L.nextRow("ArrowDown", 2, 3), 2);
  assert.equal(L.nextRow("End", 0, 3), 2);
  assert.equal(L.nextRow("x", 0, 3), null);
  assert.equal(L.nextRow("ArrowDown", 0, 0), null);
  fc.assert(fc.property(fc.constantFrom("ArrowDown", "ArrowUp", "Home", "End", "PageUp", "PageDown"),
    fc.integer({ min: 1, max: 50 }), fc.integer({ min: -1, max: 60 }), (key, count, index) => {
      const next = L.nextRow(key, Math.min(index, count - 1), count);
      assert.ok(Number.isInteger(next) && next >= 0 && next < count);
    }));
});

test("keys on a row: never a destructive action on a running download", () => {
  assert.equal(L.keyAction("Enter", "completed"), "open");
  assert.equal(L.keyAction(" ", "running"), "pause");
  assert.equal(L.keyAction(" ", "paused"), "resume");
  assert.equal(L.keyAction("Delete", "failed"), "remove");
  for (const state of ["queued", "running", "paused"]) assert.equal(L.keyAction("Delete", state), null);
});

test("queue positions: the service's when it sends them, else order of arrival", () => {
  const views = [view({ download_id: "b", state: "queued", created_at: 5 }), view({ download_id: "a", state: "queued", created_at: 2 }),
    view({ download_id: "r", state: "running", created_at: 1 })];
  assert.deepEqual([...L.queuePositions(views)], [["a", 1], ["b", 2]]);
  const told = views.map((v) => (v.state === "queued" ? { ...v, queue_position: v.download_id === "b" ? 1 : 2 } : v));
  assert.deepEqual(Object.fromEntries(L.queuePositions(told)), { b: 1, a: 2 });
  assert.equal(L.queueText(2, undefined), "#2 in line");
  const two = [view({ download_id: "n1", state: "queued", queue: "night", created_at: 1 }), ...views];
  assert.deepEqual(Object.fromEntries(L.queuePositions(two)), { n1: 1, a: 1, b: 2 }, "counted within each queue");
  assert.equal(L.queueText(1, "night"), "#1 in night");
  assert.equal(L.queueText(3, "main"), "#3 in line");
  assert.equal(L.queueText(undefined), "");
});

test("segment rates: per start offset over the time between two progress events; a slow one stands out", () => {
  const before = { at: 10, segments: [[0, 100, 10], [100, 200, 10], [200, 300, 10], [300, 400, 10]] };
  const now = { segments: [[0, 100, 30], [100, 200, 30], [200, 300, 12], [300, 400, 30], [400, 500, 0]] };
  const rates = L.segmentRates(before, now, 11);
  assert.deepEqual(rates, [20, 20, 2, 20, null]);
  assert.deepEqual(L.slowSegments(rates), [false, false, true, false, false]);
  assert.deepEqual(L.slowSegments([5, 1]), [false, false], "two connections: nothing to compare");
  assert.deepEqual(L.segmentRates(null, now, 11), [null, null, null, null, null]);
});

test("slow segments: none when all move alike; never more than half of them", () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e9, noNaN: true })), { maxLength: 32 }), (rates) => {
    const slow = L.slowSegments(rates);
    assert.equal(slow.length, rates.length);
    const known = rates.filter((r) => typeof r === "number").length;
    assert.ok(slow.filter(Boolean).length <= Math.floor(known / 2));
  }));
  assert.deepEqual(L.slowSegments([7, 7, 7, 7]), [false, false, false, false]);
});

test("a slow connection keeps its mark until it is clearly no longer slow (no flicker)", () => {
  // nginx at 300 KiB/s sends 256 KiB every 0.85 s: over a 2 s window the same connection
  // measures 2 or 3 bursts, i.e. 256 or 384 KiB/s next to peers at about 1 MiB/s.
  const peers = [1000, 1024, 980];
  assert.deepEqual(L.slowSegments([...peers, 256]), [false, false, false, true]);
  assert.deepEqual(L.slowSegments([...peers, 384], [false, false, false, true]), [false, false, false, true]);
  assert.deepEqual(L.slowSegments([...peers, 560]), [false, false, false, false], "not marked before: half");
  assert.deepEqual(L.slowSegments([...peers, 460], [false, false, false, true]), [false, false, false, true],
    "a burst short of two thirds of the others: still slow");
  assert.deepEqual(L.slowSegments([...peers, 700], [false, false, false, true]), [false, false, false, false],
    "caught up past two thirds of the others: the mark goes");
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e9, noNaN: true })), { maxLength: 32 }),
    fc.array(fc.boolean(), { maxLength: 32 }), (rates, was) => {
      const fresh = L.slowSegments(rates);
      const kept = L.slowSegments(rates, was);
      assert.ok(fresh.every((s, i) => !s || kept[i]), "slow without a history is slow with one");
      assert.ok(kept.filter(Boolean).length <= Math.floor(rates.filter((r) => typeof r === "number").length / 2));
    }));
});

test("the segment map's words count the connections still receiving, not finished blocks", () => {
  const segments = [[0, 100, 100], [100, 200, 40], [200, 300, 300 - 200], [300, 400, 0], [400, 500, 10]];
  assert.equal(L.segmentMapLabel(segments, [false, true, false, false, false]), "3 connections, 1 slow");
  assert.equal(L.segmentMapLabel([[0, 10, 3]], [false]), "1 connection");
  assert.equal(L.segmentMapLabel([[0, 10, 10]], [false]), "", "every block finished: nothing receives");
  assert.equal(L.segmentMapLabel([], []), "");
  assert.equal(L.segmentMapLabel([null, [0, 9], [0, 10, 2]], []), "1 connection", "malformed entries are no connection");
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(2000)), { maxLength: 32 }), (raw) => {
    const segs = raw.map(([start, len, done]) => [start, start + len + 1, done]);
    const slow = segs.map((_, i) => i % 2 === 0);
    const label = L.segmentMapLabel(segs, slow);
    const receiving = segs.filter(([s, e, d]) => d < e - s).length;
    assert.equal(label === "", receiving === 0);
    if (receiving) assert.ok(label.startsWith(`${receiving} connection`));
  }));
});

test("the Add box: the first http(s) link in what was pasted or dropped; errors per field", () => {
  assert.equal(L.linkFromText("# a comment\r\nhttps://example.com/a b.zip\nhttp://x/"), "https://example.com/a");
  assert.equal(L.linkFromText("see http://example.com/f.iso, thanks"), "http://example.com/f.iso");
  assert.equal(L.linkFromText("ftp://x/y\njavascript:alert(1)"), null);
  assert.deepEqual(L.addRequest({ url: " https://e.com/f ", connections: "4", folder: "/home/u/Downloads" }),
    { request: { url: "https://e.com/f", connections: 4, folder: "/home/u/Downloads" } });
  assert.deepEqual(L.addRequest({ url: "https://e.com/f", connections: "" }), { request: { url: "https://e.com/f" } });
  const bad = L.addRequest({ url: "file:///etc/passwd", connections: "40" });
  assert.match(bad.errors.url, /http/);
  assert.match(bad.errors.connections, /1 to 32/);
  // several links pasted or dropped at once: none is added silently in place of all of them
  const many = L.addRequest({ url: "http://a.test/1.iso http://b.test/2.iso\nhttps://c.test/3.iso", connections: "" });
  assert.match(many.errors.url, /3 links/);
  assert.deepEqual(L.linksFromText("# list\nhttp://a.test/1\nsee https://b.test/2."), ["http://a.test/1", "https://b.test/2"]);
  // connections as a person types them: digits only (Number() took "0x10" as 16, "1e1" as 10)
  for (const typed of ["0x10", "1e1", "4.0", "+4", "0", "-1", "1e9", "abc", "33"]) {
    assert.match(L.addRequest({ url: "http://a.test/1", connections: typed }).errors?.connections ?? "", /1 to 32/, typed);
  }
  fc.assert(fc.property(fc.string(), (text) => {
    const link = L.linkFromText(text);
    assert.ok(link === null || /^https?:\/\//.test(link));
  }));
});

test("what a screen reader says for a row", () => {
  const running = { download_id: "d", url: "http://h/movie.bin", state: "running", phase: "running", total: 1024, done: 256, speed: 2048, eta: 47 };
  assert.equal(L.rowLabel(fmt, running, 0), "movie.bin, downloading, 256 B/1.0 KiB (25%), 2.0 KiB/s, 0:47 left");
  const failed = { download_id: "d", url: "http://h/x.zip", state: "failed", error: { name: "HTTP_STATUS", message: "http://h/x.zip answered 404 (not found)" } };
  assert.match(L.rowLabel(fmt, failed, 0), /^x\.zip, failed, The server says the file is gone \(404\)/);
});

test("speed limits typed in MiB/s: empty is none, errors in the field's unit", () => {
  assert.deepEqual(L.speedFromField(""), { max_speed: null });
  assert.deepEqual(L.speedFromField(" 2 "), { max_speed: 2097152 });
  assert.deepEqual(L.speedFromField("0,5"), { max_speed: 524288 });
  for (const bad of ["0", "-1", "2M", "abc", "1e3", "0.0001"]) assert.match(L.speedFromField(bad).error, /^Speed limit: .*MiB\/s/, bad);
  assert.match(L.speedFromField("99999999").error, /at most 1048576 MiB\/s/);
  assert.equal(L.fieldFromSpeed(null), "");
  assert.equal(L.fieldFromSpeed(2097152), "2");
  fc.assert(fc.property(fc.integer({ min: 1024, max: 2 ** 40 }), (bytes) => {
    const back = L.speedFromField(L.fieldFromSpeed(bytes)).max_speed;
    assert.ok(Math.abs(back - bytes) <= 0.0005 * 1048576 + 1, `${bytes} -> ${back}`);
  }));
});

test("what a queued download waits for; the question a duplicate asks", () => {
  const now = new Date(2026, 10, 30, 22, 0).getTime() / 1000;
  const until = new Date(2026, 10, 30, 23, 30).getTime() / 1000;
  assert.equal(L.waitingText(fmt, view({ state: "queued", waiting: { for: "schedule", until } }), now), "waits for its schedule (opens 23:30)");
  assert.equal(L.waitingText(fmt, view({ state: "queued", waiting: { for: "schedule", until: null } }), now), "waits for its schedule");
  assert.equal(L.waitingText(fmt, view({ state: "queued", waiting: { for: "queue" } }), now), "");
  assert.equal(L.waitingText(fmt, view({ state: "running", waiting: { for: "schedule" } }), now), "");
  assert.equal(L.duplicateQuestion(fmt, view()), null);
  const unfinished = L.duplicateQuestion(fmt, view({ duplicate: { kind: "unfinished", of: "d-2", path: "/d/f.bin.part" } }));
  assert.deepEqual(unfinished.choices.map((c) => c.choice), ["rename", "skip", "resume"]);
  assert.match(unfinished.text, /unfinished/);
  const done = L.duplicateQuestion(fmt, view({ duplicate: { kind: "done", of: "d-2", path: "/d/f.bin" } }));
  assert.deepEqual(done.choices.map((c) => c.choice), ["rename", "skip"]);
  assert.ok(L.QUEUE_ACTIONS.every((a) => fmt.LABELS[a]), "every queue action has a label");
});

test("after completion: one argument per line, never a shell line; errors per field", () => {
  const ok = L.afterFromFields({ action: "command", command: "clamscan\n--no-summary\n\n{path}\n", timeout: "" });
  assert.deepEqual(ok, { set: { action: "command", command: ["clamscan", "--no-summary", "{path}"], timeout: 600 } });
  assert.deepEqual(L.afterFromFields({ action: "reveal", command: "", timeout: "30" }).set.action, "reveal");
  const bad = L.afterFromFields({ action: "command", command: "  ", timeout: "0" });
  assert.match(bad.errors.command, /first line/);
  assert.match(bad.errors.timeout, /1 to 86400/);
  assert.match(L.afterFromFields({ action: "sh -c", timeout: "1" }).errors.action, /Choose/);
  assert.deepEqual(L.afterToFields({ action: "command", command: ["a b", "{path}"], timeout: 300 }), { action: "command", command: "a b\n{path}", timeout: "300" });
  fc.assert(fc.property(fc.array(fc.string().filter((a) => a.trim() === a && a && !/[\r\n]/.test(a)), { minLength: 1, maxLength: 5 }), (argv) => {
    const back = L.afterFromFields(L.afterToFields({ action: "command", command: argv, timeout: 10 }));
    assert.deepEqual(back.set.command, argv, "an argument list survives the form");
  }));
});
