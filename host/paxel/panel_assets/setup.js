// The panel's "Queues, schedule and folders": named queues (name, downloads at once, their own
// windows), schedule windows and time-of-day speed limits, folders by file type and by site,
// connections (per download, and per site over all downloads) and duplicates. It edits the service's settings through the `settings` request,
// the one `paxel queue`, `paxel schedule` and the options page send (pywebview.api.settings).
//
// The form's values are one object (`values`, lib/servicesettings.js's toForm shape) that every
// control edits by its name ("queues.0.windows.1.start"); the lists are drawn from it anew when
// a row comes or goes. Save checks it all with the options page's own servicesettings.fromForm
// and sends nothing while any field is wrong, so a bad field never costs what was saved; each
// error, the service's too (a folder outside the allowed ones), is put next to its field.
"use strict";

(function () {
  const S = window.paxelServiceSettings;
  const { node, field } = window.paxelFormFields;
  const details = document.getElementById("setup");
  const form = document.getElementById("setup-form");
  const fieldset = document.getElementById("setup-fields");
  const result = document.getElementById("setup-result");
  let current = null; // the service's settings as last read
  let values = null; // what the form holds
  let dirty = false; // edited since read or saved: a settings event or unfolding must not overwrite it
  const discard = document.getElementById("setup-discard");
  // "Discard changes" is the one way to drop an edit (folding the view keeps it): enabled only while there is one.
  function setDirty(on) {
    dirty = on;
    discard.disabled = !on;
  }
  let base = null; // what Save would have sent for `current`: the merge's base

  // A window's fields: from, to (HH:MM, typed: 25:00 gets an error in words) and the days it starts on.
  function windowFields(prefix, w) {
    const days = node("fieldset", { className: "days", name: `${prefix}.days` }, node("legend", { className: "visually-hidden" }, "Days"),
      ...S.DAYS.map((d) => node("label", {}, node("input", { type: "checkbox", name: `${prefix}.day`, value: d, checked: w.days.includes(d) }),
        ` ${d.charAt(0).toUpperCase()}${d.slice(1)}`)));
    // the window in words, as the options page says it ("the next day", "24 hours from"): a slip shows
    const words = node("output", { className: "note when", textContent: S.windowWords(w) });
    words.dataset.window = prefix;
    return [field("From", `${prefix}.start`, w.start, { placeholder: "02:00", size: 5 }),
      field("To", `${prefix}.stop`, w.stop, { placeholder: "06:00", size: 5 }), days, words];
  }

  function list(name, items, row, label) {
    const ol = node("ol", { className: "rows" });
    ol.setAttribute("aria-label", label);
    ol.dataset.list = name;
    ol.append(...items.map((item, i) => {
      const remove = node("button", { type: "button", className: "remove", textContent: "Remove" });
      remove.dataset.remove = `${name}.${i}`;
      remove.setAttribute("aria-label", `Remove ${i + 1} of ${label}`); // two Removes in a queue's row
      return node("li", {}, ...row(item, `${name}.${i}`, i), remove);
    }));
    return ol;
  }

  function addButton(path, text) {
    const button = node("button", { type: "button", textContent: text });
    button.dataset.add = path;
    return button;
  }

  // One row per queue, window, speed rule, file type or site; fields named as fromForm's errors.
  const ROWS = {
    queues: (q, at) => [field("Name", `${at}.name`, q.name, { maxLength: 64 }),
      field("Downloads at once", `${at}.maxConcurrent`, q.maxConcurrent, { inputMode: "numeric", size: 3 }),
      node("div", { className: "own" }, list(`${at}.windows`, q.windows, (w, p) => windowFields(p, w), `Windows of queue ${q.name}`),
        addButton(`${at}.windows`, "Add a window to this queue"),
        node("label", { className: "check" }, node("input", { type: "checkbox", name: `${at}.anyTime`, checked: q.anyTime === true }),
          " Without windows of its own: at any time, not the schedule's"))],
    windows: (w, at) => windowFields(at, w),
    speeds: (r, at) => [...windowFields(at, r), field("Limit (MiB/s; empty: none)", `${at}.maxSpeed`, r.maxSpeed, { inputMode: "decimal", size: 5 })],
    categories: (c, at) => [field("Type", `${at}.name`, c.name, { maxLength: 64 }),
      field("Extensions", `${at}.extensions`, c.extensions, { placeholder: "iso img" }), field("Folder", `${at}.folder`, c.folder)],
    sites: (s, at) => [field("Site", `${at}.host`, s.host, { placeholder: "example.org" }), field("Folder", `${at}.folder`, s.folder)],
  };
  const BLANK = { queues: { name: "", was: "", maxConcurrent: "1", windows: [], anyTime: false }, windows: { start: "02:00", stop: "06:00", days: [...S.DAYS] },
    speeds: { start: "09:00", stop: "18:00", days: [...S.DAYS], maxSpeed: "1" }, categories: { name: "", extensions: "", folder: "" },
    sites: { host: "", folder: "" } };

  /** The value at a dotted path of `values` ("queues.0.windows"), and its parent and key. */
  function at(path) {
    const keys = path.split(".");
    const last = keys.pop();
    const parent = keys.reduce((o, k) => o[k], values);
    return { parent, key: Array.isArray(parent) ? Number(last) : last };
  }

  function draw() {
    for (const ol of form.querySelectorAll("ol.rows[data-list]:not([data-list*='.'])")) {
      const name = ol.dataset.list;
      ol.replaceWith(list(name, values[name], ROWS[name], ol.getAttribute("aria-label")));
    }
    const f = form.elements;
    for (const name of ["maxConcurrent", "defaultConnections", "maxSpeed", "hostCap", "duplicates"]) f[name].value = values[name];
    f.byType.checked = values.byType;
  }

  // The saved limit for all downloads (`max_speed`) is a field here as on the options page; the
  // toolbar's Limit is the live one, which lasts until the service stops.
  const formOf = (settings) => S.toForm(settings);

  // What Save would send for `settings` untouched (null if the form cannot hold them): the base
  // and the latest of Save's three-way merge (S.mergeSaved), so that a Save sends only what was
  // edited here and never undoes what `paxel queue` or the options page changed meanwhile.
  const setOf = (settings) => S.fromForm(formOf(settings), settings).set ?? null;

  // Drawn anew (read, saved, or changed elsewhere while not edited): the keyboard stays on the
  // field of the same name instead of falling onto the page's body with the old rows.
  function show(settings) {
    const focused = form.contains(document.activeElement) ? document.activeElement.name : "";
    current = settings;
    values = formOf(settings);
    base = setOf(settings);
    setDirty(false);
    document.getElementById("setup-elsewhere").hidden = true;
    draw();
    showErrors([]);
    if (focused && !form.contains(document.activeElement)) form.querySelector(`[name="${CSS.escape(focused)}"]`)?.focus();
  }

  // Every control writes its value into `values` by its name; a day box sets its window's days.
  // (`change` too: a box or a choice some engine changes without an `input` event; the same value twice is harmless)
  function edited(event) {
    const control = event.target;
    if (!values || !control.name) return;
    setDirty(true);
    if (control.name.endsWith(".day")) {
      const prefix = control.name.slice(0, -".day".length);
      at(`${prefix}.days`).parent.days = [...form.querySelectorAll(`[name="${prefix}.day"]:checked`)].map((c) => c.value);
    } else {
      const { parent, key } = at(control.name);
      parent[key] = control.type === "checkbox" ? control.checked : control.value;
    }
    const win = /^(.*)\.(start|stop|day)$/.exec(control.name)?.[1];
    const words = win && form.querySelector(`output[data-window="${CSS.escape(win)}"]`);
    if (words) words.textContent = S.windowWords(at(`${win}.days`).parent);
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);

  // Add and Remove: the list changes in `values`, is drawn again, the focus goes to the new
  // row's first field (or the list's Add button) instead of being lost with the old nodes.
  form.addEventListener("click", (event) => {
    const add = event.target.closest("button[data-add]");
    const remove = event.target.closest("button[data-remove]");
    if (!values || (!add && !remove)) return;
    setDirty(true);
    let focus;
    if (add) {
      const { parent, key } = at(add.dataset.add);
      const items = parent[key];
      const kind = add.dataset.add.split(".").pop();
      items.push(structuredClone(BLANK[kind]));
      focus = `[name^="${add.dataset.add}.${items.length - 1}."]`;
    } else {
      const { parent, key } = at(remove.dataset.remove);
      parent.splice(key, 1);
      focus = `button[data-add="${remove.dataset.remove.replace(/\.\d+$/, "")}"]`;
    }
    draw();
    form.querySelector(focus)?.focus();
  });

  const showErrors = (errors) => window.paxelFormFields.showErrors(form, errors, "setup-error-");

  function say(ok, text) {
    result.dataset.ok = String(ok);
    result.textContent = text;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    keepingFocus(save);
  });

  // The keyboard stays where it was: the fields are disabled while paxel is asked and the rows
  // drawn anew from what was saved, which would drop the focus onto the page's body. An error
  // takes it (showErrors); else the same control, or the one of the same name, or Save.
  async function keepingFocus(work) {
    const was = document.activeElement;
    const name = form.contains(was) ? was.name : "";
    await work();
    const now = document.activeElement;
    if (form.contains(now) && !now.disabled) return;
    const again = was?.isConnected && form.contains(was) ? was : name && form.querySelector(`[name="${CSS.escape(name)}"]`);
    (again || form.querySelector("button[type=submit]"))?.focus();
  }

  async function save() {
    if (!values) return;
    const checked = S.fromForm(values, current ?? {});
    showErrors(checked.errors ?? []);
    if (checked.errors) {
      say(false, "Not saved: see the fields marked in red.");
      return;
    }
    // Read, merge, send only if nothing was saved in between (if_revision); else again (STALE).
    for (let tries = 1; ; tries++) {
      const fresh = await busy(() => window.pywebview.api.settings());
      if (!fresh.ok) {
        say(false, `Not saved: ${fresh.error.message}`);
        return;
      }
      const latest = setOf(fresh.settings);
      let send = { set: checked.set, renamed: checked.renamed ?? null };
      if (base && latest) {
        const merged = S.mergeSaved(checked.set, base, latest, checked.renamed ?? {});
        if (merged.conflicts.length) {
          base = merged.base; // seen: Save again replaces them
          say(false, `Not saved: changed elsewhere since this was read: ${merged.conflicts.map(S.conflictText).join(", ")}.`
            + " Save again to replace that with what is here, or close and open this to see it.");
          return;
        }
        if (!Object.keys(merged.set).length) {
          show(fresh.settings);
          say(true, "Saved: nothing here had changed.");
          return;
        }
        send = { set: merged.set, renamed: Object.keys(merged.renamed).length ? merged.renamed : null };
      }
      const reply = await busy(() => window.pywebview.api.settings(send.set, send.renamed, fresh.revision ?? null));
      if (reply.ok) {
        show(reply.settings);
        say(true, "Saved: paxel uses them now.");
        return;
      }
      if (reply.error.name === "STALE" && tries < 5) continue;
      report(reply);
      return;
    }
  }

  function report(reply) {
    const name = S.fieldOfServiceError(reply.error.message, values);
    showErrors(name ? [{ field: name, message: S.serviceErrorText(reply.error.message, name) }] : []);
    say(false, name ? "Not saved: see the field marked in red." : `Not saved: ${reply.error.message}`);
  }

  // Disabled while the service is asked: an answer landing after an edit began would undo it.
  async function busy(ask) {
    fieldset.disabled = true;
    try {
      return await ask();
    } finally {
      fieldset.disabled = false;
    }
  }

  // Read the settings: drawn as they are, unless `keep` and there is an unsaved edit (the view
  // unfolded again): then the edit stays and the note says if they changed meanwhile (Save merges).
  async function load(keep = false) {
    const reply = await busy(() => window.pywebview.api.settings());
    if (reply.ok && keep && dirty) noteElsewhere(reply.settings);
    else if (reply.ok) show(reply.settings);
    else say(false, `paxel's settings cannot be read: ${reply.error.message}`);
    if (focusWhenRead) {
      focusWhenRead = false;
      details.scrollIntoView({ block: "start" });
      focusFirst();
    }
  }

  window.paxelForms.setOptions(form.elements.duplicates, Object.entries(S.DUPLICATES));
  // Read when opened (the CLI or the options page may have changed them), and again when the
  // service says they changed; while the user is editing, the edit stays and a note says so
  // (Save merges, see the submit handler; "Show theirs" drops the edit and reads them again).
  // Folded while edited, the edit is kept for the unfolding (no settings event is drawn meanwhile).
  details.addEventListener("toggle", () => { if (details.open) load(true); });
  function noteElsewhere(settings) {
    if (JSON.stringify(settings) !== JSON.stringify(current)) document.getElementById("setup-elsewhere").hidden = false;
  }
  function changed(settings) {
    if (!details.open || !settings) return;
    if (!dirty) show(settings);
    else noteElsewhere(settings);
  }
  document.getElementById("setup-reload").addEventListener("click", () => load());
  // Discard: the saved settings drawn again; the button is then disabled, so the keyboard goes to Save.
  discard.addEventListener("click", async () => {
    await load();
    if (!dirty) say(true, "Discarded: the saved settings are shown.");
    if (document.activeElement === discard || !form.contains(document.activeElement)) form.querySelector("button[type=submit]")?.focus();
  });

  // The header's button: the view opened (read afresh), in sight, the keyboard on its first field.
  let focusWhenRead = false;
  const focusFirst = () => form.querySelector("input, select")?.focus({ preventScroll: true });
  document.getElementById("open-setup").addEventListener("click", () => {
    details.scrollIntoView({ block: "start" });
    if (details.open) focusFirst();
    else {
      focusWhenRead = true; // its fields are disabled until read (the toggle reads them)
      details.open = true;
    }
  });

  window.paxelSetup = { changed };
})();
