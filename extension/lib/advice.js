// Part of paxel's one formatter (lib/format.js): a failed download's error in words, what to do
// about it, and which buttons would only fail again. Pure: no DOM, no browser API. A classic
// script and an ES module at once (see units.js); adds to `globalThis.paxelFormat`.
"use strict";

(function (root) {
  function statusOf(error) {
    const m = /answered (\d{3})\b/.exec(error && error.message ? error.message : "");
    return m ? Number(m[1]) : null;
  }

  // The engine's message names the URL; the row already shows the name and site.
  function withoutUrl(message, view) {
    let text = String(message || "");
    for (const url of [view.final_url, view.url]) if (url) text = text.split(url).join("the server");
    return text;
  }

  // Errors a new link cannot mend (network, disk, a failing server…): no "Refresh link" there.
  const NO_NEW_LINK = Object.freeze(["refresh"]);

  /**
   * What a failed download's row says and offers: {text, hide: [lifecycle actions that would
   * only fail again], links: [link actions that help]}. null when there is no error.
   */
  function advice(view) {
    const error = view.error;
    if (!error) return null;
    const status = statusOf(error);
    const expired = { hide: ["retry"], links: ["open_page", "copy_link"] };
    if (view.stop_reason === "link_expired") {
      // The .part is kept: a new link to the same file continues it (docs/protocol.md "Expired links").
      return { text: `The link expired (${status ?? "refused"}) — Refresh link opens its page: click the download there again and paxel continues where it stopped.`, hide: ["retry"], links: ["copy_link"] };
    }
    if (status === 404 || status === 410) {
      return { text: `The server says the file is gone (${status}) — the link may have expired: open its page and start the download there again.`, ...expired };
    }
    if (status === 401 || status === 403) {
      return { text: `The server refused access (${status}) — the login or cookies may have expired: open its page, sign in and download again.`, ...expired };
    }
    const tries = /gave up after (\d+) tries/.exec(error.message || "");
    if (status !== null && (status >= 500 || status === 429)) {
      return { text: `The server kept failing (${status})${tries ? ` after ${tries[1]} tries` : ""} — try again later.`, hide: NO_NEW_LINK, links: ["copy_link"] };
    }
    const what = withoutUrl(error.message, view);
    switch (error.name) {
      case "NETWORK":
        return { text: `The connection failed (${what}) — check the network, then retry.`, hide: NO_NEW_LINK, links: [] };
      case "DISK":
        return { text: `The file cannot be written: ${what} — free some space or choose another folder, then retry.`, hide: NO_NEW_LINK, links: [] };
      case "CHECKSUM_MISMATCH":
        return { text: "The file arrived damaged (its checksum does not match) — retry to fetch it again.", hide: NO_NEW_LINK, links: [] };
      case "SERVER_MISBEHAVED":
        return { text: `The server sent data paxel cannot trust (${what}) — retry; if it happens again, let the browser download it.`, hide: NO_NEW_LINK, links: ["copy_link"] };
      default:
        return { text: what, hide: NO_NEW_LINK, links: [] };
    }
  }

  Object.assign((root.paxelFormat ??= {}), { advice });
})(globalThis);
