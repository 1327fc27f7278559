// Options, second form: the paxel service's own settings (docs/settings.md) through the
// background's `service.settings` (the `settings` request): downloads at once, connections, the
// global speed limit, duplicates, named queues, schedule windows, folders by type and site.
// Values are checked here first (lib/servicesettings.js) and each error is shown next to its
// field in the field's unit; what the service refuses is put next to the field it names.
import "../lib/servicesettings.js";
import "../lib/formfields.js";

const { DAYS, DUPLICATES, conflictText, fieldOfServiceError, fromForm, mergeSaved, serviceErrorText, toForm } = globalThis.paxelServiceSettings;
const { node, field, showErrors: showFieldErrors } = globalThis.paxelFormFields;

const api = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("service");
const result = document.getElementById("service-result");
const note = document.getElementById("service-note");
let current = null; // the service's settings as last read
let base = null; // what Save would have sent for `current`: the three-way merge's base

// What Save sends for `settings` untouched (the page edits neither queues' own windows nor file
// types: fromForm keeps them), null if the form cannot hold them. The page hears no `settings`
// event and may stay open for hours: Save reads them again and sends only what was edited here
// (mergeSaved), so a queue `paxel queue add` made meanwhile is not undone.
function setOf(settings) {
  const values = toForm(settings);
  values.queues = values.queues.map(({ windows, ...queue }) => queue);
  delete values.categories;
  return fromForm(values, settings).set ?? null;
}

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) throw Object.assign(new Error(reply?.error?.message ?? "no answer from the background"), { code: reply?.error?.code });
  return reply.result;
}

// A time window's fields: from, to, the days it starts on.
function windowFields(list, w, i) {
  return [field("From", `${list}.${i}.start`, w.start, { type: "time" }), field("To", `${list}.${i}.stop`, w.stop, { type: "time" }),
    node("fieldset", { className: "days", name: `${list}.${i}.days` }, node("legend", { className: "visually-hidden" }, "Days"),
      ...DAYS.map((d) => node("label", {}, node("input", { type: "checkbox", name: `${list}.${i}.day`, value: d, checked: w.days.includes(d) }), d)))];
}

// One row per queue, window, speed rule or site: its fields are named "LIST.INDEX.KEY" (fromForm's fields).
const ROWS = {
  queues: (q, i) => [field("Name", `queues.${i}.name`, q.name, { type: "text", maxLength: 64 }),
    node("input", { type: "hidden", name: `queues.${i}.was`, value: q.was ?? "" }),
    field("Downloads at once", `queues.${i}.maxConcurrent`, q.maxConcurrent, { type: "number", min: 1, max: 32 })],
  windows: (w, i) => windowFields("windows", w, i),
  speeds: (r, i) => [...windowFields("speeds", r, i),
    field("Limit (MiB/s; empty: none)", `speeds.${i}.maxSpeed`, r.maxSpeed, { type: "text", inputMode: "decimal" })],
  sites: (s, i) => [field("Site", `sites.${i}.host`, s.host, { type: "text", placeholder: "example.org" }),
    field("Folder", `sites.${i}.folder`, s.folder, { type: "text", placeholder: "Example" })],
};
const BLANK = { queues: { name: "", was: "", maxConcurrent: "1" }, windows: { start: "02:00", stop: "06:00", days: [...DAYS] },
  speeds: { start: "09:00", stop: "18:00", days: [...DAYS], maxSpeed: "1" }, sites: { host: "", folder: "" } };

function drawList(list, items) {
  const ol = document.getElementById(list);
  ol.replaceChildren(...items.map((item, i) => {
    const remove = node("button", { type: "button", className: "remove", textContent: "Remove" });
    remove.dataset.remove = `${list}.${i}`;
    return node("li", {}, ...ROWS[list](item, i), remove);
  }));
}

function show(values) {
  const f = form.elements;
  f.maxConcurrent.value = values.maxConcurrent;
  f.defaultConnections.value = values.defaultConnections;
  f.maxSpeed.value = values.maxSpeed;
  f.hostCap.value = values.hostCap;
  f.duplicates.value = values.duplicates;
  f.byType.checked = values.byType;
  for (const list of Object.keys(ROWS)) drawList(list, values[list]);
}

/** What the form holds now, as fromForm reads it. */
function read() {
  const f = form.elements;
  const rows = (list, keys) => [...document.getElementById(list).children].map((li, i) =>
    Object.fromEntries(keys.map((k) => [k, li.querySelector(`[name="${list}.${i}.${k}"]`).value])));
  const withDays = (list, keys) => rows(list, keys).map((w, i) => ({
    ...w, days: [...form.querySelectorAll(`[name="${list}.${i}.day"]:checked`)].map((c) => c.value) }));
  return { maxConcurrent: f.maxConcurrent.value, defaultConnections: f.defaultConnections.value, maxSpeed: f.maxSpeed.value,
    hostCap: f.hostCap.value, duplicates: f.duplicates.value, byType: f.byType.checked, queues: rows("queues", ["name", "was", "maxConcurrent"]),
    windows: withDays("windows", ["start", "stop"]), speeds: withDays("speeds", ["start", "stop", "maxSpeed"]),
    sites: rows("sites", ["host", "folder"]) };
}

const showErrors = (errors) => showFieldErrors(form, errors, "service-error-");

function say(ok, text) {
  result.dataset.ok = String(ok);
  result.textContent = text;
}

form.addEventListener("click", (event) => {
  const add = event.target.closest("button[data-add]");
  const remove = event.target.closest("button[data-remove]");
  if (!add && !remove) return;
  const values = read();
  if (add) values[add.dataset.add].push({ ...BLANK[add.dataset.add], days: [...DAYS] });
  else {
    const [list, index] = remove.dataset.remove.split(".");
    values[list].splice(Number(index), 1);
  }
  for (const list of Object.keys(ROWS)) drawList(list, values[list]);
});

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
