// Background (Chromium service worker / Firefox event page). Every listener is registered at the
// top level so a restarted worker gets the event that woke it; state lives in storage.
import * as host from "./lib/host.js";
import { normalizeSettings } from "./lib/settings.js";
import { buildAction, buildDownload, buildMediaProbe, isFirefoxUrl, RequestError } from "./lib/messages.js";
import "./lib/format.js";
import { baseName, urlRefusal } from "./lib/urls.js";
import * as navigations from "./lib/navigations.js";
import { addDecision, failureReason } from "./lib/trace.js";
import * as mediasniff from "./lib/mediasniff.js";
import * as seenrequests from "./lib/seenrequests.js";
import { collectCookies, partitionKeyOf } from "./lib/readcookies.js";
import { browserDownload, createHandOver, logFallback } from "./lib/handover.js";
import { followRefresh, notify, onNotificationClicked } from "./lib/notices.js";

const api = globalThis.browser ?? globalThis.chrome;
const { applyEvent, badgeText } = globalThis.paxelFormat;
const BASE_URL = api.runtime.getURL("");
const IS_FIREFOX = isFirefoxUrl(BASE_URL);
const MENU_ID = "paxel-download";
const UI_PORT = "paxel-ui";
const IDLE_DISCONNECT_MS = 30000;
const MAX_KEPT_VIEWS = 100;

// Worker-lifetime only: things that cannot be stored (ports, timers, a promise chain).
let chain = Promise.resolve();
let idleTimer = null;
let reconnectTimer = null;
let reconnectDelay = 1000;
const UI_RECONNECT_MS = 1000; // while a popup or options page is open: it must show the truth soon
const uiPorts = new Set();
// Media requests' headers until their response shows whether they are media (lib/mediasniff.js).
let pendingMedia = new Map();
let globalBadge = ""; // the downloads count last shown: a tab with media shows it too

// ---- listeners (top level) ----
// The hand-over (lib/handover.js) works on this worker's stored state.
const handOver = createHandOver({ loadSettings, bypassArmed, setBypass, recordDecision, adoptView });
if (api.downloads.onDeterminingFilename) {
  api.downloads.onDeterminingFilename.addListener(handOver.onDeterminingFilename);
} else {
  api.downloads.onCreated.addListener(handOver.onDownloadCreated);
}
// Non-blocking observers: what the browser really sends for navigations (a download is one).
api.webRequest.onBeforeRequest.addListener(onBeforeRequest, navigations.REQUEST_FILTER);
seenrequests.listen();
// What a tab plays (lib/mediasniff.js): its responses, with the headers its requests went out with.
api.webRequest.onSendHeaders.addListener(onMediaSendHeaders, mediasniff.REQUEST_FILTER, navigations.sendHeadersOptions(IS_FIREFOX));
api.webRequest.onHeadersReceived.addListener(onMediaHeaders, mediasniff.REQUEST_FILTER, ["responseHeaders"]);
api.tabs.onRemoved.addListener((tabId) => enqueue(() => updateMedia(tabId, (s) => mediasniff.forgetTab(s, tabId))));
api.commands.onCommand.addListener(onCommand);
api.contextMenus.onClicked.addListener(onMenuClicked);
api.runtime.onInstalled.addListener(createMenu);
api.runtime.onMessage.addListener(onUiMessage);
api.runtime.onConnect.addListener(onUiConnect);
api.notifications.onClicked.addListener((notificationId) => onNotificationClicked(notificationId, loadViews));
host.onEvent((event) => enqueue(() => onHostEvent(event)));
host.onStatus((status) => enqueue(() => onHostStatus(status)));
enqueue(resumeAfterRestart);

// The worker's console is reachable in devtools; this names the context-menu path for it (and
// for the browser tests, since headless browsers have no native context menu).
globalThis.paxel = Object.freeze({ onMenuClicked, MENU_ID, onCommand });

// ---- serialised storage updates (events arrive faster than storage round trips) ----
function enqueue(task) {
  chain = chain.then(task).catch((err) => console.error("paxel:", err));
  return chain;
}

async function loadSettings() {
  const { settings } = await api.storage.sync.get("settings");
  return normalizeSettings(settings).settings;
}

async function loadViews() {
  const { downloads } = await api.storage.session.get("downloads");
  return Array.isArray(downloads) ? downloads : [];
}

/** Worth keeping the host for: the service is working on it (a paused one waits for the user). */
function inFlight(view) {
  return view.state === "queued" || view.state === "running";
}

