// Part of paxel's one formatter (lib/format.js): speed over time, from the samples the service
// sent, as an SVG path. Pure: no DOM, no browser API. A classic script and an ES module at once
// (see units.js); adds to `globalThis.paxelFormat`.
"use strict";

(function (root) {
  const GRAPH_SECONDS = 60; // how much history a graph shows

  /**
   * Add the speeds of one `progress` event (at `now`, seconds) to `samples` (id -> [[t, speed]],
   * plus "total" for the sum), dropping what is older than the graph shows. Returns a new object.
   */
  function addSamples(samples, views, now) {
    const next = {};
    const keep = (list) => (list || []).filter(([t]) => now - t <= GRAPH_SECONDS);
    for (const [id, list] of Object.entries(samples || {})) next[id] = keep(list);
    let total = 0;
    for (const v of views) {
      if (v.state !== "running") continue;
      const speed = Number(v.speed) > 0 ? Number(v.speed) : 0;
      total += speed;
      next[v.download_id] = [...(next[v.download_id] || []), [now, speed]];
    }
    next.total = [...(next.total || []), [now, total]];
    return next;
  }

  /**
   * An SVG path for `points` ([[t, speed]]) in a width x height box: time left to right up to
   * `now` (over the samples there are, 5 s at least and GRAPH_SECONDS at most, so a graph fills
   * its box soon after a window opens), speed bottom to top up to the highest sample. "" for
   * fewer than two points or nothing but zeros (a flat line would say nothing).
   */
  function sparkPath(points, width, height, now) {
    if (!Array.isArray(points) || points.length < 2) return "";
    const top = Math.max(...points.map(([, v]) => v));
    if (!(top > 0)) return "";
    const span = Math.min(GRAPH_SECONDS, Math.max(5, now - points[0][0]));
    const x = (t) => Math.max(0, width - ((now - t) / span) * width);
    const y = (v) => height - (v / top) * (height - 1);
    return points.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  }

  Object.assign((root.paxelFormat ??= {}), { GRAPH_SECONDS, addSamples, sparkPath });
})(globalThis);
