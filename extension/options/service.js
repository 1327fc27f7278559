// Options, second form: the paxel service's own settings (docs/settings.md) through the
// background's `service.settings` (the `settings` request): downloads at once, connections, the
// global speed limit, duplicates, named queues and their own windows, schedule windows, folders
// by type and site.
// Values are checked here first (lib/servicesettings.js) and each error is shown next to its
// field in the field's unit; what the service refuses is put next to the field it names.
import "../lib/servicesettings.js";
import "../lib/formfields.js";

const { DAYS, DUPLICATES, conflictText, fieldOfServiceError, fromForm, mergeSaved, serviceErrorText, toForm, windowWords } = globalThis.paxelServiceSettings;
const { node, field, showErrors: showFieldErrors } = globalThis.paxelFormFields;

const api = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("service");
const result = document.getElementById("service-result");
const note = document.getElementById("service-note");
let current = null; // the service's settings as last read
let base = null; // what Save would have sent for `current`: the three-way merge's base

// What Save sends for `settings` untouched (the page does not edit file types: fromForm keeps
// them), null if the form cannot hold them. The page hears no `settings` event and may stay open
// for hours: Save reads them again and sends only what was edited here (mergeSaved), so a queue
// `paxel queue add` made meanwhile is not undone.
function setOf(settings) {
  const values = toForm(settings);
  delete values.categories;
  return fromForm(values, settings).set ?? null;
}

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) throw Object.assign(new Error(reply?.error?.message ?? "no answer from the background"), { code: reply?.error?.code });
  return reply.result;
}

// A time window's fields (named "AT.start", "AT.stop", "AT.day"): from, to, the days it starts
// on, and the window in words, which says when it runs past midnight or is a whole day.
function windowFields(at, w) {
  const words = node("output", { className: "note when", textContent: windowWords(w) });
  words.dataset.window = at;
  return [field("From", `${at}.start`, w.start, { type: "time" }), field("To", `${at}.stop`, w.stop, { type: "time" }),
    node("fieldset", { className: "days", name: `${at}.days` }, node("legend", { className: "visually-hidden" }, "Days"),
      ...DAYS.map((d) => node("label", {}, node("input", { type: "checkbox", name: `${at}.day`, value: d, checked: w.days.includes(d) }), d))), words];
}

function addButton(path, text) {
  const button = node("button", { type: "button", textContent: text });
  button.dataset.add = path;
  return button;
}

// One row per queue, window, speed rule or site: its fields are named "LIST.INDEX.KEY" (fromForm's
// fields); a queue's own windows are a list in its row ("queues.0.windows.1.start").
const ROWS = {
  queues: (q, at) => [field("Name", `${at}.name`, q.name, { type: "text", maxLength: 64 }),
    node("input", { type: "hidden", name: `${at}.was`, value: q.was ?? "" }),
    field("Downloads at once", `${at}.maxConcurrent`, q.maxConcurrent, { type: "number", min: 1, max: 32 }),
    node("div", { className: "own" }, rows(`${at}.windows`, q.windows, ROWS.windows, `Windows of queue ${q.name}`),
      addButton(`${at}.windows`, "Add a window to this queue"),
      node("label", {}, node("input", { type: "checkbox", name: `${at}.anyTime`, checked: q.anyTime === true }),
        "Without windows of its own: at any time, not the schedule's"))],
  windows: (w, at) => windowFields(at, w),
  speeds: (r, at) => [...windowFields(at, r),
    field("Limit (MiB/s; empty: none)", `${at}.maxSpeed`, r.maxSpeed, { type: "text", inputMode: "decimal" })],
  sites: (s, at) => [field("Site", `${at}.host`, s.host, { type: "text", placeholder: "example.org" }),
    field("Folder", `${at}.folder`, s.folder, { type: "text", placeholder: "Example" })],
};
const BLANK = { queues: { name: "", was: "", maxConcurrent: "1", windows: [], anyTime: false }, windows: { start: "02:00", stop: "06:00", days: [...DAYS] },
  speeds: { start: "09:00", stop: "18:00", days: [...DAYS], maxSpeed: "1" }, sites: { host: "", folder: "" } };

/** An <ol data-list=PATH> of rows, each with its Remove button. */
function rows(path, items, row, label) {
  const ol = node("ol", { className: "rows" }, ...items.map((item, i) => {
    const remove = node("button", { type: "button", className: "remove", textContent: path === "queues" ? "Remove this queue" : "Remove" });
    remove.dataset.remove = `${path}.${i}`;
    remove.setAttribute("aria-label", `Remove ${i + 1} of ${label}`); // two Removes in a queue's row
    return node("li", {}, ...row(item, `${path}.${i}`), remove);
  }));
  ol.dataset.list = path;
  ol.setAttribute("aria-label", label);
  return ol;
}

const LABELS = { queues: "Named queues", windows: "Schedule windows", speeds: "Speed limits by time", sites: "Folders by site" };
function drawList(list, items) {
  form.querySelector(`ol[data-list="${list}"]`).replaceWith(rows(list, items, ROWS[list], LABELS[list]));
}

function show(values) {
  const f = form.elements;
  f.maxConcurrent.value = values.maxConcurrent;
  f.defaultConnections.value = values.defaultConnections;
  f.maxSpeed.value = values.maxSpeed;
  f.hostCap.value = values.hostCap;
  f.duplicates.value = values.duplicates;
  f.byType.checked = values.byType;
  for (const list of Object.keys(LABELS)) drawList(list, values[list]);
}

