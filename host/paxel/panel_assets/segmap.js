// The panel's segment map: one block per connection at its byte offset, each connection's speed
// over the last couple of seconds from the progress events (listing.js segmentRates), and a slow
// one (under half the others' median, and so until it reaches two thirds: listing.js
// slowSegments) drawn red, with its speed as tooltip and the count in words for a screen reader.
// Used by panel.js.
"use strict";

(function () {
  const fmt = window.paxelFormat;
  const L = window.paxelListing;
  function node(tag, className) {
    const n = document.createElement(tag);
    n.className = className;
    return n;
  }
  // download_id -> {history: [{at, segments}] of the last RATE_WINDOW s, rates, slow marks,
  // slowStarts}: each connection's speed over a couple of seconds (nginx and CDNs send in bursts:
  // a quarter second says little)
  const segmentState = new Map();
  const RATE_WINDOW = 2;

  // Each connection's speed from the bytes its segment gained over the last RATE_WINDOW seconds.
  function track(view, now) {
    if (!view || !Array.isArray(view.segments)) return;
    const known = segmentState.get(view.download_id);
    const history = (known ? known.history : []).filter((h) => now - h.at <= RATE_WINDOW + 0.5);
    const rates = L.segmentRates(history[0] || null, view, now);
    // last time's marks by start offset (a split keeps its start), so a mark does not flicker
    const wasSlow = new Set(known ? known.slowStarts : []);
    const marked = view.segments.map(([start]) => wasSlow.has(start));
    // judged over a whole window only: a download's first second says little (nginx's first
    // bursts), and a mark set from it went off again a moment later
    const whole = history.length > 0 && now - history[0].at >= RATE_WINDOW;
    const slow = whole ? L.slowSegments(rates, marked) : marked;
    const slowStarts = view.segments.filter((_, i) => slow[i]).map(([start]) => start);
    history.push({ at: now, segments: view.segments });
    segmentState.set(view.download_id, { history, segments: view.segments, rates, slow, slowStarts });
  }

  // One block per connection over the file; a slow one (half the others' median) in red,
  // each with its speed as tooltip, and what the map shows in words for a screen reader.
  function update(container, view) {
    const blocks = view.state === "running" ? fmt.segmentBlocks(view) : [];
    const state = segmentState.get(view.download_id);
    const current = state && state.segments === view.segments;
    const rates = current ? state.rates : [];
    const slow = current ? state.slow : [];
    while (container.children.length > blocks.length) container.lastChild.remove();
    while (container.children.length < blocks.length) {
      const seg = node("div", "segment");
      seg.append(node("div", "done"));
      container.append(seg);
    }
    blocks.forEach((b, i) => {
      const seg = container.children[i];
      seg.style.left = `${b.left}%`;
      seg.style.width = `${b.width}%`;
      seg.firstChild.style.width = `${b.fill}%`;
      seg.dataset.slow = String(slow[i] === true);
      const speed = typeof rates[i] === "number" ? fmt.formatSpeed(rates[i]) || "0 B/s" : "";
      seg.title = `connection ${i + 1}${speed ? `: ${speed}` : ""}${slow[i] ? " (slow)" : ""}`;
    });
    container.hidden = blocks.length === 0;
    const slowCount = slow.filter(Boolean).length;
    container.dataset.slow = String(slowCount);
    container.setAttribute("aria-label", blocks.length ? L.segmentMapLabel(view.segments, slow) : "");
    return slowCount;
  }

  window.paxelSegmentMap = { track, update, forget: (id) => segmentState.delete(id), state: segmentState };
})();
