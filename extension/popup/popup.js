// Popup: draws what the background reports; every action is a message to the background.
// Words, numbers, bars and buttons come from the one formatter (lib/format.js, shared with the
// panel); which buttons a state gets comes from the service's lifecycle table.
import "../lib/format.js";
import "../lib/listing.js";
import "../lib/rowkeys.js";
import "../lib/presshold.js";
import { classifyFailure } from "../lib/failures.js";
import { pageToOpen } from "../lib/relink.js";
import { ask } from "./ask.js";
import { showLimit } from "./limit.js";

const fmt = globalThis.paxelFormat;
const listing = globalThis.paxelListing;
const api = globalThis.browser ?? globalThis.chrome;
const list = document.getElementById("downloads");
const statusEl = document.getElementById("host-status");
const helpEl = document.getElementById("host-help");
const totalsEl = document.getElementById("totals");
const footerErrorEl = document.getElementById("footer-error");
const NAME_WIDTH = 44; // characters of a name before it is cut in the middle (tooltip: all of it)
// Refusals of a button press, by download id: kept across redraws (events redraw the list)
// until the next press on that download.
const refusals = new Map();
let lastViews = [];
const holding = globalThis.paxelPressHold.attach(window, [list], () => showDownloads(lastViews));
let samples = {}; // download_id and "total" -> [[t, speed]], from the lists the background relays
// The service's lifecycle table from `hello`: which actions each state allows (no table: none).
let lifecycle = null;
// Set once anything newer than the popup's first `state` snapshot told us about the host: that
// snapshot (asked first, answered whenever) must not overwrite it (a fresh popup stayed on
// "checking…" after the connect error had already arrived).
let hostKnown = false;

const STATUS_TEXT = {
  connected: "connected",
  not_installed: "not installed",
  forbidden: "not allowed",
  failed: "not answering",
  service_lost: "stopped",
  stopped: "stopped",
};
// States in which the service is known to be stopped: it stays so until the user starts it.
const STOPPED = new Set(["service_lost", "stopped"]);

