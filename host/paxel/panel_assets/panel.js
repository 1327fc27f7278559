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
  const SVG = "http://www.w3.org/2000/svg";
  const GRAPH_W = 240;
  const GRAPH_H = 24;
  const NAME_WIDTH = 60; // characters of a name before it is cut in the middle (tooltip: all of it)

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
      case "settings": // queues may have come or gone
        window.paxelControls.loadQueues();
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

  function node(tag, className, text) {
    const n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function buildRow(id) {
    const li = node("li", "download");
    li.dataset.id = id;
    const top = node("div", "top");
    const title = node("div", "title");
    title.append(node("span", "name"), node("span", "site"));
    const icon = node("span", "kind");
    icon.setAttribute("aria-hidden", "true");
    top.append(icon, title, node("span", "state"));
    const bar = node("div", "bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-label", "progress");
    bar.append(node("div", "fill"));
    const meta = node("div", "meta");
    const pick = node("select", "queue-pick");
    pick.setAttribute("aria-label", "Queue");
    window.paxelControls.queueOptions(pick);
    meta.append(node("span", "queue"), node("span", "waiting"), pick, node("span", "size"), node("span", "speed"), node("span", "eta"),
      node("span", "retry"), node("span", "conns"), node("span", "when"));
    // Its own speed limit, changeable while it runs (MiB/s; empty: none).
    const limit = node("label", "limit");
    const input = node("input", "speed");
    Object.assign(input, { type: "text", inputMode: "decimal", placeholder: "none" });
    const error = node("span", "field-error");
    error.id = `limit-error-${id}`;
    input.setAttribute("aria-describedby", error.id);
    limit.append("Limit ", input, " MiB/s");
    meta.append(limit, error);
    const graph = document.createElementNS(SVG, "svg");
    graph.setAttribute("class", "graph");
    graph.setAttribute("viewBox", `0 0 ${GRAPH_W} ${GRAPH_H}`);
    graph.setAttribute("preserveAspectRatio", "none");
    graph.setAttribute("role", "img");
    graph.setAttribute("aria-label", "speed, last minute");
    graph.append(document.createElementNS(SVG, "path"));
    const segments = node("div", "segments");
    segments.setAttribute("role", "img");
    li.append(top, bar, segments, graph, meta, node("div", "error"), node("div", "duplicate"), node("div", "actions"));
    li.tabIndex = -1; // rowkeys.js puts one row in the tab order
    return li;
  }

  // The table's actions minus those the error says would only fail again, plus link actions.
  function buttonsFor(view) {
    const advice = fmt.advice(view);
    const hidden = new Set(advice ? advice.hide : []);
    const links = (advice ? advice.links : []).map((action) => ({ action, label: fmt.LINK_LABELS[action], link: true }));
    return links.concat(fmt.actionsFor(lifecycle, view.state).filter((a) => !hidden.has(a.action)));
  }

  function updateActions(container, view, name) {
    const buttons = buttonsFor(view);
    const wanted = buttons.map((b) => b.action).join(",");
    if (container.dataset.actions === wanted) {
      for (const b of container.children) b.setAttribute("aria-label", `${b.textContent} ${name}`);
      return; // keep buttons stable so clicks are not lost
    }
    container.dataset.actions = wanted;
    // the focused button goes with them (a key on Resume brings Pause): the focus goes to the
    // button in its place, not to <body> where the next key does nothing
    const focused = [...container.children].indexOf(document.activeElement);
    container.replaceChildren(
      ...buttons.map(({ action, label, link }) => {
        const b = node("button", `action ${action}${link ? " link" : ""}`, label);
        b.type = "button";
        b.dataset.action = action;
        b.setAttribute("aria-label", `${label} ${name}`);
        return b;
      }),
    );
    const next = container.children[Math.min(focused, container.children.length - 1)];
    if (focused >= 0 && next) next.focus({ preventScroll: true });
  }

  // Cut the name in the middle to what its element shows (whole in the tooltip); measured again
  // only when the name or the width changed, not on every progress event.
  function fitName(nameEl, full) {
    const key = `${nameEl.clientWidth}|${full}`;
    if (nameEl.dataset.fitted === key) return;
    if (!nameEl.clientWidth) {
      nameEl.textContent = fmt.shortenMiddle(full, NAME_WIDTH);
      return;
    }
    nameEl.textContent = fmt.fitMiddle(full, (text) => {
      nameEl.textContent = text;
      // the text's own width, unrounded (scrollWidth rounds a 0.4 px overflow away)
      const range = document.createRange();
      range.selectNodeContents(nameEl);
      return range.getBoundingClientRect().width <= nameEl.clientWidth;
    });
    nameEl.dataset.fitted = key;
  }

  function updateRow(li, view, position) {
    li.dataset.state = view.state;
    li.dataset.phase = view.phase || "";
    const name = li.querySelector(".name");
    const full = fmt.displayName(view);
    fitName(name, full);
    const fileKind = fmt.fileKind(full);
    const icon = li.querySelector(".kind");
    icon.dataset.kind = fileKind.kind;
    icon.textContent = fileKind.label;
    name.title = view.path || full;
    li.querySelector(".site").textContent = fmt.siteOf(view);
    li.querySelector(".state").textContent = fmt.stateText(view);
    const kind = fmt.barKind(view);
    const f = fmt.fraction(view);
    const bar = li.querySelector(".bar");
    bar.hidden = kind === null;
    bar.classList.toggle("indeterminate", kind === "indeterminate");
    // ARIA: a bar of unknown progress has no aria-valuenow at all ("" reads as 0 % to some)
    if (kind === "determinate") bar.setAttribute("aria-valuenow", String(Math.floor(f * 100)));
    else bar.removeAttribute("aria-valuenow");
    li.querySelector(".fill").style.width = kind === "determinate" ? `${f * 100}%` : "";
    const slowCount = segmap.update(li.querySelector(".segments"), view);
    const graph = li.querySelector(".graph");
    const path = view.state === "running" ? fmt.sparkPath(samples[view.download_id], GRAPH_W, GRAPH_H, Date.now() / 1000) : "";
    graph.firstChild.setAttribute("d", path);
    graph.style.display = path ? "" : "none";
    li.querySelector(".queue").textContent = view.state === "queued" ? L.queueText(position, view.queue) : "";
    li.querySelector(".waiting").textContent = L.waitingText(fmt, view, Date.now() / 1000);
    window.paxelControls.showQueue(li.querySelector(".queue-pick"), view);
    window.paxelControls.showDuplicate(li.querySelector(".duplicate"), view);
    li.querySelector(".size").textContent = fmt.sizeText(view);
    const running = view.state === "running";
    li.querySelector(".speed").textContent = running ? fmt.formatSpeed(view.speed) : "";
    li.querySelector(".eta").textContent = running ? fmt.formatEta(view.eta) : "";
    li.querySelector(".retry").textContent = fmt.retryText(view, Date.now() / 1000);
    li.querySelector(".conns").textContent = running && view.connections
      ? `${view.connections} connection${view.connections === 1 ? "" : "s"}${slowCount ? `, ${slowCount} slow` : ""}` : "";
    li.querySelector(".when").textContent = fmt.whenText(view, Date.now() / 1000);
    const limit = li.querySelector(".limit");
    limit.hidden = !fmt.isActive(lifecycle, view);
    const speedInput = limit.querySelector("input");
    speedInput.setAttribute("aria-label", `Speed limit for ${full}, MiB/s`);
    if (document.activeElement !== speedInput && !speedInput.dataset.dirty) speedInput.value = L.fieldFromSpeed(view.max_speed);
    const advice = fmt.advice(view);
    const gone = view.state === "missing" ? "The file was deleted or moved away." : "";
    li.querySelector(".error").textContent = advice ? advice.text : gone;
    updateActions(li.querySelector(".actions"), view, full);
    li.setAttribute("aria-label", L.rowLabel(fmt, view, Date.now() / 1000));
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
      updateRow(li, view, positions.get(view.download_id));
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
