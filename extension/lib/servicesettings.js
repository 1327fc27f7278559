// The paxel service's settings as the options page shows them (docs/settings.md; read and
// changed with the `settings` request): numbers as typed, speeds in MiB/s, times as HH:MM, lists
// of queues, schedule windows and folder rules by site. Pure: the page draws the values and sends
// what `fromForm` returns; every error names the form's field, in the form's words and units.

const MIB = 1048576;
export const DAYS = Object.freeze(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
export const DUPLICATES = Object.freeze({
  rename: "Download it again under a new name",
  ask: "Ask me (in the popup and the panel)",
  skip: "Skip it",
  resume: "Continue the unfinished one",
});
const QUEUE_NAME = /^[A-Za-z0-9 ._-]{1,64}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A setting's speed (bytes/s as a number, text like "8M", or null) as MiB/s text ("" for none). */
export function speedToField(value) {
  let bytes = value;
  if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)/i.exec(value);
    bytes = m ? Number(m[1]) * ({ "": 1, K: 1024, M: MIB, G: MIB * 1024 }[m[2].toUpperCase()]) : null;
  }
  if (typeof bytes !== "number" || !(bytes > 0)) return "";
  return String(Math.round((bytes / MIB) * 1000) / 1000);
}

/** The settings (the `settings` result) as form values. */
export function toForm(settings) {
  const s = settings || {};
  const schedule = s.schedule || {};
  const rules = s.folder_rules || {};
  return {
    maxConcurrent: String(s.max_concurrent ?? ""),
    defaultConnections: String(s.default_connections ?? ""),
    maxSpeed: speedToField(s.max_speed),
    duplicates: s.duplicates || "rename",
    // `was`: the name the queue has in the service, so that a new name is sent as a rename
    queues: Object.entries(s.queues || {}).map(([name, q]) => ({ name, was: name, maxConcurrent: String(q.max_concurrent ?? "") })),
    windows: (schedule.windows || []).map((w) => ({ start: w.start, stop: w.stop, days: [...(w.days || DAYS)] })),
    speeds: (schedule.speeds || []).map((r) => ({ start: r.start, stop: r.stop, days: [...(r.days || DAYS)], maxSpeed: speedToField(r.max_speed) })),
    byType: rules.by_type === true,
    sites: (rules.sites || []).map((site) => ({ host: site.host, folder: site.folder })),
  };
}

function count(text, field, label, errors) {
  const t = String(text ?? "").trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!(n >= 1 && n <= 32)) {
    errors.push({ field, message: `${label}: a whole number from 1 to 32.` });
    return null;
  }
  return n;
}

/**
 * The form's values as the `settings` request's `set` ({key: value} in settings.json's form),
 * with the schedule's speed rules and categories kept from `current` (the page does not edit
 * them), plus `renamed` ({old: new}) when a queue's name changed, or {errors: [{field, message}]}. `field` is the control's name ("queues.1.name").
 */