/** A failed request: a lost host goes to the status line, a refusal to `showRefusal`. */
function reportFailure(err, showRefusal) {
  const verdict = classifyFailure(err);
  if (verdict.kind === "host") showHost({ state: verdict.state, message: verdict.message });
  else showRefusal(verdict.message);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showHost(host, fromSnapshot = false) {
  if (fromSnapshot && hostKnown) return;
  if (!fromSnapshot) hostKnown = true;
  const state = host?.state ?? "unknown";
  statusEl.dataset.state = state;
  statusEl.textContent = STATUS_TEXT[state] ?? "checking…";
  // What the list shows may be out of date unless the service is there to tell us.
  document.body.dataset.host = state;
  list.setAttribute("aria-disabled", String(state !== "connected"));
  list.title = state === "connected" ? "" : "Not connected to paxel: this may be out of date.";
  if (state !== "connected") totalsEl.textContent = "";
  helpEl.replaceChildren();
  helpEl.hidden = state === "connected" || state === "unknown";
  if (state === "not_installed") {
    helpEl.append("paxel is not installed for this browser. Run ", el("code", "", "paxel install"), " and reopen this popup. Downloads stay with the browser meanwhile.");
  } else if (STOPPED.has(state)) {
    const start = el("button", "primary", "Start paxel");
    start.type = "button";
    start.id = "start-service";
    start.dataset.action = "start";
    start.addEventListener("click", () => startService(start));
    helpEl.append("paxel is stopped. What you see may be out of date. ", start);
  } else if (!helpEl.hidden) {
    helpEl.append(host.message || "The paxel host does not answer; downloads stay with the browser.");
  }
}

/** Everything a row shows except its buttons. */
function rowParts(view, position) {
  const name = fmt.displayName(view);
  const nameEl = el("div", "name", fmt.shortenMiddle(name, NAME_WIDTH));
  nameEl.title = view.path || name;
  nameEl.dataset.full = name;
  const fileKind = fmt.fileKind(name);
  const icon = el("span", "kind", fileKind.label);
  icon.dataset.kind = fileKind.kind;
  icon.setAttribute("aria-hidden", "true");
  const parts = [icon, nameEl, el("div", "site", fmt.siteOf(view))];

  const kind = fmt.barKind(view);
  if (kind) {
    const bar = el("div", `bar ${kind}`);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "progress");
    const fill = el("div", "fill");
    const f = fmt.fraction(view);
    if (kind === "determinate") {
      fill.style.width = `${(f * 100).toFixed(1)}%`;
      bar.setAttribute("aria-valuenow", String(Math.floor(f * 100)));
    }
    bar.append(fill);
    parts.push(bar);
  }

  const blocks = view.state === "running" ? fmt.segmentBlocks(view) : [];
  if (blocks.length) {
    const segments = el("div", "segments");
    segments.title = `${blocks.length} connections`;
    segments.setAttribute("role", "img");
    segments.setAttribute("aria-label", segments.title);
    for (const block of blocks) {
      const seg = el("div", "segment");
      seg.style.left = `${block.left}%`;
      seg.style.width = `${block.width}%`;
      const done = el("div", "done");
      done.style.width = `${block.fill}%`;
      seg.append(done);
      segments.append(seg);
    }
    parts.push(segments);
  }

  const meta = el("div", "meta");
  meta.append(el("span", "state", fmt.stateText(view)));
  if (view.state === "queued" && position) meta.append(el("span", "queue", listing.queueText(position, view.queue)));
  const waiting = listing.waitingText(fmt, view, Date.now() / 1000);
  if (waiting) meta.append(el("span", "waiting", waiting));
  const size = fmt.sizeText(view);
  if (size) meta.append(el("span", "size", size));
  const retry = fmt.retryText(view, Date.now() / 1000);
  if (retry) meta.append(el("span", "retry", retry));
  if (view.state === "running") {
    const speed = fmt.formatSpeed(view.speed);
    const eta = fmt.formatEta(view.eta);
    if (speed) meta.append(el("span", "speed", speed));
    if (eta) meta.append(el("span", "eta", eta));
  }
  parts.push(meta);
  const advice = fmt.advice(view);
  if (advice) parts.push(el("div", "error", advice.text));
  if (view.state === "missing") parts.push(el("div", "error", "The file was deleted or moved away."));
  if (refusals.has(view.download_id)) parts.push(el("div", "refusal", refusals.get(view.download_id)));
  return parts;
}

/** A duplicate paxel holds until the user answers (settings `duplicates: ask`). */
function duplicateBox(view, question) {
  const box = el("div", "duplicate");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", `Duplicate: ${fmt.displayName(view)}`);
  box.append(el("p", "", question.text));
  for (const { choice, label } of question.choices) {
    const button = el("button", choice === "rename" ? "primary" : "", label);
    button.type = "button";
    button.dataset.choice = choice;
    button.addEventListener("click", () => act(view.download_id, { action: "duplicate_answer", choice }, button));
    box.append(button);
  }
  return box;
}

/** The row's buttons: the table's actions minus those the error says are pointless, plus links. */
function buttonsFor(view) {
  const advice = fmt.advice(view);
  const hidden = new Set(advice?.hide ?? []);
  // compact: the queue's own actions (start now, move) are the panel's
  const actions = fmt.actionsFor(lifecycle, view.state).filter((a) => !hidden.has(a.action) && !listing.QUEUE_ACTIONS.includes(a.action));
  const links = (advice?.links ?? []).map((link) => ({ action: link, label: fmt.LINK_LABELS[link] }));
  return [...links, ...actions];
}

function renderButtons(view, buttons, key) {
  const box = el("div", "buttons");
  box.dataset.actions = key;
  for (const { action, request, label } of buttons) {
    const button = el("button", "", label);
    button.type = "button";
    button.dataset.action = action;
    button.setAttribute("aria-label", `${label} ${fmt.displayName(view)}`);
    if (request) {
      const { type, ...extra } = request;
      button.addEventListener("click", () => act(view.download_id, { ...extra, action: type }, button));
    } else {
      button.addEventListener("click", () => linkAction(action, view.download_id, button));
    }
    box.append(button);
  }
  return box;
}

