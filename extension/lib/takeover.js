// The two-phase hand-over, the pure part: what the browser saw, the `take` request, and what
// paxel's answer means. The browser gives up its download only on `taken` (docs/protocol.md).
import { browserSize } from "./rules.js";
import { baseName } from "./urls.js";

/** Chromium carries on by itself 15 s into onDeterminingFilename; paxel must answer before. */
export const TAKE_DEADLINE_MS = 10000;
export const TAKE_CAPABILITY = "take";

/**
 * How much of the deadline is left for the `take` itself (ms, ≥ 0), counted from the moment the
 * browser announced the download: the rules, the request's headers and a cold start of host and
 * service (the first hello) come out of the same 10 s, or the browser's own 15 s hold ran out
 * before paxel's answer could count (they waited 10 s more after all that).
 */
export function deadlineLeft(startedAt, now, deadlineMs = TAKE_DEADLINE_MS) {
  const spent = Number(now) - Number(startedAt);
  if (!Number.isFinite(spent)) return deadlineMs;
  return Math.min(deadlineMs, Math.max(0, deadlineMs - spent));
}

/**
 * The deadline in force: TAKE_DEADLINE_MS, or a shorter one (whole ms from 1000) stored by a
 * test as storage.session `takeDeadlineMs` (the e2e test of a `take` nobody answers would
 * otherwise wait out the 10 s). Never longer: Chromium stops holding a download at 15 s.
 */
export function takeDeadlineFrom(stored) {
  return Number.isInteger(stored) && stored >= 1000 && stored <= TAKE_DEADLINE_MS ? stored : TAKE_DEADLINE_MS;
}

/** Whether the host's hello offers the two-phase hand-over (an older paxel takes nothing). */
export function canTake(hello) {
  return Array.isArray(hello?.capabilities) && hello.capabilities.includes(TAKE_CAPABILITY);
}

/** What the browser saw of its answer: size, type, name (each null when it does not know). */
export function seenOf(item) {
  return {
    size: browserSize(item?.totalBytes ?? item?.fileSize),
    content_type: typeof item?.mime === "string" && item.mime ? item.mime : null,
    filename: baseName(item?.filename) || null,
  };
}

/** A built `download` request as the `take` request for the same download. */
export function buildTake(download, seen) {
  return { ...download, type: "take", expect: seen };
}

/**
 * paxel's answer to `take`: {taken: true, download, attached?} or {taken: false, reason, message}. Anything
 * else is a decline: the browser keeping its download is never wrong.
 */
export function outcomeOf(result) {
  if (result?.outcome === "taken" && result.download && typeof result.download.download_id === "string") {
    // `attached`: it continues an earlier download of the same file (an expired link refreshed)
    // `already`: that download was running when the click came (nothing of it is this click's)
    const attached = result.attached === true ? { attached: true, ...(result.already === true ? { already: true } : {}) } : {};
    return { taken: true, download: result.download, ...attached };
  }
  const reason = typeof result?.reason === "string" && result.reason ? result.reason : "failed";
  const message = typeof result?.message === "string" && result.message ? result.message : "paxel did not take it";
  return { taken: false, reason, message };
}

/** The decline for a deadline the extension itself kept. */
export const TIMED_OUT = Object.freeze({
  taken: false,
  reason: "timeout",
  message: `paxel did not take it within ${TAKE_DEADLINE_MS / 1000} s`,
});
