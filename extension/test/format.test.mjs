import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import "../lib/format.js";

// The one formatter (popup, badge and panel), checked against the golden examples pytest also
// checks the CLI's humanize.py against.
const fmt = globalThis.paxelFormat;
const golden = JSON.parse(readFileSync(new URL("../../tests/support/format_golden.json", import.meta.url), "utf8"));
const table = JSON.parse(readFileSync(new URL("../../tests/support/lifecycle.json", import.meta.url), "utf8"));
const view = (over = {}) => ({ download_id: "d-1", url: "http://example.com/f.bin", state: "running", phase: "running", total: 1000, done: 250, speed: 2048, eta: 75, segments: [[0, 500, 200], [500, 1000, 50]], created_at: 1, ...over });

test("golden examples shared with the CLI", () => {
  for (const [n, text] of golden.size) assert.equal(fmt.formatSize(n), text, `size ${n}`);
  for (const [[a, b], text] of golden.pair) assert.equal(fmt.formatPair(a, b), text);
  for (const [n, text] of golden.rate) assert.equal(fmt.formatSpeed(n), text);
  for (const [n, text] of golden.duration) assert.equal(fmt.formatDuration(n), text);
  for (const [n, text] of golden.eta) assert.equal(fmt.formatEta(n), text);
  for (const [url, text] of golden.name_from_url) assert.equal(fmt.nameFromUrl(url), text);
  for (const [[name, width], text] of golden.shorten_middle) assert.equal(fmt.shortenMiddle(name, width), text);
});

test("the panel keeps no copy of its own (pytest checks the copies it is built with)", () => {
  // tests/unit/test_panel_assets.py: the wheel's and a checkout's panel page load these bytes.
  for (const name of ["format.js", "listing.js", "rowkeys.js", "presshold.js", "controls.css"]) {
    assert.throws(() => readFileSync(new URL(`../../host/paxel/panel_assets/${name}`, import.meta.url)), { code: "ENOENT" });
  }
});

test("names: the server's, else decoded from the URL; the site as a second line", () => {
  assert.equal(fmt.displayName(view({ filename: "", url: "http://h.example/dl/my%20pack.zip" })), "my pack.zip");
  assert.equal(fmt.displayName(view({ filename: "real.zip" })), "real.zip");
  assert.equal(fmt.siteOf(view({ final_url: "https://cdn.example.org/x" })), "cdn.example.org");
  assert.equal(fmt.siteOf({ url: "not a url" }), "");
});

test("states say what is going on", () => {
  assert.equal(fmt.stateText(view({ phase: "connecting" })), "connecting…");
  assert.equal(fmt.stateText(view({ phase: "retrying", attempt: 2, attempts: 6 })), "retrying (try 2 of 6)");
  assert.equal(fmt.stateText(view()), "downloading");
  assert.equal(fmt.stateText(view({ media: { segments_done: 12, segments_total: 60 } })), "downloading (12 of 60 segments)");
  assert.equal(fmt.stateText(view({ media: { segments_done: null, segments_total: null } })), "downloading");
  assert.equal(fmt.stateText(view({ phase: "muxing", media: { segments_done: 60, segments_total: 60 } })), "making the file…");
  assert.equal(fmt.stateText(view({ state: "missing" })), "file missing");
  assert.equal(fmt.stateText(view({ state: "paused" })), "paused");
});

test("a bar only where something is known", () => {
  assert.equal(fmt.barKind(view()), "determinate");
  assert.equal(fmt.barKind(view({ total: null })), "indeterminate");
  assert.equal(fmt.barKind(view({ total: null, phase: "connecting" })), null);
  assert.equal(fmt.barKind(view({ total: null, phase: "retrying" })), null);
  for (const state of ["queued", "failed", "cancelled"]) {
    assert.equal(fmt.barKind(view({ state, phase: null, total: null, done: 0 })), null, state);
  }
  assert.equal(fmt.barKind(view({ state: "cancelled" })), null);
  assert.equal(fmt.barKind(view({ state: "paused", phase: null })), "determinate");
  assert.equal(fmt.barKind(view({ state: "completed", total: null })), "determinate");
});