export function fromForm(values, current = {}) {
  const errors = [];
  const set = {};
  set.max_concurrent = count(values.maxConcurrent, "maxConcurrent", "Downloads at once", errors);
  set.default_connections = count(values.defaultConnections, "defaultConnections", "Connections per download", errors);
  const speed = String(values.maxSpeed ?? "").trim().replace(",", ".");
  if (speed === "") set.max_speed = null;
  else {
    const n = /^\d*\.?\d+$/.test(speed) ? Number(speed) : NaN;
    if (!(n > 0) || Math.round(n * MIB) < 1024) errors.push({ field: "maxSpeed", message: "Speed limit: a number of MiB/s above 0 (e.g. 8 or 0.5), or empty for none." });
    else set.max_speed = Math.round(n * MIB);
  }
  if (!Object.hasOwn(DUPLICATES, values.duplicates)) errors.push({ field: "duplicates", message: "Choose what happens with a duplicate." });
  else set.duplicates = values.duplicates;

  const queues = {};
  const renamed = {};
  (values.queues || []).forEach((q, i) => {
    const name = String(q.name ?? "").trim();
    if (!QUEUE_NAME.test(name) || name === "main") {
      errors.push({ field: `queues.${i}.name`, message: name === "main" ? "Queue name: “main” is the default queue’s." : "Queue name: 1 to 64 letters, digits, spaces, . _ or -." });
    } else if (Object.hasOwn(queues, name)) {
      errors.push({ field: `queues.${i}.name`, message: `Queue name: “${name}” is there twice.` });
    }
    const limit = count(q.maxConcurrent, `queues.${i}.maxConcurrent`, "Downloads at once", errors);
    // a queue's own schedule windows are not edited here: kept from `current` under the name it
    // had; a row whose name changed is a rename (its downloads stay in it), not remove-and-add
    const was = String(q.was ?? "");
    const before = Object.hasOwn(current.queues || {}, was) ? was : name;
    const own = (current.queues || {})[before]?.schedule;
    if (limit !== null && QUEUE_NAME.test(name)) {
      queues[name] = { max_concurrent: limit, ...(own ? { schedule: own } : {}) };
      if (before !== name && Object.hasOwn(current.queues || {}, before)) renamed[before] = name;
    }
  });
  set.queues = queues;

  const window = (list) => (w, i) => {
    for (const key of ["start", "stop"]) {
      if (!TIME.test(String(w[key] ?? ""))) errors.push({ field: `${list}.${i}.${key}`, message: `${key === "start" ? "From" : "To"}: a time like 02:00.` });
    }
    const days = DAYS.filter((d) => (w.days || []).includes(d));
    if (!days.length) errors.push({ field: `${list}.${i}.days`, message: "Days: tick at least one." });
    return { start: w.start, stop: w.stop, days };
  };
  const windows = (values.windows || []).map(window("windows"));
  const speeds = (values.speeds || []).map((r, i) => {
    const text = String(r.maxSpeed ?? "").trim().replace(",", ".");
    const n = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
    if (text !== "" && !(n > 0 && Math.round(n * MIB) >= 1024)) errors.push({ field: `speeds.${i}.maxSpeed`, message: "Limit: a number of MiB/s above 0, or empty for none at that time." });
    return { ...window("speeds")(r, i), max_speed: text === "" ? null : Math.round(n * MIB) };
  });
  set.schedule = { windows, speeds };

  const sites = (values.sites || []).map((site, i) => {
    const host = String(site.host ?? "").trim().toLowerCase();
    const folder = String(site.folder ?? "").trim();
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      errors.push({ field: `sites.${i}.host`, message: "Site: a host name like example.org or *.example.org." });
    }
    if (!folder) errors.push({ field: `sites.${i}.folder`, message: "Folder: a name inside the default folder, or a full path." });
    return { host, folder };
  });
  const rules = current.folder_rules || {};
  set.folder_rules = { ...rules, by_type: values.byType === true, sites };
  if (errors.length) return { errors };
  return Object.keys(renamed).length ? { set, renamed } : { set };
}

/**
 * The form's field a service error names (its message starts with the settings path, e.g.
 * "settings: `queues.night` must be …" or "schedule.windows[1].start: …"), or null.
 */
export function fieldOfServiceError(message, values) {
  const text = String(message ?? "");
  const window = /(windows|speeds)\[(\d+)\]\.?(start|stop|days|max_speed)?/.exec(text);
  if (window) return `${window[1]}.${window[2]}.${{ max_speed: "maxSpeed", undefined: "start" }[window[3]] ?? window[3]}`;
  const site = /sites\[(\d+)\]\.?(host|folder)?/.exec(text);
  if (site) return `sites.${site[1]}.${site[2] ?? "host"}`;
  const queue = /queues\.([^`:\s]+)/.exec(text);
  if (queue) {
    const i = (values.queues || []).findIndex((q) => String(q.name).trim() === queue[1]);
    return i >= 0 ? `queues.${i}.maxConcurrent` : null;
  }
  for (const [key, field] of [["max_concurrent", "maxConcurrent"], ["default_connections", "defaultConnections"], ["max_speed", "maxSpeed"], ["duplicates", "duplicates"], ["sites", "sites.0.host"]]) {
    if (text.includes(key)) return field;
  }
  return null;
}

/**
 * A service error in the form's words, for the field `fieldOfServiceError` found: without the
 * settings file's path and key ("/home/u/.config/paxel/settings.json: `folder_rules`.sites[1].folder:
 * /etc is not inside …" -> "Folder: /etc is not inside …").
 */
export function serviceErrorText(message, field) {
  const text = String(message ?? "").replace(/^.*?\.json: /, "").replace(/^`[^`]+`[^\s:]*: /, "");
  const label = { host: "Site", folder: "Folder" }[String(field ?? "").split(".").pop()];
  return label ? `${label}: ${text}` : text;
}
