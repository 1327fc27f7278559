// One download's row in the panel: built once (buildRow), then brought up to date from the
// service's view of it on every render (updateRow): name cut to fit, state, bars, segment map,
// speed graph, place in line, its own limit field, error advice and the lifecycle's buttons.
// panel.js owns the state (downloads, samples, the lifecycle table) and passes what a row needs.
"use strict";

(function () {
  const fmt = window.paxelFormat;
  const L = window.paxelListing;
  const segmap = window.paxelSegmentMap;
  const SVG = "http://www.w3.org/2000/svg";
  const GRAPH_W = 240;
  const GRAPH_H = 24;
  const NAME_WIDTH = 60; // characters of a name before it is cut in the middle (tooltip: all of it)

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
  function buttonsFor(lifecycle, view) {
    const advice = fmt.advice(view);
    const hidden = new Set(advice ? advice.hide : []);
    const links = (advice ? advice.links : []).map((action) => ({ action, label: fmt.LINK_LABELS[action], link: true }));
    return links.concat(fmt.actionsFor(lifecycle, view.state).filter((a) => !hidden.has(a.action)));
  }

  function updateActions(container, lifecycle, view, name) {
    const buttons = buttonsFor(lifecycle, view);
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

  // `lifecycle`: the service's table (buttons, active states); `samples`: speeds for the graph.
  function updateRow(li, view, position, lifecycle, samples) {
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
    updateActions(li.querySelector(".actions"), lifecycle, view, full);
    li.setAttribute("aria-label", L.rowLabel(fmt, view, Date.now() / 1000));
  }

  window.paxelRows = Object.freeze({ buildRow, updateRow, node });
})();