async function saveViews(views) {
  const kept = views.slice(0, MAX_KEPT_VIEWS);
  const { hello } = await api.storage.session.get("hello");
  await api.storage.session.set({ downloads: kept });
  // The badge counts what the service's table calls active, like the panel's header.
  const text = badgeText(hello?.lifecycle, kept);
  await api.action.setBadgeText({ text });
  if (text !== globalBadge) {
    globalBadge = text;
    await showMediaBadges();
  }
  for (const ui of uiPorts) ui.postMessage({ kind: "downloads", downloads: kept });
  scheduleIdleDisconnect(kept);
  return kept;
}

// ---- the browser's real requests (lib/seenrequests.js) ----
function onBeforeRequest(details) {
  if (details.type === "main_frame" && details.tabId >= 0) {
    enqueue(() => updateMedia(details.tabId, (s) => mediasniff.forgetTab(s, details.tabId)));
  }
  seenrequests.noteRequest(details);
}

// ---- media a tab plays (lib/mediasniff.js; docs/extension.md "Media on a page") ----
function onMediaSendHeaders(details) {
  if (details.tabId >= 0) pendingMedia = mediasniff.notePending(pendingMedia, details);
}

function onMediaHeaders(details) {
  const headers = pendingMedia.get(details.requestId) ?? null;
  pendingMedia.delete(details.requestId);
  if (mediasniff.classify(details) || headers?.Cookie) enqueue(() => updateMedia(details.tabId, (s) => mediasniff.noteResponse(s, details, headers)));
}

async function loadMedia() {
  const { media } = await api.storage.session.get("media");
  return media && typeof media === "object" ? media : {};
}

/** Apply `change` to the stored finds (inside `enqueue`); the tab's badge follows. */
async function updateMedia(tabId, change) {
  const before = await loadMedia();
  const after = change(before);
  if (after === before) return;
  await api.storage.session.set({ media: after });
  await showMediaBadge(after, tabId);
}

async function showMediaBadge(state, tabId) {
  const { text, title } = mediasniff.badgeFor(state, tabId, globalBadge);
  const has = mediasniff.listed(state, tabId).length > 0;
  // null gives the tab back the global badge and title; the tab may be gone meanwhile
  await api.action.setBadgeText({ tabId, text: has ? text : null }).catch(() => {});
  await api.action.setTitle({ tabId, title: has ? title : null }).catch(() => {});
}

async function showMediaBadges() {
  const state = await loadMedia();
  for (const tabId of Object.keys(state)) await showMediaBadge(state, Number(tabId));
}

/** A find with what a request for it needs: the headers seen (and other hosts' cookies), else the tab's cookies. */
async function mediaDetails(tabId, url) {
  const state = await loadMedia();
  const find = mediasniff.findOf(state, tabId, url);
  if (!find) throw new RequestError("that media is no longer on the page (it navigated): reopen the popup");
  const tab = await api.tabs.get(tabId);
  const origin = { incognito: tab.incognito, cookieStoreId: tab.cookieStoreId, topLevelUrl: tab.url };
  const cookies = find.headers ? [] : await collectCookies(find.url, origin);
  const name = find.kind === "file" ? baseName(new URL(find.url).pathname) : mediasniff.nameFromTitle(tab.title);
  return { find, tab, details: { url: find.url, referrer: tab.url, userAgent: navigator.userAgent, cookies, sent: find.headers ?? undefined, hostCookies: mediasniff.hostCookies(state, tabId, find.url), filename: name } };
}

async function downloadMedia(tabId, url, quality) {
  const { find, details } = await mediaDetails(tabId, url);
  const media = find.kind === "file" ? undefined : { quality: quality ?? null };
  return sendDownload(buildDownload({ ...details, source: "media", media }, await loadSettings()));
}

// ---- the user in control: bypass switch and trace ----
async function bypassArmed() {
  const { bypassNext } = await api.storage.session.get("bypassNext");
  return bypassNext === true;
}

async function setBypass(on) {
  await api.storage.session.set({ bypassNext: Boolean(on) });
  await api.action.setTitle({ title: on ? "paxel: the next download goes to the browser" : "paxel" });
  return Boolean(on);
}

/** The keyboard shortcut (manifest `commands`): the next download goes to the browser. */
function onCommand(command) {
  if (command === "bypass-next") return setBypass(true);
  return undefined;
}

function recordDecision(decision) {
  return enqueue(async () => {
    const { trace } = await api.storage.session.get("trace");
    await api.storage.session.set({ trace: addDecision(trace, { at: Date.now(), ...decision }) });
  });
}