const control = (name) => form.querySelector(`[name="${CSS.escape(name)}"]`);
/** A window's fields ("AT.start", …) as fromForm reads them. */
const windowAt = (at) => ({ start: control(`${at}.start`).value, stop: control(`${at}.stop`).value,
  days: [...form.querySelectorAll(`[name="${CSS.escape(`${at}.day`)}"]:checked`)].map((c) => c.value) });

/** What the form holds now, as fromForm reads it. */
function read() {
  const f = form.elements;
  const count = (list) => form.querySelector(`ol[data-list="${list}"]`).children.length;
  const each = (list, one) => Array.from({ length: count(list) }, (_, i) => one(`${list}.${i}`));
  const values = (keys) => (at) => Object.fromEntries(keys.map((k) => [k, control(`${at}.${k}`).value]));
  return { maxConcurrent: f.maxConcurrent.value, defaultConnections: f.defaultConnections.value, maxSpeed: f.maxSpeed.value,
    hostCap: f.hostCap.value, duplicates: f.duplicates.value, byType: f.byType.checked,
    queues: each("queues", (at) => ({ ...values(["name", "was", "maxConcurrent"])(at), windows: each(`${at}.windows`, windowAt),
      anyTime: control(`${at}.anyTime`).checked })),
    windows: each("windows", windowAt), speeds: each("speeds", (at) => ({ ...windowAt(at), ...values(["maxSpeed"])(at) })),
    sites: each("sites", values(["host", "folder"])) };
}

const showErrors = (errors) => showFieldErrors(form, errors, "service-error-");

function say(ok, text) {
  result.dataset.ok = String(ok);
  result.textContent = text;
}

// Add and Remove (a path like "queues.1.windows" or "queues.1.windows.0"): the form read, the
// list changed, drawn again; the keyboard goes to the new row, or to the list's Add button.
form.addEventListener("click", (event) => {
  const add = event.target.closest("button[data-add]");
  const remove = event.target.closest("button[data-remove]");
  if (!add && !remove) return;
  const values = read();
  const keys = (add ? add.dataset.add : remove.dataset.remove).split(".");
  const last = keys.pop();
  const parent = keys.reduce((o, k) => o[k], values);
  let focus;
  if (add) {
    parent[last].push(structuredClone(BLANK[last]));
    focus = `[name^="${add.dataset.add}.${parent[last].length - 1}."]`;
  } else {
    parent.splice(Number(last), 1);
    focus = `button[data-add="${keys.join(".")}"]`;
  }
  for (const list of Object.keys(LABELS)) drawList(list, values[list]);
  form.querySelector(focus)?.focus();
});

// A window's words follow its fields as they are edited (`change` too: a box some engine ticks without `input`).
function reword(event) {
  const at = /^(.*)\.(start|stop|day)$/.exec(event.target.name ?? "")?.[1];
  const words = at && form.querySelector(`output[data-window="${CSS.escape(at)}"]`);
  if (words) words.textContent = windowWords(windowAt(at));
}
form.addEventListener("input", reword);
form.addEventListener("change", reword);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = read();
  const checked = fromForm(values, current ?? {});
  showErrors(checked.errors ?? []);
  if (checked.errors) {
    say(false, "Not saved: see the fields marked in red.");
    return;
  }
  try {
    // Read, merge, send only if nothing was saved in between (if_revision); else again (STALE).
    let settings = null;
    for (let tries = 1; !settings; tries++) {
      const read = await ask({ type: "service.settings" });
      let send = { set: checked.set, renamed: checked.renamed };
      const latest = setOf(read.settings);
      if (base && latest) {
        const merged = mergeSaved(checked.set, base, latest, checked.renamed ?? {});
        if (merged.conflicts.length) {
          base = merged.base; // seen: Save again replaces them
          say(false, `Not saved: changed elsewhere since this page read them: ${merged.conflicts.map(conflictText).join(", ")}.`
            + " Save again to replace that with what is here, or reload the page to see it.");
          return;
        }
        send = { set: merged.set, renamed: Object.keys(merged.renamed).length ? merged.renamed : undefined };
      }
      if (!Object.keys(send.set).length) settings = read.settings;
      else {
        try {
          settings = (await ask({ type: "service.settings", ...send, if_revision: read.revision })).settings;
        } catch (err) {
          if (err.code !== "STALE" || tries >= 5) throw err;
        }
      }
    }
    current = settings;
    base = setOf(settings);
    show(toForm(settings));
    say(true, "Saved: paxel uses them now.");
  } catch (err) {
    const name = fieldOfServiceError(err.message, values);
    showErrors(name ? [{ field: name, message: serviceErrorText(err.message, name) }] : []);
    say(false, name ? "Not saved: see the field marked in red." : `Not saved: ${err.message}`);
  }
});

form.elements.duplicates.replaceChildren(...Object.entries(DUPLICATES).map(([value, label]) => node("option", { value, textContent: label })));

(async () => {
  try {
    current = (await ask({ type: "service.settings" })).settings;
    base = setOf(current);
    show(toForm(current));
  } catch (err) {
    note.hidden = false;
    note.textContent = `paxel's settings cannot be read: ${err.message}`;
    for (const control of form.elements) control.disabled = true;
  }
})();