test("size text", () => {
  assert.equal(fmt.sizeText(view({ total: 4096, done: 1024 })), "1.0/4.0 KiB (25%)");
  assert.equal(fmt.sizeText(view({ total: null, done: 10 })), "10 B");
  assert.equal(fmt.sizeText(view({ state: "failed", total: null, done: 0 })), "");
  assert.equal(fmt.sizeText(view({ state: "completed", total: 5 << 20 })), "5.0 MiB");
  assert.equal(fmt.sizeText(view({ state: "cancelled" })), "");
});

test("segment bar: one block per segment, malformed ones dropped", () => {
  assert.deepEqual(fmt.segmentBlocks(view()), [{ left: 0, width: 50, fill: 40 }, { left: 50, width: 50, fill: 10 }]);
  assert.deepEqual(fmt.segmentBlocks(view({ segments: [[0, 2000, 0], [5, 5, 0], "x", [0, 10]] })), []);
  assert.deepEqual(fmt.segmentBlocks(view({ total: null })), []);
});

test("buttons and labels from the service's table", () => {
  assert.deepEqual(fmt.actionsFor(table, "completed").map((a) => a.label), ["Open file", "Show in folder", "Remove"]);
  assert.deepEqual(fmt.actionsFor(null, "running"), []);
});

test("totals, summary and badge count what the table calls active (paused included)", () => {
  const views = [view({ speed: 1024 }), view({ download_id: "d-2", state: "paused", speed: 0 }), view({ download_id: "d-3", state: "queued" }), view({ download_id: "d-4", state: "completed" })];
  assert.deepEqual(fmt.totals(table, views), { active: 3, running: 1, paused: 1, speed: 1024 });
  assert.equal(fmt.summaryText(table, views), "1 downloading · 1 paused · 1 queued · 1.0 KiB/s");
  assert.equal(fmt.summaryText(table, []), "idle");
  assert.equal(fmt.badgeText(table, views), "3");
  assert.equal(fmt.badgeText(table, []), "");
  assert.equal(fmt.badgeText(table, Array.from({ length: 120 }, () => view())), "99+");
});

test("events update the list, newest first", () => {
  let list = fmt.applyEvent([], { event: "added", data: { download: view() } });
  list = fmt.applyEvent(list, { event: "added", data: { download: view({ download_id: "d-2", created_at: 2 }) } });
  assert.deepEqual(list.map((v) => v.download_id), ["d-2", "d-1"]);
  list = fmt.applyEvent(list, { event: "progress", data: { downloads: [view({ done: 900 })] } });
  assert.equal(list.find((v) => v.download_id === "d-1").done, 900);
  list = fmt.applyEvent(list, { event: "removed", data: { download_id: "d-2" } });
  assert.deepEqual(list.map((v) => v.download_id), ["d-1"]);
  assert.deepEqual(fmt.applyEvent(list, { event: "completed" }), list);
});

test("errors say what to do and offer what helps instead of a pointless Retry", () => {
  const url = "http://files.example/missing-driver-pack.zip";
  const gone = fmt.advice({ url, error: { name: "HTTP_STATUS", message: `${url} answered 404 (not found)` } });
  assert.equal(gone.text, "The server says the file is gone (404) — the link may have expired: open its page and start the download there again.");
  assert.deepEqual([gone.hide, gone.links], [["retry"], ["open_page", "copy_link"]]);
  assert.ok(!gone.text.includes(url));
  const denied = fmt.advice({ url, error: { name: "HTTP_STATUS", message: `${url} answered 403 (access denied: cookies or login missing or expired?)` } });
  assert.match(denied.text, /refused access \(403\)/);
  const busy = fmt.advice({ url, error: { name: "HTTP_STATUS", message: `${url} answered 503 (gave up after 6 tries)` } });
  assert.equal(busy.text, "The server kept failing (503) after 6 tries — try again later.");
  assert.deepEqual(busy.hide, ["refresh"], "a new link does not mend a failing server");
  const net = fmt.advice({ url, error: { name: "NETWORK", message: `${url}: connection refused (gave up after 6 tries)` } });
  assert.equal(net.text, "The connection failed (the server: connection refused (gave up after 6 tries)) — check the network, then retry.");
  assert.equal(fmt.advice({ url }), null);
  const expired = fmt.advice({ url, stop_reason: "link_expired", error: { name: "HTTP_STATUS", message: `${url} answered 410` } });
  assert.equal(expired.text, "The link expired (410) — Refresh link opens its page: click the download there again and paxel continues where it stopped.");
  assert.deepEqual([expired.hide, expired.links], [["retry"], ["copy_link"]]);
});

