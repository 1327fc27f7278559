// The panel page: keeps every download the service reported, renders active and history lists,
// and turns button presses into `pywebview.api.act(action, id)` calls. Events come in through
// `window.paxel.onEvent(event)`, pushed by the panel process (paxel/panel/app.py).
"use strict";

(function () {
  const fmt = window.paxelFormat;
  const downloads = new Map(); // download_id -> DownloadView
  const rows = new Map(); // download_id -> <li>
  let lifecycle = null; // the service's lifecycle table (snapshot): buttons and active states
  const el = (id) => document.getElementById(id);

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
      case "progress":
        (data.downloads || []).forEach(upsertProgress);
        break;
      case "removed":
        downloads.delete(data.download_id);
        break;
      case "disconnected":
        showBanner("The paxel service stopped. Downloads resume when it is started again.");
        break;
      default:
        upsert(data.download);
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
    top.append(node("span", "name"), node("span", "state"));
    const bar = node("div", "bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.append(node("div", "fill"));
    const meta = node("div", "meta");
    meta.append(node("span", "size"), node("span", "speed"), node("span", "eta"));
    li.append(top, bar, node("div", "segments"), meta, node("div", "error"), node("div", "actions"));
    return li;
  }

  function updateSegments(container, view) {
    const blocks = fmt.isActive(lifecycle, view) ? fmt.segmentBlocks(view) : [];
    while (container.children.length > blocks.length) container.lastChild.remove();
    while (container.children.length < blocks.length) {
      const seg = node("div", "segment");
      seg.append(node("div", "segment-fill"));
      container.append(seg);
    }
    blocks.forEach((b, i) => {
      const seg = container.children[i];
      seg.style.left = `${b.left}%`;
      seg.style.width = `${b.width}%`;
      seg.firstChild.style.width = `${b.fill}%`;
    });
    container.hidden = blocks.length === 0;
    container.title = blocks.length ? `${blocks.length} segments` : "";
  }

  function updateActions(container, view) {
    const wanted = fmt.actionsFor(lifecycle, view.state).join(",");
    if (container.dataset.actions === wanted) return; // keep buttons stable so clicks are not lost
    container.dataset.actions = wanted;
    container.replaceChildren(
      ...fmt.actionsFor(lifecycle, view.state).map((action) => {
        const b = node("button", `action ${action}`, fmt.LABELS[action]);
        b.type = "button";
        b.dataset.action = action;
        return b;
      }),
    );
  }

  function updateRow(li, view) {
    li.dataset.state = view.state;
    const name = li.querySelector(".name");
    name.textContent = view.filename || view.url;
    name.title = view.path || view.url;
    li.querySelector(".state").textContent = view.state;
    const f = fmt.fraction(view);
    const bar = li.querySelector(".bar");
    bar.classList.toggle("indeterminate", f === null);
    bar.setAttribute("aria-valuenow", f === null ? "" : String(Math.floor(f * 100)));
    li.querySelector(".fill").style.width = `${f === null ? 100 : f * 100}%`;
    bar.hidden = !fmt.isActive(lifecycle, view);
    updateSegments(li.querySelector(".segments"), view);
    li.querySelector(".size").textContent = fmt.sizeText(view, fmt.isActive(lifecycle, view));
    const running = view.state === "running";
    li.querySelector(".speed").textContent = running ? fmt.formatSpeed(view.speed) : "";
    li.querySelector(".eta").textContent = running ? fmt.formatEta(view.eta) : "";
    const gone = view.state === "missing" ? "The file was deleted or moved away." : "";
    li.querySelector(".error").textContent = view.error ? view.error.message : gone;
    updateActions(li.querySelector(".actions"), view);
  }

  function render() {
    const all = [...downloads.values()];
    const active = all.filter((v) => fmt.isActive(lifecycle, v)).sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    const history = all
      .filter((v) => !fmt.isActive(lifecycle, v))
      .sort((a, b) => (b.finished_at || b.created_at || 0) - (a.finished_at || a.created_at || 0));
    for (const [id, li] of rows) {
      if (!downloads.has(id)) {
        li.remove();
        rows.delete(id);
      }
    }
    placeRows(el("active"), active);
    placeRows(el("history"), history);
    el("active-empty").hidden = active.length > 0;
    el("history-empty").hidden = history.length > 0;
    const running = active.filter((v) => v.state === "running");
    const speed = running.reduce((sum, v) => sum + (v.speed || 0), 0);
    el("summary").textContent = active.length
      ? `${active.length} active${speed > 0 ? ` · ${fmt.formatSpeed(speed)}` : ""}`
      : "idle";
  }

  function placeRows(list, views) {
    views.forEach((view, i) => {
      let li = rows.get(view.download_id);
      if (!li) {
        li = buildRow(view.download_id);
        rows.set(view.download_id, li);
      }
      updateRow(li, view);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
  }

  async function onClick(event) {
    const button = event.target.closest("button.action");
    if (!button) return;
    const id = button.closest("li.download").dataset.id;
    button.disabled = true;
    try {
      const reply = await window.pywebview.api.act(button.dataset.action, id);
      if (!reply.ok) showBanner(reply.error.message);
      else if (button.dataset.action === "remove") downloads.delete(id);
      else upsert(reply.download);
      render();
    } catch (err) {
      showBanner(String(err));
    } finally {
      button.disabled = false;
    }
  }

  async function start() {
    const reply = await window.pywebview.api.snapshot();
    if (reply.ok) {
      lifecycle = reply.lifecycle || null;
      reply.downloads.forEach(upsert);
      showBanner("");
    } else {
      showBanner(reply.error.message);
    }
    early.splice(0).forEach(apply);
    render();
    window.paxel.ready = true;
  }

  window.paxel = { onEvent, ready: false, downloads };
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "w") window.pywebview.api.close();
  });
  if (window.pywebview && window.pywebview.api && window.pywebview.api.snapshot) start();
  else window.addEventListener("pywebviewready", start, { once: true });
})();
