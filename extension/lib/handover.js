// Handing a browser download over to paxel: the rules, the `take` with its deadline, and the
// browser's copy given up only once paxel has the download (Chromium holds it; Firefox does not).
import * as host from "./host.js";
import { HostError } from "./host.js";
import { decide, browserSize, LEAVE, PROBE } from "./rules.js";
import { buildDownload, buildProbe, isFirefoxUrl, RequestError } from "./messages.js";
import { baseName } from "./urls.js";
import * as navigations from "./navigations.js";
import { failureReason } from "./trace.js";
import { buildTake, canTake, deadlineLeft, outcomeOf, seenOf, takeDeadlineFrom, TAKE_DEADLINE_MS, TIMED_OUT } from "./takeover.js";
import { letGo } from "./relink.js";
import { takeRequest } from "./seenrequests.js";
import { collectCookies } from "./readcookies.js";

const api = globalThis.browser ?? globalThis.chrome;
const IS_FIREFOX = isFirefoxUrl(api.runtime.getURL(""));

function candidateOf(item, seen) {
  return {
    // The request seen is the last hop: the URL whose headers paxel gets (a POST answered 303
    // is a GET of this URL).
    url: seen?.url ?? item.url,
    referrer: item.referrer,
    filename: item.filename,
    mime: item.mime,
    size: browserSize(item.totalBytes ?? item.fileSize),
    incognito: Boolean(item.incognito),
    method: seen?.method ?? undefined,
  };
}

/**
 * The download listeners, bound to the background's stored state: loadSettings, bypassArmed,
 * setBypass, recordDecision and adoptView live there (serialised storage updates).
 */
export function createHandOver({ loadSettings, bypassArmed, setBypass, recordDecision, adoptView }) {
  /**
   * Apply the rules (probing the size through the host when they need it) to a browser download.
   * Returns {request (the download request to send, or null to leave it to the browser), reason,
   * via ("seen" | "cookies": where the request headers came from)}.
   */
  async function planHandOver(item, origin) {
    const seen = await takeRequest(item);
    const candidate = candidateOf(item, seen);
    const settings = await loadSettings();
    let verdict = decide({ ...candidate, bypass: await bypassArmed() }, settings);
    if (verdict.reason === "bypass") await setBypass(false);
    if (verdict.action === LEAVE) return { request: null, reason: verdict.reason };
    // Without host permission Firefox's cookies.getAll answers [] silently (and webRequest shows
    // nothing): paxel would get a 403 where the browser succeeds, so such downloads stay.
    if (!(await api.permissions.contains({ origins: [originPattern(candidate.url)] }))) {
      return { request: null, reason: "no-permission" };
    }
    const sent = seen?.headers ? navigations.forwardedHeaders(seen.headers) : undefined;
    const cookies = sent ? [] : await collectCookies(candidate.url, origin);
    const details = { ...candidate, userAgent: navigator.userAgent, cookies, sent, source: origin.source };
    if (verdict.action === PROBE && canTake(await host.hello())) {
      // `take` checks the minimum size with its own first request: no separate probe.
      return { request: buildDownload(details, settings), reason: "rules-matched", via: sent ? "seen" : "cookies", minSize: settings.minSize };
    }
    if (verdict.action === PROBE) {
      const probe = await host.request(buildProbe(details));
      verdict = decide({ ...candidate, size: probe.size ?? null, probed: true }, settings);
      if (verdict.action === LEAVE) return { request: null, reason: verdict.reason };
    }
    return { request: buildDownload(details, settings), reason: verdict.reason, via: sent ? "seen" : "cookies" };
  }

  /**
   * Chromium holds the download until suggest() is called, before any data is written: paxel
   * takes it (or not) meanwhile; the browser's download is cancelled only once paxel has it.
   */
  function onDeterminingFilename(item, suggest) {
    if (item.byExtensionId === api.runtime.id) return false; // our own fallback: never again
    const origin = { incognito: item.incognito, topLevelUrl: item.referrer, source: "click" };
    const about = { url: item.finalUrl || item.url, name: baseName(item.filename) };
    const started = Date.now();   // Chromium's 15 s hold began: the 10 s deadline counts from here
    planHandOver(item, origin)
      .then(async ({ request, reason, via, minSize }) => {
        if (!request) {
          recordDecision({ ...about, to: "browser", reason });
          return suggest();
        }
        const outcome = await take(request, item, minSize, started, await takeDeadline());
        if (!outcome.taken) {
          recordDecision(declinedDecision(about, outcome));
          return suggest();
        }
        await adoptView(outcome.download);
        recordDecision({ ...about, to: "paxel", reason, request: via, detail: takenDetail(outcome) });
        await api.downloads.cancel(item.id);
        await api.downloads.erase({ id: item.id });
      })
      .catch((err) => {
        logFallback(item.url, err);
        recordDecision({ ...about, to: "browser", reason: failureReason(err), detail: err.message });
        suggest();
      });
    return true;
  }

  /**
   * Firefox has no hold: its download goes on while paxel takes it. Firefox's copy is removed only
   * once paxel has taken the download; if Firefox finished first, its copy wins and paxel lets go.
   */
  async function onDownloadCreated(item) {
    if (item.byExtensionId === api.runtime.id) return;
    const origin = {
      incognito: item.incognito,
      cookieStoreId: item.cookieStoreId,
      topLevelUrl: item.referrer,
      source: "click",
    };
    const about = { url: item.url, name: baseName(item.filename) };
    const started = Date.now();
    try {
      const plan = await planHandOver(item, origin);
      if (!plan.request) {
        recordDecision({ ...about, to: "browser", reason: plan.reason });
        return;
      }
      const outcome = await take(plan.request, item, plan.minSize, started, await takeDeadline());
      if (!outcome.taken) {
        recordDecision(declinedDecision(about, outcome));
        return;
      }
      if (!(await giveUpBrowserCopy(item.id))) {
        await dropFromPaxel(outcome);
        recordDecision({ ...about, to: "browser", reason: "browser-first" });
        return;
      }
      await adoptView(outcome.download);
      recordDecision({ ...about, to: "paxel", reason: plan.reason, request: plan.via, detail: takenDetail(outcome) });
    } catch (err) {
      logFallback(item.url, err);
      recordDecision({ ...about, to: "browser", reason: failureReason(err), detail: err.message });
    }
  }

  return { onDeterminingFilename, onDownloadCreated };
}