async function sendDownload(request) {
  const { download } = await host.request(request);
  await adoptView(download);
  return download;
}

async function adoptView(download) {
  await enqueue(async () => saveViews(applyEvent(await loadViews(), { event: "added", data: { download } })));
}

// ---- context menu ----
function createMenu() {
  api.contextMenus.removeAll(() => {
    api.contextMenus.create({ id: MENU_ID, title: "Download with paxel", contexts: ["link", "image", "video", "audio"] });
  });
}

async function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID) return;
  if (!info.linkUrl && mediasniff.isBlobSource(info.srcUrl) && tab?.id !== undefined) return downloadStreams(tab);
  const url = info.linkUrl || info.srcUrl;
  const page = info.frameUrl || info.pageUrl || tab?.url;
  const origin = {
    incognito: Boolean(tab?.incognito),
    cookieStoreId: tab?.cookieStoreId,
    topLevelUrl: info.pageUrl || tab?.url,
    partitionKey: await partitionKeyOf(tab, info.frameId),
    source: "context-menu",
  };
  try {
    if (urlRefusal(url)) throw new RequestError(`not an http(s) URL`);
    const settings = await loadSettings();
    const cookies = await collectCookies(url, origin);
    const request = buildDownload(
      { url, referrer: page, userAgent: navigator.userAgent, cookies, source: "context-menu", filename: baseName(new URL(url).pathname) },
      settings,
    );
    const download = await sendDownload(request);
    recordDecision({ url, name: request.filename ?? "", to: "paxel", reason: "context-menu", request: "cookies" });
    return download;
  } catch (err) {
    logFallback(url, err);
    recordDecision({ url, name: "", to: "browser", reason: failureReason(err), detail: err.message });
    await browserDownload(url, origin);
    return null;
  }
}

/** A `<video>`/`<audio>` playing from a blob: (MSE): every stream the tab played goes to paxel. */
async function downloadStreams(tab) {
  const streams = mediasniff.streamsOf(await loadMedia(), tab.id);
  if (streams.length === 0) {
    recordDecision({ url: tab.url ?? "", name: "", to: "browser", reason: "no-stream", detail: "this video plays from a blob: and no stream of it was seen; reload the page and play it" });
    return [];
  }
  const done = [];
  for (const stream of streams) {
    try {
      done.push(await downloadMedia(tab.id, stream.url, null));
      recordDecision({ url: stream.url, name: tab.title ?? "", to: "paxel", reason: "context-menu", request: "seen" });
    } catch (err) {
      recordDecision({ url: stream.url, name: "", to: "browser", reason: failureReason(err), detail: err.message });
    }
  }
  return done;
}

// ---- host events → storage, badge, popup, notifications ----
async function onHostEvent(event) {
  if (event.event === "disconnected") {
    // The service went away behind a live host. Close the port, so the next hello starts a
    // fresh host (which finds or starts the service), and say so at once.
    host.disconnect();
    await onHostStatus({ state: "service_lost", message: "the paxel service stopped" });
    return;
  }
  await saveViews(applyEvent(await loadViews(), event));
  // The service picks one announcer per outcome (`notify`: this browser or not); an older
  // service does not say, and then every browser announces as before.
  if ((event.event === "completed" || event.event === "failed") && event.data?.notify !== false) await notify(event);
}

async function onHostStatus(status) {
  await api.storage.session.set({ hostStatus: { state: status.state, message: status.message, at: Date.now() } });
  if (status.hello) {
    await api.storage.session.set({ hello: status.hello });
    scheduleIdleDisconnect(await loadViews());
  }
  for (const ui of uiPorts) ui.postMessage({ kind: "host", host: status });
  if (status.state !== "connected" && (uiPorts.size > 0 || (await loadViews()).some(inFlight))) scheduleReconnect();
}

/**
 * One retry chain, however many failures report the loss (status, restart, a failed retry).
 * While a popup or options page is open it tries every second (it must show the truth within
 * 2 s), otherwise with backoff; with neither a page nor anything in flight it stops.
 */
function scheduleReconnect() {
  if (reconnectTimer !== null) return;
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    refreshFromHost().then(
      () => { reconnectDelay = 1000; },
      async () => {
        reconnectDelay = Math.min(reconnectDelay * 2, 30000);
        // also after a timeout, which closes the port without a status
        if (uiPorts.size > 0 || (await loadViews()).some(inFlight)) scheduleReconnect();
      },
    );
  }, uiPorts.size > 0 ? UI_RECONNECT_MS : reconnectDelay);
}

