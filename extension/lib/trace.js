// The trace: the last decisions on downloads, newest first, each with why. Pure.
//
// A decision: {at (ms), url, name, to: "paxel" | "browser", reason (a code below), detail (free
// text: a host or service message), request: "seen" | "cookies" | undefined}. `request` says where
// the headers paxel got came from: the browser's real request, or cookies.getAll because the
// request was not seen.

export const TRACE_SIZE = 20;

/** What each reason code means to the user. Codes come from rules.decide and the background. */
export const REASONS = Object.freeze({
  "rules-matched": "rules matched",
  stream: "a stream's playlist: paxel downloads the stream",
  "no-stream": "no stream seen for this video",
  "context-menu": "Download with paxel",
  disabled: "paxel is switched off",
  bypass: "you let this one go to the browser",
  post: "sent by POST: paxel cannot replay it",
  "blob-url": "a blob: URL lives only in the page",
  "data-url": "a data: URL lives only in the page",
  "filesystem-url": "a filesystem: URL lives only in the browser",
  scheme: "not an http(s) URL",
  "bad-url": "not a URL",
  "private-window": "private window (not enabled in the options)",
  "skipped-site": "site on the skip list",
  "excluded-type": "file type excluded",
  "not-included-type": "file type not in the list",
  "below-minimum-size": "below the minimum size",
  "no-permission": "no permission for this site (cookies unreadable)",
  "host-missing": "paxel is not installed for this browser",
  "host-forbidden": "paxel's host refuses this extension",
  "host-failed": "paxel did not answer",
  refused: "paxel refused it",
  declined: "declined",
  timeout: "declined: paxel did not take it within 10 s",
  "host-outdated": "paxel is too old to take downloads safely: update paxel",
  "browser-first": "the browser finished first (paxel let go)",
});

/** The trace with `decision` added in front, cut to TRACE_SIZE; bad input leaves it as it was. */
export function addDecision(trace, decision) {
  const kept = Array.isArray(trace) ? trace : [];
  if (!decision || (decision.to !== "paxel" && decision.to !== "browser") || typeof decision.reason !== "string") return kept;
  return [decision, ...kept].slice(0, TRACE_SIZE);
}

/** The reason code for a failure to hand over (a HostError's code, or anything thrown). */
export function failureReason(err) {
  switch (err?.code) {
    case "not_installed":
    case "NOT_INSTALLED": // a host started before `paxel uninstall`
      return "host-missing";
    case "forbidden":
      return "host-forbidden";
    case "failed":
    case "timeout":
    case "SERVICE_UNAVAILABLE":
      return "host-failed";
    default:
      return "refused";
  }
}

/** One line for the popup: "browser: below the minimum size" / "paxel: rules matched (…)" */
export function describeDecision(decision) {
  const why = REASONS[decision.reason] ?? decision.reason;
  const detail = decision.detail ? `: ${decision.detail}` : "";
  let request = "";
  if (decision.to === "paxel" && decision.request === "seen") request = " (the browser's own request headers)";
  else if (decision.to === "paxel" && decision.request === "cookies") request = " (request not seen: cookies from the cookie store)";
  return `${decision.to}: ${why}${detail}${request}`;
}
