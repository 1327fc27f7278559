// The panel's controls that change how downloads run rather than what they are: speed limits
// (the toolbar's for all downloads, a row's for its own). They talk to the service through
// `pywebview.api` and hand what it answers to panel.js (`window.paxel.update`).
"use strict";

(function () {
  const L = window.paxelListing;

  // Speed limits: the toolbar's for all downloads, a row's for its own; sent when the field
  // changes (Enter or leaving it), the error next to the field in its unit.
  async function setLimit(input, errorNode, downloadId) {
    const parsed = L.speedFromField(input.value);
    errorNode.textContent = parsed.error || "";
    input.setAttribute("aria-invalid", String(!!parsed.error));
    if (parsed.error) return;
    const reply = await window.pywebview.api.limit(downloadId, parsed.max_speed);
    if (!reply.ok) {
      errorNode.textContent = `Speed limit: ${reply.error.message}`;
      return;
    }
    delete input.dataset.dirty;
    input.value = L.fieldFromSpeed(reply.download ? reply.download.max_speed : reply.max_speed);
    if (reply.download) window.paxel.update(reply.download);
  }
  document.addEventListener("input", (event) => {
    if (event.target.classList && event.target.classList.contains("speed")) event.target.dataset.dirty = "1";
  });
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.classList || !input.classList.contains("speed")) return;
    const li = input.closest("li.download");
    if (li) setLimit(input, li.querySelector(".limit + .field-error"), li.dataset.id);
    else setLimit(input, document.getElementById("global-limit-error"), null);
  });

})();