test("a name is cut in the middle to what fits, and kept whole when it fits", () => {
  const name = "debian-13.1.0-amd64-netinst-with-firmware.iso";
  assert.equal(fmt.fitMiddle(name, () => true), name);
  const cut = fmt.fitMiddle(name, (text) => [...text].length <= 20);
  assert.equal([...cut].length, 20);
  assert.ok(cut.includes("…") && cut.endsWith(".iso"));
  assert.equal(fmt.fitMiddle(name, () => false), "…");
});

test("retrying says when the next try comes", () => {
  const retrying = view({ phase: "retrying", attempt: 2, attempts: 6, retry_at: 1000 });
  assert.equal(fmt.retryText(retrying, 883), "next try in 1:57");
  assert.equal(fmt.retryText(retrying, 1000), "trying again…");
  assert.equal(fmt.retryText(view(), 0), "");
});

test("speed samples: one per running download per progress event, plus the total; old ones go", () => {
  let samples = fmt.addSamples({}, [view({ speed: 100 }), view({ download_id: "d-2", speed: 50 }), view({ download_id: "d-3", state: "paused", speed: 0 })], 10);
  samples = fmt.addSamples(samples, [view({ speed: 300 })], 10.25);
  assert.deepEqual(samples["d-1"], [[10, 100], [10.25, 300]]);
  assert.deepEqual(samples.total, [[10, 150], [10.25, 300]]);
  assert.equal(samples["d-3"], undefined);
  samples = fmt.addSamples(samples, [], 10 + fmt.GRAPH_SECONDS + 0.1);
  assert.deepEqual(samples["d-1"], [[10.25, 300]]);
});

test("the graph is drawn from the samples: right edge is now, top is the fastest", () => {
  assert.equal(fmt.sparkPath([[0, 5]], 100, 20, 0), "");
  const path = fmt.sparkPath([[0, 0], [30, 50], [60, 100]], 120, 21, 60);
  assert.equal(path, "M0.0,21.0 L60.0,11.0 L120.0,1.0");
  assert.equal(fmt.sparkPath([[0, 0], [1, 0]], 120, 21, 1), "", "nothing but zeros: no line");
  assert.equal(fmt.sparkPath([[8, 10], [10, 20]], 100, 11, 10), "M60.0,6.0 L100.0,1.0", "a young graph spans 5 s");
});

test("bulk buttons act on what the table allows", () => {
  const views = [view(), view({ download_id: "d-2", state: "queued" }), view({ download_id: "d-3", state: "paused" }),
    view({ download_id: "d-4", state: "completed" }), view({ download_id: "d-5", state: "failed" }), view({ download_id: "d-6", state: "cancelled" })];
  const ids = (bulk) => fmt.bulkRequests(table, views, bulk).map((r) => r.download_id);
  assert.deepEqual(ids("pause_all"), ["d-1", "d-2"]);
  assert.deepEqual(ids("resume_all"), ["d-3"]);
  assert.deepEqual(ids("clear_finished"), ["d-4", "d-6"]);
  assert.deepEqual(fmt.bulkRequests(table, views, "pause_all")[0].request, { type: "pause" });
  assert.deepEqual(fmt.bulkRequests(null, views, "pause_all"), []);
});

