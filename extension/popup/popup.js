// Popup: draws what the background reports; every action is a message to the background.
import { formatBytes, formatEta, formatSpeed, progressFraction, segmentBlocks } from "../lib/format.js";
import { classifyFailure } from "../lib/failures.js";
import { actionsFor } from "../lib/lifecycle.js";

const api = globalThis.browser ?? globalThis.chrome;
const list = document.getElementById("downloads");
const statusEl = document.getElementById("host-status");
const helpEl = document.getElementById("host-help");
const footerErrorEl = document.getElementById("footer-error");
// Refusals of a button press, by download id: kept across redraws (events redraw the list)
// until the next press on that download.
const refusals = new Map();
let lastViews = [];
// The service's lifecycle table from `hello`: which actions each state allows (no table: none).
let lifecycle = null;

const STATUS_TEXT = {
  connected: "connected",
  not_installed: "not installed",
  forbidden: "not allowed",
  failed: "not answering",
};

// Label and data-action per lifecycle action; an action without a label here is not shown.
const BUTTONS = {
  pause: ["Pause", "pause"],
  resume: ["Resume", "resume"],
  cancel: ["Cancel", "cancel"],
  retry: ["Retry", "retry"],
  remove: ["Remove", "remove"],
  open: ["Open", "open-file"],
  reveal: ["Show in folder", "open-folder"],
};

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) {
    const error = reply?.error;
    throw Object.assign(new Error(error?.message ?? "no answer from the background"), { code: error?.code, number: error?.number });
  }
  return reply.result;
}

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

function showHost(host) {
  const state = host?.state ?? "unknown";
  statusEl.dataset.state = state;
  statusEl.textContent = STATUS_TEXT[state] ?? "checking…";
  helpEl.replaceChildren();
  helpEl.hidden = state === "connected" || state === "unknown";
  if (state === "not_installed") {
    helpEl.append("paxel is not installed for this browser. Run ", el("code", "", "paxel install"), " and reopen this popup. Downloads stay with the browser meanwhile.");
  } else if (!helpEl.hidden) {
    helpEl.append(host.message || "The paxel host does not answer; downloads stay with the browser.");
  }
}

/** Everything a row shows except its buttons. */
function rowParts(view) {
  const parts = [el("div", "name", view.filename || view.url)];

  const fraction = progressFraction(view);
  const bar = el("div", fraction === null ? "bar indeterminate" : "bar");
  const fill = el("div", "fill");
  if (fraction !== null) fill.style.width = `${(fraction * 100).toFixed(1)}%`;
  bar.append(fill);
  parts.push(bar);

  const segments = el("div", "segments");
  for (const block of segmentBlocks(view)) {
    const seg = el("div", "segment");
    seg.style.left = `${block.left}%`;
    seg.style.width = `${block.width}%`;
    const done = el("div", "done");
    done.style.width = `${block.filled}%`;
    seg.append(done);
    segments.append(seg);
  }
  parts.push(segments);

  const sizeText = view.total ? `${formatBytes(view.done)} of ${formatBytes(view.total)}` : formatBytes(view.done);
  const meta = el("div", "meta");
  meta.append(el("span", "state", view.state), el("span", "size", sizeText));
  if (view.state === "running") meta.append(el("span", "speed", formatSpeed(view.speed)), el("span", "eta", formatEta(view.eta)));
  parts.push(meta);
  if (view.error) parts.push(el("div", "error", view.error.message));
  if (refusals.has(view.download_id)) parts.push(el("div", "refusal", refusals.get(view.download_id)));
  return parts;
}

/** The buttons the lifecycle table allows in the view's state (those the popup has a label for). */
function renderButtons(downloadId, actions, key) {
  const buttons = el("div", "buttons");
  buttons.dataset.actions = key;
  for (const { action, request } of actions) {
    const [label, name] = BUTTONS[action];
    const button = el("button", "", label);
    button.type = "button";
    button.dataset.action = name;
    const { type, ...extra } = request;
    button.addEventListener("click", () => act(downloadId, { ...extra, action: type }, button));
    buttons.append(button);
  }
  return buttons;
}

/**
 * Redraw one row in place. Its buttons stay the same elements while the state offers the same
 * actions: progress redraws the list 4 times a second, and a press whose mouseup lands on a
 * new element would be lost.
 */
function updateDownload(item, view) {
  item.dataset.id = view.download_id;
  item.dataset.state = view.state;
  const actions = actionsFor(lifecycle, view.state).filter((a) => BUTTONS[a.action]);
  const key = actions.map((a) => a.action).join(",");
  let buttons = item.querySelector(":scope > .buttons");
  if (!buttons || buttons.dataset.actions !== key) {
    buttons?.remove();
    buttons = renderButtons(view.download_id, actions, key);
    item.append(buttons);
  }
  for (const child of [...item.children]) if (child !== buttons) child.remove();
  for (const part of rowParts(view)) item.insertBefore(part, buttons);
}

function showDownloads(views) {
  lastViews = views;
  const rows = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const wanted = new Set(views.map((v) => v.download_id));
  for (const [id, li] of rows) if (!wanted.has(id)) li.remove();
  views.forEach((view, i) => {
    const li = rows.get(view.download_id) ?? el("li", "download");
    updateDownload(li, view);
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });
  document.getElementById("empty").hidden = views.length > 0;
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

document.getElementById("show-panel").addEventListener("click", () => {
  footerErrorEl.hidden = true;
  ask({ type: "show_panel" }).catch((err) => reportFailure(err, (message) => {
    footerErrorEl.textContent = message;
    footerErrorEl.hidden = false;
  }));
});

const port = api.runtime.connect({ name: "paxel-ui" });
port.onMessage.addListener((message) => {
  if (message.kind === "downloads") showDownloads(message.downloads);
  else if (message.kind === "host") {
    showHost(message.host);
    learnLifecycle(message.host?.hello);
  }
});

ask({ type: "state" }).then((state) => {
  showHost(state.host);
  lifecycle = state.hello?.lifecycle ?? lifecycle;
  showDownloads(state.downloads);
});
ask({ type: "connect" }).then(
  (result) => {
    showHost({ state: "connected" });
    learnLifecycle(result.hello);
  },
  (err) => showHost({ state: err.code === "not_installed" || err.code === "forbidden" ? err.code : "failed", message: err.message }),
);