/** The `take` deadline in force (lib/takeover.js takeDeadlineFrom). */
async function takeDeadline() {
  const { takeDeadlineMs } = await api.storage.session.get("takeDeadlineMs");
  return takeDeadlineFrom(takeDeadlineMs);
}

function originPattern(url) {
  return `${new URL(url).origin}/*`;
}

/**
 * Ask paxel to take the download (docs/protocol.md `take`): it answers only once its first
 * request was answered like the browser's. The extension keeps its own deadline, counted from
 * `started` (the download's announcement; Chromium gives up holding at 15 s); a `taken` that comes after it is let go at once, so there is one copy.
 * Rejects with HostError when the host cannot be reached at all.
 */
async function take(request, item, minSize, started, deadlineMs) {
  const hello = await host.hello();
  if (!canTake(hello)) {
    return { taken: false, reason: "host-outdated", message: "this paxel cannot take downloads safely: update paxel" };
  }
  const left = deadlineLeft(started, Date.now(), deadlineMs);   // what the rules and a cold start left of it
  if (left === 0) return TIMED_OUT;
  const seen = { ...seenOf(item), ...(minSize ? { min_size: minSize } : {}) };
  const asked = host.request(buildTake(request, seen), TAKE_DEADLINE_MS + 10000).then(outcomeOf);
  let timer;
  const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), left); });
  const first = await Promise.race([asked, deadline]).finally(() => clearTimeout(timer));
  if (first === TIMED_OUT) {
    asked.then((late) => (late.taken ? dropFromPaxel(late) : null)).catch(() => {});
  }
  return first;
}

/**
 * paxel lets go of a download the browser kept: its job and any bytes it wrote go; one that
 * continues an earlier download (an expired link refreshed) is only paused (lib/relink.js).
 */
function dropFromPaxel(outcome) {
  const request = letGo(outcome);
  return request && host.request(request)
    .catch((err) => console.warn("paxel: cannot drop", request.download_id, err.message));
}

/** The trace says when a click continued an earlier download instead of starting one. */
function takenDetail(outcome) {
  return outcome.attached ? "continues the unfinished download of the same file" : undefined;
}

function declinedDecision(about, outcome) {
  if (outcome.reason === "small") return { ...about, to: "browser", reason: "below-minimum-size" };
  const reason = outcome.reason === "host-outdated" || outcome.reason === "timeout" ? outcome.reason : "declined";
  return { ...about, to: "browser", reason, detail: reason === "declined" ? outcome.message : undefined };
}

/** Cancel and erase the browser's copy; false when it had already finished (then it stays). */
async function giveUpBrowserCopy(id) {
  try {
    await api.downloads.cancel(id);
  } catch {
    const [found] = await api.downloads.search({ id });
    if (!found || found.state === "complete") return false;
  }
  const [left] = await api.downloads.search({ id });
  if (left?.state === "complete") return false; // finished between our call and the cancel
  // The browser's download is gone by now: a stray list entry must not stop paxel getting it.
  await api.downloads.erase({ id }).catch((err) => console.warn("paxel: cannot erase download", id, err));
  return true;
}

/** The browser downloads it itself; byExtensionId marks it so it is not intercepted again. */
export async function browserDownload(url, { incognito, cookieStoreId }) {
  const options = { url, saveAs: false };
  if (IS_FIREFOX) {
    options.incognito = Boolean(incognito);
    if (cookieStoreId && cookieStoreId.startsWith("firefox-container-")) options.cookieStoreId = cookieStoreId;
  }
  return api.downloads.download(options);
}

export function logFallback(url, err) {
  const why = err instanceof HostError || err instanceof RequestError ? err.message : String(err);
  console.warn(`paxel: left to the browser: ${url}: ${why}`);
}