/** Events were missed while disconnected: take the service's list as the truth. */
async function refreshFromHost() {
  const { downloads } = await host.request({ type: "list" }, undefined, { start: false }); // never starts a stopped service
  return enqueue(() => saveViews(downloads));
}

async function resumeAfterRestart() {
  if ((await loadViews()).some(inFlight)) refreshFromHost().catch(() => scheduleReconnect());
}

// Keep the port (and so the worker and the host) only while something is worth watching.
function scheduleIdleDisconnect(views) {
  clearTimeout(idleTimer);
  idleTimer = null;
  if (views.some(inFlight) || uiPorts.size > 0) return;
  idleTimer = setTimeout(() => host.disconnect(), IDLE_DISCONNECT_MS);
}

// ---- popup and options ----

function fromOwnPage(sender) {
  return sender?.id === api.runtime.id && typeof sender.url === "string" && sender.url.startsWith(BASE_URL);
}

function onUiConnect(uiPort) {
  if (uiPort.name !== UI_PORT || !fromOwnPage(uiPort.sender)) return uiPort.disconnect();
  uiPorts.add(uiPort);
  clearTimeout(idleTimer);
  uiPort.onDisconnect.addListener(() => {
    uiPorts.delete(uiPort);
    enqueue(async () => scheduleIdleDisconnect(await loadViews()));
  });
  refreshFromHost().catch(() => scheduleReconnect());
}

function onUiMessage(message, sender, sendResponse) {
  if (!fromOwnPage(sender)) return false;
  route(message).then(
    (result) => sendResponse({ ok: true, result }),
    (err) => sendResponse({ ok: false, error: { code: err.code ?? "failed", number: err.number, message: err.message, errors: err.errors } }),
  );
  return true;
}

/** Everything the UI may ask for, in one place. */
async function route(message) {
  switch (message?.type) {
    case "state": {
      const stored = await api.storage.session.get(["hostStatus", "hello"]);
      return { host: stored.hostStatus ?? null, hello: stored.hello ?? null, downloads: await loadViews() };
    }
    case "connect":
      return { hello: await host.hello({ start: message.start === true }) };
    case "action": {
      const result = await host.request(buildAction(message.action, message.download_id, message));
      const { download } = result;
      if (download) await enqueue(async () => saveViews(applyEvent(await loadViews(), { event: "changed", data: { download } })));
      if (message.action === "refresh") await followRefresh(result);
      return { download: download ?? null };
    }
    case "show_panel":
      return host.request({ type: "show_panel" });
    case "service.settings": // the options page (opened by the user: it may start the service, as its folder list does)
      return host.request(message.set ? { type: "settings", set: message.set, ...(message.renamed ? { renamed: message.renamed } : {}), ...(Number.isInteger(message.if_revision) ? { if_revision: message.if_revision } : {}) } : { type: "settings" });
    case "limit": // the popup's global speed limit (bytes/s or null), checked again by the host
      return host.request({ type: "limit", max_speed: message.max_speed ?? null });
    case "media.list": {
      const tab = await api.tabs.get(message.tabId).catch(() => null);
      const finds = mediasniff.listed(await loadMedia(), message.tabId).map(({ headers, ...find }) => find);
      return { title: tab?.title ?? "", page: tab?.url ?? "", finds };
    }
    case "media.probe": {
      const { details } = await mediaDetails(message.tabId, message.url);
      return host.request(buildMediaProbe(details), 30000);
    }
    case "media.download":
      return { download: await downloadMedia(message.tabId, message.url, message.quality) };
    case "handover.state": {
      const { trace, bypassNext } = await api.storage.session.get(["trace", "bypassNext"]);
      const commands = await api.commands.getAll();
      const shortcut = commands.find((c) => c.name === "bypass-next")?.shortcut ?? "";
      return { trace: Array.isArray(trace) ? trace : [], bypassNext: bypassNext === true, shortcut };
    }
    case "bypass.set":
      return { bypassNext: await setBypass(message.on === true) };
    case "settings.get":
      return { settings: await loadSettings() };
    case "settings.save": {
      const { settings, errors } = normalizeSettings(message.settings);
      if (errors.length) throw Object.assign(new Error(errors.map((e) => `${e.field}: ${e.message}`).join("; ")), { code: "BAD_FIELD", errors });
      await api.storage.sync.set({ settings });
      return { settings };
    }
    default:
      throw Object.assign(new Error(`unknown message type: ${message?.type}`), { code: "UNKNOWN_TYPE" });
  }
}