/**
 * Redraw one row in place. Its buttons stay the same elements while the state offers the same
 * actions: progress redraws the list 4 times a second, and a press whose mouseup lands on a
 * new element would be lost.
 */
function updateDownload(item, view, position) {
  item.dataset.id = view.download_id;
  item.setAttribute("aria-label", listing.rowLabel(fmt, view, Date.now() / 1000));
  item.dataset.state = view.state;
  item.dataset.phase = view.phase ?? "";
  const wanted = buttonsFor(view);
  const key = wanted.map((a) => a.action).join(",");
  let buttons = item.querySelector(":scope > .buttons");
  if (!buttons || buttons.dataset.actions !== key) {
    buttons?.remove();
    buttons = renderButtons(view, wanted, key);
    item.append(buttons);
  }
  // A duplicate's question stays the same element too while it asks the same (it has buttons).
  const question = listing.duplicateQuestion(fmt, view);
  const questionKey = question ? `${question.text}|${question.choices.map((c) => c.choice)}` : "";
  let asked = item.querySelector(":scope > .duplicate");
  if (asked && asked.dataset.key !== questionKey) {
    asked.remove();
    asked = null;
  }
  if (question && !asked) {
    asked = duplicateBox(view, question);
    asked.dataset.key = questionKey;
  }
  for (const child of [...item.children]) if (child !== buttons && child !== asked) child.remove();
  for (const part of rowParts(view, position)) item.insertBefore(part, buttons);
  if (asked) item.insertBefore(asked, buttons);
  fitName(item, item.querySelector(":scope > .name"));
}

/**
 * Cut the name in the middle to the row's width (it is whole in the tooltip); measured again only
 * when the name or the width changed, not on each of the 4 redraws a second.
 */
function fitName(item, nameEl) {
  if (!nameEl.clientWidth) return;
  const key = `${nameEl.clientWidth}|${nameEl.dataset.full}`;
  if (item.dataset.fitKey !== key) {
    item.dataset.fitText = fmt.fitMiddle(nameEl.dataset.full, (text) => {
      nameEl.textContent = text;
      // the text's own width, unrounded (scrollWidth rounds a 0.4 px overflow away)
      const range = document.createRange();
      range.selectNodeContents(nameEl);
      return range.getBoundingClientRect().width <= nameEl.clientWidth;
    });
    item.dataset.fitKey = key;
  }
  nameEl.textContent = item.dataset.fitText;
}

function showDownloads(views) {
  lastViews = views;
  if (holding()) return; // not under a held press: drawn when it ends (lib/presshold.js)
  const focused = document.activeElement; // moving a row in the DOM takes the focus from it
  const rows = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const wanted = new Set(views.map((v) => v.download_id));
  for (const [id, li] of rows) if (!wanted.has(id)) li.remove();
  const positions = listing.queuePositions(views);
  views.forEach((view, i) => {
    let li = rows.get(view.download_id);
    if (!li) {
      li = el("li", "download");
      li.tabIndex = -1; // rowkeys.js puts one row in the tab order
    }
    updateDownload(li, view, positions.get(view.download_id));
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });
  refreshKeys();
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  document.getElementById("empty").hidden = views.length > 0;
  // Totals from a service that is not there would be made up.
  const connected = statusEl.dataset.state === "connected";
  totalsEl.textContent = views.length && connected ? fmt.summaryText(lifecycle, views) : "";
  const path = connected ? fmt.sparkPath(samples.total, 200, 28, Date.now() / 1000) : "";
  const graph = document.getElementById("total-graph");
  graph.firstElementChild.setAttribute("d", path);
  graph.style.visibility = path ? "visible" : "hidden";
  for (const button of document.querySelectorAll("button.bulk")) {
    button.disabled = !connected || fmt.bulkRequests(lifecycle, views, button.dataset.bulk).length === 0;
  }
}

