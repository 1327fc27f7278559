// Expired links, the extension's pure part (docs/protocol.md "Expired links"): what `refresh`'s
// answer asks the user to do, and how to let go of a download paxel took too late. The service
// decides which download a new click continues; the extension only sends the click as a `take`.
import { urlRefusal } from "./urls.js";

export const CLICK_AGAIN = "The link of this download expired. Click the download link on its page again: paxel continues where it stopped.";

/**
 * What to do after `refresh`: {open: url} (the download's page, http/https only) or
 * {say: text} when there is no page to open.
 */
export function afterRefresh(result) {
  const page = result?.page;
  if (typeof page === "string" && page && urlRefusal(page) === null) return { open: page };
  return { say: CLICK_AGAIN };
}

/**
 * What "Open page" opens for a download (the popup, a failure's notification): the page the link
 * was found on, else the link itself, http(s) only: a page that says javascript:, file: or data:
 * (a referrer is whatever the sender put there) is never opened. null when neither is a web link.
 */
export function pageToOpen(view) {
  for (const url of [view?.page, view?.url]) {
    if (typeof url === "string" && url && urlRefusal(url) === null) return url;
  }
  return null;
}

/**
 * The request that lets go of a download paxel took after the browser kept its own copy (the
 * deadline passed, or Firefox finished first). A new download goes whole (`remove` with its
 * file); one that continues an earlier download (`attached`) is only paused: removing it would
 * delete the bytes it had before this click. One that was running already when the click came
 * (`already`: the service answers a second click on a file it is downloading with that
 * download) is left alone: nothing of it was this click's.
 */
export function letGo(outcome) {
  const id = outcome?.download?.download_id;
  if (typeof id !== "string" || !id) return null;
  if (outcome.attached === true && outcome.already === true) return null;
  return outcome.attached === true
    ? { type: "pause", download_id: id }
    : { type: "remove", download_id: id, delete_file: true };
}
