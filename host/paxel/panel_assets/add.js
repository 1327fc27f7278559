// The panel's Add box: a link pasted into it (or anywhere on the page outside a field) or dropped
// on the window, with a folder (the service's roots) and a number of connections. Checked in the
// box's own words (listing.js addRequest), each error under its field; then one `download`
// request through `pywebview.api.add`. The new row arrives like any other, as an event.
"use strict";

(function () {
  const L = window.paxelListing;
  const form = document.getElementById("add");
  const url = document.getElementById("add-url");
  const folder = document.getElementById("add-folder");
  const connections = document.getElementById("add-connections");
  const submit = document.getElementById("add-submit");
  const fields = {
    url: [url, document.getElementById("add-url-error")],
    connections: [connections, document.getElementById("add-connections-error")],
  };
  const serviceError = document.getElementById("add-error");
  const showErrors = (errors) => window.paxelForms.showErrors(fields, errors);

  /** What the service told us in hello: its folders and default connections. */
  function learn(service) {
    if (!service) return;
    const roots = Array.isArray(service.roots) ? service.roots : [];
    const chosen = folder.value;
    window.paxelForms.setOptions(folder, roots.map((root) => [root, root]));
    folder.value = roots.includes(chosen) ? chosen : service.default_folder || roots[0] || "";
    const max = Number.isInteger(service.max_connections) ? service.max_connections : 32;
    connections.max = String(max);
    connections.placeholder = Number.isInteger(service.default_connections) ? `${service.default_connections} (default)` : "default";
  }

  async function add() {
    serviceError.textContent = "";
    const checked = L.addRequest({ url: url.value, folder: folder.value, connections: connections.value }, Number(connections.max) || 32);
    const queue = document.getElementById("add-queue");
    if (checked.request && !queue.closest("label").hidden && queue.value) checked.request.queue = queue.value;
    if (checked.errors) {
      showErrors(checked.errors);
      (checked.errors.url ? url : connections).focus();
      return;
    }
    showErrors({});
    submit.disabled = true;
    try {
      const reply = await window.pywebview.api.add(checked.request);
      if (!reply.ok) {
        serviceError.textContent = `Not added: ${reply.error.message}`;
        return;
      }
      url.value = "";
      if (reply.download) window.paxel.added(reply.download);
    } catch (err) {
      serviceError.textContent = `Not added: ${err}`;
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    add();
  });
  // A link pasted anywhere outside a field goes into the box (it is not added until Add).
  document.addEventListener("paste", (event) => {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    const links = L.linksFromText(event.clipboardData && event.clipboardData.getData("text/plain"));
    if (!links.length) return;
    event.preventDefault();
    url.value = links.join(" "); // all of them, so a paste of several says so (addRequest)
    showErrors(links.length > 1 ? L.addRequest({ url: url.value }).errors : {});
    url.focus();
  });
  // A link dropped on the window is added at once, with the box's folder and connections.
  document.addEventListener("dragover", (event) => {
    const types = [...((event.dataTransfer && event.dataTransfer.types) || [])];
    if (types.includes("text/uri-list") || types.includes("text/plain")) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      document.body.classList.add("dropping");
    }
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) document.body.classList.remove("dropping");
  });
  document.addEventListener("drop", (event) => {
    document.body.classList.remove("dropping");
    const data = event.dataTransfer;
    // text/uri-list and text/plain usually carry the same link(s): each counted once
    const links = data ? [...new Set(L.linksFromText(`${data.getData("text/uri-list")}\n${data.getData("text/plain")}`))] : [];
    event.preventDefault();
    if (!links.length) {
      showErrors({ url: "That was not a link: drop a link that starts with http:// or https://." });
      return;
    }
    url.value = links.join(" ");
    add();
  });

  window.paxelAdd = { learn, add };
})();
