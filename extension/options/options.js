// Options: read and save settings through the background (which validates them), folders from
// the service's allowed roots.
const api = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("settings");
const result = document.getElementById("result");
const MiB = 1024 * 1024;

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) {
    throw Object.assign(new Error(reply?.error?.message ?? "no answer from the background"),
      { errors: reply?.error?.errors });
  }
  return reply.result;
}

function say(ok, text) {
  result.dataset.ok = String(ok);
  result.textContent = text;
}

// A settings field as the form shows it, and what to say about a bad value in the form's terms
// (the stored setting is bytes; the user types MiB).
const FORM_FIELD = { minSize: "minSizeMiB" };
const IN_USER_TERMS = { minSize: "Enter a size in MiB: 0 or more, e.g. 1 or 0.5." };

/** Put each problem next to its field (and nothing next to the others). */
function showFieldErrors(errors) {
  for (const note of form.querySelectorAll(".field-error")) note.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  }
  for (const { field, message } of errors) {
    const name = FORM_FIELD[field] ?? field;
    const control = form.elements[name];
    if (!control) continue;
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = `error-${name}`;
    const text = IN_USER_TERMS[field] ?? message;
    note.textContent = text.charAt(0).toUpperCase() + text.slice(1);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", note.id);
    control.insertAdjacentElement("afterend", note);
  }
  if (errors.length) form.elements[FORM_FIELD[errors[0].field] ?? errors[0].field]?.focus();
}

/** What the form can tell before asking the background: the numbers as typed. */
function formErrors() {
  const mib = form.elements.minSizeMiB.value.trim();
  const n = Number(mib);
  return mib !== "" && !(Number.isFinite(n) && n >= 0) ? [{ field: "minSize", message: "" }] : [];
}

function fillFolders(hello, current) {
  const select = form.elements.folder;
  const folders = new Set([...(hello?.roots ?? []), ...(current ? [current] : [])]);
  for (const folder of folders) {
    const option = document.createElement("option");
    option.value = folder;
    option.textContent = folder === hello?.default_folder ? `${folder} (default)` : folder;
    select.append(option);
  }
  select.value = current ?? "";
}

function show(settings) {
  const f = form.elements;
  f.enabled.checked = settings.enabled;
  f.privateWindows.checked = settings.privateWindows;
  f.connections.value = settings.connections ?? "";
  f.minSizeMiB.value = String(settings.minSize / MiB);
  f.includeTypes.value = settings.includeTypes.join(" ");
  f.excludeTypes.value = settings.excludeTypes.join(" ");
  f.skipDomains.value = settings.skipDomains.join("\n");
}

function read() {
  const f = form.elements;
  const mib = f.minSizeMiB.value.trim();
  return {
    enabled: f.enabled.checked,
    privateWindows: f.privateWindows.checked,
    connections: f.connections.value.trim() || null,
    folder: f.folder.value || null,
    minSize: mib === "" ? null : Math.round(Number(mib) * MiB),
    includeTypes: f.includeTypes.value,
    excludeTypes: f.excludeTypes.value,
    skipDomains: f.skipDomains.value,
  };
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const local = formErrors();
  showFieldErrors(local);
  if (local.length) {
    say(false, "Not saved: see the field marked in red.");
    return;
  }
  ask({ type: "settings.save", settings: read() }).then(
    ({ settings }) => {
      show(settings);
      say(true, "Saved.");
    },
    (err) => {
      const errors = Array.isArray(err.errors) ? err.errors : [];
      showFieldErrors(errors);
      say(false, errors.length ? "Not saved: see the fields marked in red." : err.message);
    },
  );
});

// Firefox leaves host permissions of an MV3 add-on to the user; ask from a click, as it requires.
const ALL_SITES = { origins: ["<all_urls>"] };
const permissionNote = document.getElementById("permission");
document.getElementById("grant").addEventListener("click", async () => {
  permissionNote.hidden = await api.permissions.request(ALL_SITES);
});
api.permissions.contains(ALL_SITES).then((granted) => {
  permissionNote.hidden = granted;
});

(async () => {
  const { settings } = await ask({ type: "settings.get" });
  show(settings);
  let hello = null;
  try {
    // The user opened the settings, whose folder list is the service's roots: that needs the
    // service, so this hello may start it (the background's own reconnecting never does).
    hello = (await ask({ type: "connect", start: true })).hello;
  } catch (err) {
    say(false, `Folders come from paxel, which does not answer: ${err.message}`);
  }
  fillFolders(hello, settings.folder);
})();
