// The navigation requests the browser sent lately (lib/navigations.js), so a download can be
// handed over with the headers its request really carried. Worker-lifetime: a download follows
// its request within seconds, and the webRequest events that fill it keep the worker awake.
import * as navigations from "./navigations.js";
import { isFirefoxUrl } from "./messages.js";

const api = globalThis.browser ?? globalThis.chrome;
const IS_FIREFOX = isFirefoxUrl(api.runtime.getURL(""));
let seenRequests = [];

// Firefox may deliver downloads.onCreated before the webRequest events of the same request:
// a download without its request waits this long for it before falling back to cookies.getAll
// (Chromium only for one whose request it saw start: navigations.requestWait).
const REQUEST_WAIT_MS = 1000;
const requestWaiters = new Set();

function requestsChanged() {
  for (const wake of requestWaiters) wake();
}

/** webRequest.onBeforeRequest (navigations only): a request starts. */
export function noteRequest(details) {
  seenRequests = navigations.noteRequest(navigations.prune(seenRequests, Date.now()), details);
  requestsChanged();
}

export function onSendHeaders(details) {
  seenRequests = navigations.noteHeaders(seenRequests, details);
  requestsChanged();
  // Chromium's details do not say whether the tab is private; the tab does (still open now).
  if (!IS_FIREFOX && details.tabId >= 0) {
    api.tabs.get(details.tabId).then(
      (tab) => { seenRequests = navigations.notePrivacy(seenRequests, details.requestId, tab.incognito); },
      () => {},
    );
  }
}

/** webRequest.onHeadersReceived (navigations only): the answer to a request began. */
export function onHeadersReceived(details) {
  seenRequests = navigations.noteResponse(seenRequests, details);
}

/**
 * Listen to what requests send and receive (at the worker's top level, as MV3 asks). The
 * request's start (onBeforeRequest) stays with the background, which also tells mediasniff.
 */
export function listen() {
  api.webRequest.onSendHeaders.addListener(onSendHeaders, navigations.REQUEST_FILTER, navigations.sendHeadersOptions(IS_FIREFOX));
  api.webRequest.onHeadersReceived.addListener(onHeadersReceived, navigations.REQUEST_FILTER);
}

function nextRequestEvent(ms) {
  return new Promise((resolve) => {
    const wake = () => {
      requestWaiters.delete(wake);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    requestWaiters.add(wake);
  });
}

/** The request `item` came from (used up: one download per request), or null. */
export async function takeRequest(item) {
  const started = Date.now();
  let entry = navigations.matchDownload(seenRequests, item);
  let left = navigations.requestWait(entry, IS_FIREFOX, REQUEST_WAIT_MS);
  while (left > 0) {
    await nextRequestEvent(left);
    entry = navigations.matchDownload(seenRequests, item);
    left = Math.min(navigations.requestWait(entry, IS_FIREFOX, REQUEST_WAIT_MS), started + REQUEST_WAIT_MS - Date.now());
  }
  seenRequests = navigations.forget(seenRequests, entry);
  return entry;
}