async function act(downloadId, request, button) {
  button.disabled = true;
  refusals.delete(downloadId);
  try {
    await ask({ type: "action", download_id: downloadId, ...request });
  } catch (err) {
    reportFailure(err, (message) => refusals.set(downloadId, `${button.textContent}: ${message}`));
  } finally {
    showDownloads(lastViews);
    button.disabled = false;
  }
}

/** Open page / Copy link: work on the link itself, not on the download. */
async function linkAction(action, downloadId, button) {
  const view = lastViews.find((v) => v.download_id === downloadId);
  if (!view) return;
  refusals.delete(downloadId);
  try {
    if (action === "open_page") {
      const url = pageToOpen(view);
      if (!url) throw new Error("no web page to open");
      await api.tabs.create({ url });
    }
    else if (action === "copy_link") {
      await navigator.clipboard.writeText(view.url);
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = fmt.LINK_LABELS.copy_link; }, 1500);
    }
  } catch (err) {
    refusals.set(downloadId, `${fmt.LINK_LABELS[action]}: ${err.message}`);
    showDownloads(lastViews);
  }
}

/** The Start button: the one place the popup lets the host start a stopped service. */
async function startService(button) {
  button.disabled = true;
  button.textContent = "Starting…";
  try {
    learnLifecycle((await ask({ type: "connect", start: true })).hello);
    showHost({ state: "connected" });
  } catch (err) {
    showHost({ state: "failed", message: `paxel could not start: ${err.message}` });
  }
}

function learnLifecycle(hello) {
  showLimit(hello);
  if (hello?.lifecycle) {
    lifecycle = hello.lifecycle;
    showDownloads(lastViews);
  }
}

// Pause all / Resume all / Clear finished: the lifecycle action on each download it applies to.
for (const button of document.querySelectorAll("button.bulk")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    footerErrorEl.hidden = true;
    for (const { download_id: id, request } of fmt.bulkRequests(lifecycle, lastViews, button.dataset.bulk)) {
      const { type, ...extra } = request;
      try {
        await ask({ type: "action", download_id: id, ...extra, action: type });
      } catch (err) {
        reportFailure(err, (message) => refusals.set(id, `${fmt.BULK[button.dataset.bulk].label}: ${message}`));
      }
    }
    showDownloads(lastViews);
  });
}

// Arrows, Home/End move between rows; Enter, Space and Delete press the row's own buttons.
const refreshKeys = globalThis.paxelRowKeys.attach(document, { rows: () => [...list.querySelectorAll("li.download")] });

// Names are cut to the width they have: a new width cuts them again.
// The list's width changes without a window resize too: a scrollbar comes when it grows.
new ResizeObserver(() => showDownloads(lastViews)).observe(list);

document.getElementById("show-panel").addEventListener("click", () => {
  footerErrorEl.hidden = true;
  ask({ type: "show_panel" }).catch((err) => reportFailure(err, (message) => {
    footerErrorEl.textContent = message;
    footerErrorEl.hidden = false;
  }));
});

const port = api.runtime.connect({ name: "paxel-ui" });
port.onMessage.addListener((message) => {
  if (message.kind === "downloads") {
    samples = fmt.addSamples(samples, message.downloads, Date.now() / 1000);
    showDownloads(message.downloads);
  }
  else if (message.kind === "host") {
    showHost(message.host);
    learnLifecycle(message.host?.hello);
  }
});

ask({ type: "state" }).then((state) => {
  showHost(state.host, true);
  lifecycle = state.hello?.lifecycle ?? lifecycle;
  showLimit(state.hello);
  showDownloads(state.downloads);
});
// Opening the popup is no reason to start a service the user stopped: it says so, with a button.
ask({ type: "connect", start: false }).then(
  (result) => {
    showHost({ state: "connected" });
    learnLifecycle(result.hello);
  },
  (err) => reportFailure(err, (message) => showHost({ state: "failed", message })),
);
