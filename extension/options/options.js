// Options: read and save settings through the background (which validates them), folders from
// the service's allowed roots.
const api = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("settings");
const result = document.getElementById("result");
const MiB = 1024 * 1024;

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) throw new Error(reply?.error?.message ?? "no answer from the background");
  return reply.result;
}

function say(ok, text) {
  result.dataset.ok = String(ok);
  result.textContent = text;
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
  ask({ type: "settings.save", settings: read() }).then(
    ({ settings }) => {
      show(settings);
      say(true, "Saved.");
    },
    (err) => say(false, err.message),
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
    hello = (await ask({ type: "connect" })).hello;
  } catch (err) {
    say(false, `Folders come from paxel, which does not answer: ${err.message}`);
  }
  fillFolders(hello, settings.folder);
})();
