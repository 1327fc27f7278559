// The panel's controls that change how downloads run rather than what they are: speed limits
// (the toolbar's for all downloads, a row's for its own), the queue a download is in (a picker
// per row, shown once there are named queues), and the answer to a duplicate paxel holds. They
// talk to the service through `pywebview.api` and hand what it answers to panel.js
// (`window.paxel.update`). Moving in a queue and Start now are the lifecycle's own buttons.
// Also the link actions of a failed row (Open page, Copy link) and what follows Refresh link.
"use strict";

(function () {
  const L = window.paxelListing;
  const fmt = window.paxelFormat;
  let queues = []; // [{name, max_concurrent, running, queued}] from the service, `main` first

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
    // all downloads' limit while a speed limit by time holds: the service keeps the typed one
    // for after it and answers with the rule's; say so instead of turning 8 into 1 in silence
    if (!reply.download && (reply.max_speed ?? null) !== (parsed.max_speed ?? null)) {
      const typed = L.fieldFromSpeed(parsed.max_speed);
      errorNode.textContent = `A speed limit by time holds now: ${input.value ? `${input.value} MiB/s` : "none"}`
        + ` (Queues, schedule and folders); ${typed ? `${typed} MiB/s` : "no limit"} applies when it ends.`;
    }
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

  // ---- queues ----

  function fill(select) {
    const chosen = select.value;
    window.paxelForms.setOptions(select, queues.map((q) => [q.name, q.name === "main" ? "main queue" : q.name]));
    if (queues.some((q) => q.name === chosen)) select.value = chosen;
  }

  /** The queue pickers' choices, asked anew at start and when the settings change. */
  async function loadQueues() {
    const reply = window.pywebview && window.pywebview.api.queues ? await window.pywebview.api.queues() : { ok: false };
    queues = reply.ok && Array.isArray(reply.queues) ? reply.queues : [];
    window.paxelQueueView.show(reply);
    const add = document.getElementById("add-queue");
    fill(add);
    add.closest("label").hidden = queues.length < 2;
    for (const select of document.querySelectorAll("select.queue-pick")) fill(select);
    if (window.paxel && window.paxel.ready) window.paxel.update(null);
  }

  /** A row's picker: its download's queue; hidden while there is only the main one. */
  function showQueue(select, view) {
    select.hidden = queues.length < 2;
    select.setAttribute("aria-label", `Queue of ${fmt.displayName(view)}`);
    if (document.activeElement !== select) select.value = view.queue || "main";
  }

  document.addEventListener("change", async (event) => {
    const select = event.target;
    if (!select.classList || !select.classList.contains("queue-pick")) return;
    const li = select.closest("li.download");
    const reply = await window.pywebview.api.assign(li.dataset.id, select.value);
    if (reply.ok) window.paxel.update(reply.download);
    else li.querySelector(".error").textContent = `Queue: ${reply.error.message}`;
  });

  // ---- a duplicate paxel holds until the user answers ----

  function showDuplicate(box, view) {
    const question = L.duplicateQuestion(fmt, view);
    const key = question ? `${question.text}|${question.choices.map((c) => c.choice)}` : "";
    if (box.dataset.key === key) return; // the same buttons: a click must not be lost
    box.dataset.key = key;
    box.hidden = !question;
    box.replaceChildren();
    if (!question) return;
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", `Duplicate: ${fmt.displayName(view)}`);
    const text = document.createElement("p");
    text.textContent = question.text;
    box.append(text, ...question.choices.map(({ choice, label }) => {
      const button = document.createElement("button");
      Object.assign(button, { type: "button", textContent: label, className: choice === "rename" ? "primary" : "" });
      button.dataset.choice = choice;
      return button;
    }));
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest(".duplicate button[data-choice]");
    if (!button) return;
    const li = button.closest("li.download");
    button.disabled = true;
    const reply = await window.pywebview.api.duplicate_answer(li.dataset.id, button.dataset.choice);
    button.disabled = false;
    if (reply.ok) window.paxel.update(reply.download || null);
    else li.querySelector(".error").textContent = `${button.textContent}: ${reply.error.message}`;
  });

  // Refresh link: the download waits for a new link to its file; the user finds one on its page
  // (opened in the browser, where a click on the link hands paxel the new link to continue).
  async function afterRefresh(reply) {
    const page = typeof reply.page === "string" && /^https?:\/\//i.test(reply.page) ? reply.page : "";
    const opened = page ? await window.pywebview.api.open_link(page) : { ok: false };
    window.paxel.banner(opened.ok
      ? "Its page is open in your browser: click the download link there again and paxel continues where it stopped."
      : "The link of this download expired. Click the download link on its page again: paxel continues where it stopped.");
  }

  // Open page / Copy link: work on the link itself, not on the download.
  async function linkAction(button, view) {
    if (!view) return;
    if (button.dataset.action === "open_page") {
      const reply = await window.pywebview.api.open_link(view.page || view.url);
      if (!reply.ok) window.paxel.banner(reply.error.message);
      return;
    }
    const area = document.createElement("textarea");
    area.value = view.url;
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    button.textContent = copied ? "Copied" : "Copy failed";
    setTimeout(() => { button.textContent = window.paxelFormat.LINK_LABELS.copy_link; }, 1500);
  }

  window.paxelControls = { loadQueues, queueOptions: fill, showQueue, showDuplicate, afterRefresh, linkAction };
})();