test("file-type icon: the kind by extension, the extension as its label", () => {
  assert.deepEqual(fmt.fileKind("pack.zip"), { kind: "archive", label: "ZIP" });
  assert.deepEqual(fmt.fileKind("ubuntu 24.04.iso"), { kind: "disk", label: "ISO" });
  assert.deepEqual(fmt.fileKind("x.tar.gz"), { kind: "archive", label: "GZ" });
  assert.deepEqual(fmt.fileKind("notes.weird"), { kind: "file", label: "WEIR" });
  assert.deepEqual(fmt.fileKind("README"), { kind: "file", label: "" });
  assert.deepEqual(fmt.fileKind(".bashrc"), { kind: "file", label: "" });
});

test("added and finished times, local clock, the date only on another day", () => {
  const at = (y, mo, d, h, mi) => new Date(y, mo - 1, d, h, mi).getTime() / 1000;
  const now = at(2026, 11, 30, 15, 0);
  assert.equal(fmt.clockText(at(2026, 11, 30, 14, 5), now), "14:05");
  assert.equal(fmt.clockText(at(2026, 11, 29, 9, 7), now), "2026-11-29 09:07");
  assert.equal(fmt.clockText(null, now), "");
  assert.equal(fmt.whenText(view({ created_at: at(2026, 11, 30, 14, 31) }), now), "added 14:31");
  assert.equal(fmt.whenText(view({ state: "completed", created_at: 1, finished_at: at(2026, 11, 30, 14, 52) }), now), "finished 14:52");
  assert.equal(fmt.whenText(view({ state: "paused", created_at: null, finished_at: null }), now), "");
});

// The panel's WebKit runs each part of the formatter as a classic script (no `import`, no
// `export`), in the order of its <script> tags; the extension imports them through format.js.
const parts = [...readFileSync(new URL("../lib/format.js", import.meta.url), "utf8").matchAll(/^import "\.\/(\w+\.js)";$/gm)]
  .map((m) => m[1]);

test("each part runs as a classic script and adds names no other part has", () => {
  assert.ok(parts.length >= 2, parts.join());
  const seen = new Map();
  for (const part of parts) {
    const page = vm.createContext({ URL });
    vm.runInContext(readFileSync(new URL(`../lib/${part}`, import.meta.url), "utf8"), page, { filename: part });
    for (const name of Object.keys(page.paxelFormat)) {
      assert.ok(!seen.has(name), `${name} is in ${seen.get(name)} and ${part}`);
      seen.set(name, part);
    }
  }
  assert.deepEqual([...seen.keys()].sort(), Object.keys(fmt).sort(), "format.js gathers exactly the parts' names");
});

test("the parts work loaded in any order (they look each other up when called)", () => {
  const page = vm.createContext({ URL });
  for (const part of [...parts].reverse()) vm.runInContext(readFileSync(new URL(`../lib/${part}`, import.meta.url), "utf8"), page);
  const row = view({ state: "running", phase: "retrying", retry_at: 200, total: 4096, done: 1024 });
  assert.equal(page.paxelFormat.sizeText(row), fmt.sizeText(row));
  assert.equal(page.paxelFormat.retryText(row, 83), "next try in 1:57");
  assert.equal(page.paxelFormat.summaryText(table, [row]), fmt.summaryText(table, [row]));
});

test("a stream's bar and size follow its segments (its byte total is not known before the end)", () => {
  const stream = (over = {}) => view({ total: null, done: 3 << 20, media: { segments_done: 15, segments_total: 60, live: false }, ...over });
  assert.equal(fmt.fraction(stream()), 0.25);
  assert.equal(fmt.barKind(stream()), "determinate");
  assert.equal(fmt.sizeText(stream()), "3.0 MiB (25%)");
  assert.equal(fmt.barKind(stream({ state: "paused", phase: null })), "determinate");
  // a live recording's count grows as it records: no fraction
  const live = stream({ media: { segments_done: 15, segments_total: 16, live: true } });
  assert.equal(fmt.fraction(live), null);
  assert.equal(fmt.barKind(live), "indeterminate");
  assert.equal(fmt.fraction(stream({ media: { segments_done: null, segments_total: null, live: null } })), null);
});
