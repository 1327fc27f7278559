// The panel's overview of the queues: each queue's downloads at once, running and waiting, its
// window now and its next change in local time, and the speed limit over all downloads that
// holds now (listing.js queueOverview makes the words). From the `queues` request
// (pywebview.api.queues): controls.js asks it at start and when the settings change and hands
// the answer here; it is asked again here when a download changes state (0.3 s later, once for
// the events meanwhile) and when a window opens or closes (the reply says when; at least every
// 30 s, as a time-of-day speed limit changes the limit without an event; within a second when
// the service's answer lagged the window's change, and after a failed answer too: queueRecheck).
"use strict";

(function () {
  const L = window.paxelListing;
  const fmt = window.paxelFormat;
  const section = document.getElementById("queue-overview");
  const rows = document.getElementById("queue-overview-rows");
  const limit = document.getElementById("queue-overview-limit");
  let next = null; // the timer for the next window change
  let soon = null; // the timer of a burst of state changes

  function cell(tag, text) {
    const c = document.createElement(tag);
    c.textContent = text;
    if (tag === "th") c.scope = "row";
    return c;
  }

  /** Draw the `queues` reply ({ok, queues, max_speed, …}); a failed one leaves what was shown
   * (greyed while the service is away) and is asked again later all the same. */
  function show(reply) {
    const now = Date.now() / 1000;
    clearTimeout(next);
    next = setTimeout(refresh, L.queueRecheck(reply, now) * 1000);
    if (!reply || !reply.ok) return;
    const overview = L.queueOverview(fmt, reply, now);
    section.hidden = overview.quiet;
    limit.textContent = `Speed limit now: ${overview.limit}.`;
    rows.replaceChildren(...overview.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = row.name;
      tr.dataset.open = String(row.open);
      tr.append(cell("th", row.name), cell("td", row.atOnce), cell("td", row.running), cell("td", row.waiting), cell("td", row.window));
      return tr;
    }));
  }

  async function refresh() {
    const api = window.pywebview && window.pywebview.api;
    if (!api || !api.queues) return;
    let reply = null;
    try {
      reply = await api.queues();
    } catch {
      // the bridge failed: shown as a failed reply, asked again later
    }
    show(reply);
  }

  /** A download's state changed: its queue's counts did too (asked at most every 0.3 s, and
   * never put off by a steady stream of events). */
  function changed() {
    soon ??= setTimeout(() => {
      soon = null;
      refresh();
    }, 300);
  }

  window.paxelQueueView = { show, changed };
})();
