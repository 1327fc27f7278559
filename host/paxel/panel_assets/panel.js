// The panel page: keeps every download the service reported, renders active and history lists,
// and turns button presses into `pywebview.api.act(action, id)` calls. Events come in through
// `window.paxel.onEvent(event)`, pushed by the panel process (paxel/panel/app.py).
"use strict";

(function () {
  const fmt = window.paxelFormat;
  const L = window.paxelListing;
  const segmap = window.paxelSegmentMap;
  const downloads = new Map(); // download_id -> DownloadView
  let samples = {}; // download_id (and "total") -> [[t, speed]] from the progress events received
  const rows = new Map(); // download_id -> <li>
  let lifecycle = null; // the service's lifecycle table (snapshot): buttons and active states
  const el = (id) => document.getElementById(id);
  const { buildRow, updateRow, node } = window.paxelRows;

  function upsert(view) {
    if (view && typeof view.download_id === "string") downloads.set(view.download_id, view);
  }

  // `progress` only lists active downloads, so one naming a download we already know finished was
  // sent before the snapshot that told us so: stale, skip it.
  function upsertProgress(view) {
    const known = view && downloads.get(view.download_id);
    if (!known || fmt.isActive(lifecycle, known)) upsert(view);
  }

  // The pump starts once the snapshot has left Python, so an event can reach the page before the
  // snapshot reply does: applied first, it would be overwritten by the older snapshot. Such events
  // wait here and are replayed, in order, on top of the snapshot.
  const early = [];

  function onEvent(event) {
    if (!window.paxel.ready) {
      early.push(event);
      return;
    }
    apply(event);
    render();
    if (event.event !== "progress") window.paxelQueueView.changed(); // a state came or went: the queues' counts
  }

  function apply(event) {
    const data = event.data || {};
    switch (event.event) {
      case "progress": {
        const now = Date.now() / 1000;
        (data.downloads || []).forEach(upsertProgress);
        (data.downloads || []).forEach((view) => segmap.track(view, now));
        samples = fmt.addSamples(samples, data.downloads || [], now);
        break;
      }
      case "removed":
        downloads.delete(data.download_id);
        break;
      case "settings": // queues may have come or gone; the settings view shows the new ones
        window.paxelControls.loadQueues();
        window.paxelSetup.changed(data.settings);
        break;
      case "disconnected":
        setConnected(false);
        showBanner("The paxel service stopped — reconnecting as soon as it is back. What you see may be out of date.");
        break;
      case "reconnected":
        // Events were missed meanwhile: the service's list replaces everything we had.
        if (data.ok) {
          lifecycle = data.lifecycle || lifecycle;
          window.paxelAdd.learn(data.service);
          downloads.clear();
          (data.downloads || []).forEach(upsert);
          setConnected(true);
          showBanner("");
        }
        break;
      default:
        upsert(data.download);
    }
  }

  // Not connected: every row may be stale, so the lists are greyed out and say so.
  function setConnected(connected) {
    document.body.dataset.connected = String(connected);
    for (const list of [el("active"), el("history")]) {
      list.setAttribute("aria-disabled", String(!connected));
      list.title = connected ? "" : "Not connected to the paxel service: this may be out of date.";
    }
  }

  function showBanner(text) {
    const banner = el("banner");
    banner.textContent = text;
    banner.hidden = !text;
  }

  function render() {
    if (holding()) return; // not under a held press: drawn when it ends (presshold.js)
    // Moving a row in the DOM (it changed place or list) takes the keyboard focus away from it.
    const focused = document.activeElement;
    draw();
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  function draw() {
    const all = [...downloads.values()];
    const active = all.filter((v) => fmt.isActive(lifecycle, v)).sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    const query = el("history-search").value;
    const filter = el("history-filter").value || "all";
    const ended = all.filter((v) => !fmt.isActive(lifecycle, v));
    const history = ended
      .filter((v) => L.matches(v, fmt.displayName(v), query, filter))
      .sort((a, b) => (b.finished_at || b.created_at || 0) - (a.finished_at || a.created_at || 0));
    const shown = new Set([...active, ...history].map((v) => v.download_id));
    for (const [id, li] of rows) {
      if (!shown.has(id)) {
        li.remove();
        rows.delete(id);
      }
      if (!downloads.has(id)) segmap.forget(id);
    }
    const positions = L.queuePositions(active);
    placeRows(el("active"), active, positions);
    placeRows(el("history"), history, positions);
    el("active-empty").hidden = active.length > 0;
    el("history-empty").hidden = history.length > 0;
    el("history-empty").textContent = ended.length ? "Nothing in the history matches." : "Finished downloads appear here.";
    refreshKeys();
    // Totals and speeds from a stopped service would be made up: say what is known.
    const connected = document.body.dataset.connected !== "false";
    el("summary").textContent = connected ? fmt.summaryText(lifecycle, all) : "not connected";
    const total = connected ? fmt.sparkPath(samples.total, 240, 32, Date.now() / 1000) : "";
    el("total-graph").firstChild.setAttribute("d", total);
    el("total-graph").style.visibility = total ? "visible" : "hidden";
    for (const button of document.querySelectorAll("button.bulk")) {
      button.disabled = !connected || fmt.bulkRequests(lifecycle, all, button.dataset.bulk).length === 0;
    }
  }

  function placeRows(list, views, positions) {
    views.forEach((view, i) => {
      let li = rows.get(view.download_id);
      if (!li) {
        li = buildRow(view.download_id);
        rows.set(view.download_id, li);
      }
      updateRow(li, view, positions.get(view.download_id), lifecycle, samples);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
  }

  // Pause all / Resume all / Clear finished: the lifecycle action on each download it applies to.
  async function onBulk(button) {
    const spec = fmt.BULK[button.dataset.bulk];
    button.disabled = true;
    const failures = [];
    for (const { download_id: id } of fmt.bulkRequests(lifecycle, [...downloads.values()], button.dataset.bulk)) {
      const reply = await window.pywebview.api.act(spec.action, id);
      if (!reply.ok) failures.push(reply.error.message);
      else if (spec.action === "remove") downloads.delete(id);
      else upsert(reply.download);
    }
    showBanner(failures.length ? `${spec.label}: ${failures[0]}` : "");
    render();
  }

  async function onClick(event) {
    const bulk = event.target.closest("button.bulk");
    if (bulk) {
      onBulk(bulk);
      return;
    }
    const button = event.target.closest("button.action");
    if (!button) return;
    const li = button.closest("li.download");
    const id = li.dataset.id;
    if (button.classList.contains("link")) {
      window.paxelControls.linkAction(button, downloads.get(id));
      return;
    }
    // A key pressed on the button: its row's buttons change (Resume becomes Pause) and the
    // pressed one goes, taking the focus to <body>; it goes to the button now in its place.
    const place = document.activeElement === button ? [...button.parentNode.children].indexOf(button) : -1;
    button.disabled = true;
    try {
      const reply = await window.pywebview.api.act(button.dataset.action, id);
      if (!reply.ok) showBanner(reply.error.message);
      else if (button.dataset.action === "remove") downloads.delete(id);
      else upsert(reply.download);
      if (reply.ok && button.dataset.action === "refresh") await window.paxelControls.afterRefresh(reply);
      render();
    } catch (err) {
      showBanner(String(err));
    } finally {
      button.disabled = false;
      const lost = !document.activeElement || document.activeElement === document.body;
      const buttons = li.querySelector(".actions").children;
      if (place >= 0 && lost && li.isConnected && buttons.length) buttons[Math.min(place, buttons.length - 1)].focus();
    }
  }

  async function start() {
    const reply = await window.pywebview.api.snapshot();
    if (reply.ok) {
      lifecycle = reply.lifecycle || null;
      window.paxelAdd.learn(reply.service);
      window.paxelControls.loadQueues();
      el("global-limit").value = L.fieldFromSpeed(reply.service && reply.service.max_speed);
      reply.downloads.forEach(upsert);
      setConnected(true);
      showBanner("");
    } else {
      setConnected(false);
      showBanner(reply.error.message);
    }
    early.splice(0).forEach(apply);
    render();
    window.paxel.ready = true;
  }

  // History: search and filter (listing.js), redrawn as the user types.
  const filterSelect = el("history-filter");
  filterSelect.replaceChildren(...Object.entries(L.HISTORY_FILTERS).map(([key, spec]) => {
    const option = node("option", "", spec.label);
    option.value = key;
    return option;
  }));
  for (const control of [el("history-search"), filterSelect]) {
    control.addEventListener("input", () => { if (window.paxel.ready) render(); });
  }
  const holding = window.paxelPressHold.attach(window, [el("active"), el("history")], render);
  const refreshKeys = window.paxelRowKeys.attach(document, {
    rows: () => [...document.querySelectorAll("li.download")],
    search: el("history-search"),
  });

  // A download the Add box (or a control) just asked for: shown at once (its events follow).
  function added(view) {
    if (view) upsert(view);
    render();
  }

  window.paxel = { onEvent, ready: false, downloads, samples: () => samples, added, update: added, banner: showBanner, segments: segmap.state,
    lifecycle: () => lifecycle };
  document.addEventListener("click", onClick);
  // Names fit the new width: the window's, or the lists' when a scrollbar comes or goes.
  const refit = new ResizeObserver(() => { if (window.paxel.ready) render(); });
  for (const list of [el("active"), el("history")]) refit.observe(list);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "w") window.pywebview.api.close();
  });
  if (window.pywebview && window.pywebview.api && window.pywebview.api.snapshot) start();
  else window.addEventListener("pywebviewready", start, { once: true });
})();
