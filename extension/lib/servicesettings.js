// The paxel service's settings as the options page shows them (docs/settings.md; read and
// changed with the `settings` request): numbers as typed, speeds in MiB/s, times as HH:MM, lists
// of queues (with their own windows), schedule windows, folder rules by type and by site. Pure: the page draws the values and sends
// what `fromForm` returns; every error names the form's field, in the form's words and units.
//
// Shared by the options page (which imports it for its side effect) and the panel's settings
// view (a <script> tag; paxel/panel/assets.py SHARED): like the formatter's parts it is a
// classic script and an ES module at once, and adds its functions to `globalThis.paxelServiceSettings`.
"use strict";

(function (root) {
  const MIB = 1048576;
  const DAYS = Object.freeze(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
  const DUPLICATES = Object.freeze({
    rename: "Download it again under a new name",
    ask: "Ask me (in the popup and the panel)",
    skip: "Skip it",
    resume: "Continue the unfinished one",
  });
  const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/; // paxel.service.settings._QUEUE_NAME
  const MAX_RATE = 2 ** 40; // bytes/s, paxel.ratelimit.MAX_RATE: the service refuses more
  const MAX_HOST_CAP = 1024; // paxel.service.settings: `max_connections_per_host` is 1..1024 or null
  const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
  // paxel.rules: a category's name and an extension (`tar.gz` allowed), as the service checks them
  const CATEGORY_NAME = /^[\p{L}\p{N}_-]([\p{L}\p{N} ._-]{0,62}[\p{L}\p{N}_-])?$/u;
  const EXTENSION = /^[a-z0-9]{1,16}(\.[a-z0-9]{1,16})?$/;

  /** A setting's speed (bytes/s as a number, text like "8M", or null) as MiB/s text ("" for none). */
  // "bücher.example" -> "xn--bcher-kva.example" (paxel.rules._ascii_host): the host a URL carries;
  // "*." kept; what the URL parser refuses comes back as typed, for the host check to refuse.
  function asciiHost(host) {
    if (!/[^\x00-\x7f]/.test(host)) return host;
    const wild = host.startsWith("*.") ? "*." : "";
    try {
      return wild + new URL(`http://${host.slice(wild.length)}/`).hostname;
    } catch {
      return host;
    }
  }

  function speedToField(value) {
    let bytes = value;
    if (typeof value === "string") {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)/i.exec(value);
      bytes = m ? Number(m[1]) * ({ "": 1, K: 1024, M: MIB, G: MIB * 1024 }[m[2].toUpperCase()]) : null;
    }
    if (typeof bytes !== "number" || !(bytes > 0)) return "";
    return String(Math.round((bytes / MIB) * 1000) / 1000);
  }

  const windowsToForm = (windows) => (windows || []).map((w) => ({ start: w.start, stop: w.stop, days: [...(w.days || DAYS)] }));

  /** The settings (the `settings` result) as form values. */
  function toForm(settings) {
    const s = settings || {};
    const schedule = s.schedule || {};
    const rules = s.folder_rules || {};
    return {
      maxConcurrent: String(s.max_concurrent ?? ""),
      defaultConnections: String(s.default_connections ?? ""),
      maxSpeed: speedToField(s.max_speed),
      hostCap: s.max_connections_per_host == null ? "" : String(s.max_connections_per_host),
      duplicates: s.duplicates || "rename",
      // `was`: the name the queue has in the service, so that a new name is sent as a rename
      queues: Object.entries(s.queues || {}).map(([name, q]) => ({ name, was: name, maxConcurrent: String(q.max_concurrent ?? ""),
        windows: windowsToForm(q.schedule?.windows),
        // own windows none at all (`{"windows": []}`): open at any time, whatever the global ones
        anyTime: Array.isArray(q.schedule?.windows) && !q.schedule.windows.length })),
      windows: windowsToForm(schedule.windows),
      speeds: (schedule.speeds || []).map((r) => ({ start: r.start, stop: r.stop, days: [...(r.days || DAYS)], maxSpeed: speedToField(r.max_speed) })),
      byType: rules.by_type === true,
      sites: (rules.sites || []).map((site) => ({ host: site.host, folder: site.folder })),
      categories: Object.entries(rules.categories || {}).map(([name, c]) => ({ name, extensions: (c.extensions || []).join(" "), folder: c.folder ?? name })),
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
   * plus `renamed` ({old: new}) when a queue's name changed, or {errors: [{field, message}]}.
   * `field` is the control's name ("queues.1.name"). What a form leaves out (`undefined`) is kept
   * as it is: the options page edits no categories (file types: on/off only), a queue row without
   * `windows` keeps that queue's own.
   */
  function fromForm(values, current = {}) {
    const errors = [];
    const set = {};
    set.max_concurrent = count(values.maxConcurrent, "maxConcurrent", "Downloads at once", errors);
    set.default_connections = count(values.defaultConnections, "defaultConnections", "Connections per download", errors);
    const speed = String(values.maxSpeed ?? "").trim().replace(",", ".");
    if (values.maxSpeed === undefined) { /* kept */ } else if (speed === "") set.max_speed = null;
    else {
      const n = /^\d*\.?\d+$/.test(speed) ? Number(speed) : NaN;
      if (!(n > 0) || Math.round(n * MIB) < 1024 || Math.round(n * MIB) > MAX_RATE) errors.push({ field: "maxSpeed", message: "Speed limit: a number of MiB/s above 0 and up to 1048576 (e.g. 8 or 0.5), or empty for none." });
      else set.max_speed = Math.round(n * MIB);
    }
    // connections to one site over all downloads: empty is no cap (the service's null)
    const cap = String(values.hostCap ?? "").trim();
    if (values.hostCap === undefined) { /* kept */ } else if (cap === "") set.max_connections_per_host = null;
    else if (/^\d+$/.test(cap) && Number(cap) >= 1 && Number(cap) <= MAX_HOST_CAP) set.max_connections_per_host = Number(cap);
    else errors.push({ field: "hostCap", message: `Connections per site: a whole number from 1 to ${MAX_HOST_CAP}, or empty for no cap.` });
    if (!Object.hasOwn(DUPLICATES, values.duplicates)) errors.push({ field: "duplicates", message: "Choose what happens with a duplicate." });
    else set.duplicates = values.duplicates;

    // A window's end at or before its start runs past midnight (22:00 to 06:00): not an error.
    const window = (list) => (w, i) => {
      for (const key of ["start", "stop"]) {
        if (!TIME.test(String(w[key] ?? ""))) errors.push({ field: `${list}.${i}.${key}`, message: `${key === "start" ? "From" : "To"}: a time like 02:00.` });
      }
      // a day that is not one of the seven is named, never dropped: the window would hold on fewer days than meant
      const unknown = (w.days || []).find((d) => !DAYS.includes(d));
      const days = DAYS.filter((d) => (w.days || []).includes(d));
      if (unknown !== undefined) errors.push({ field: `${list}.${i}.days`, message: `Days: “${unknown}” is not a day (${DAYS.join(", ")}).` });
      else if (!days.length) errors.push({ field: `${list}.${i}.days`, message: "Days: tick at least one." });
      return { start: w.start, stop: w.stop, days };
    };
    const queues = {};
    const renamed = {};
    const names = new Set();
    (values.queues || []).forEach((q, i) => {
      const name = String(q.name ?? "").trim();
      if (!QUEUE_NAME.test(name) || name === "main") {
        errors.push({ field: `queues.${i}.name`, message: name === "main" ? "Queue name: “main” is the default queue’s." : "Queue name: 1 to 64 letters, digits, spaces, . _ or -, the first a letter or digit." });
      } else if (names.has(name)) {
        errors.push({ field: `queues.${i}.name`, message: `Queue name: “${name}” is there twice.` });
      }
      names.add(name);
      const limit = count(q.maxConcurrent, `queues.${i}.maxConcurrent`, "Downloads at once", errors);
      // a queue's own windows: as the form has them (none: it follows the global ones), or kept
      // from `current` under the name it had when the form has none (the options page); a row
      // whose name changed is a rename (its downloads stay in it), not remove-and-add
      const was = String(q.was ?? "");
      const before = Object.hasOwn(current.queues || {}, was) ? was : name;
      const own = (current.queues || {})[before]?.schedule;
      const edited = Array.isArray(q.windows) ? q.windows.map(window(`queues.${i}.windows`)) : null;
      // an empty own list ("any time", not the global windows) as the form's anyTime says, or
      // (a form without it) as it was
      const kept = edited === null || (!edited.length && q.anyTime === undefined && own && !(own.windows || []).length);
      const schedule = kept ? own : edited.length ? { windows: edited } : q.anyTime === true ? { windows: [] } : undefined;
      if (limit !== null && QUEUE_NAME.test(name)) {
        queues[name] = { max_concurrent: limit, ...(schedule ? { schedule } : {}) };
        if (before !== name && Object.hasOwn(current.queues || {}, before)) renamed[before] = name;
      }
    });
    set.queues = queues;

    const windows = (values.windows || []).map(window("windows"));
    const speeds = (values.speeds || []).map((r, i) => {
      const text = String(r.maxSpeed ?? "").trim().replace(",", ".");
      const n = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
      if (text !== "" && !(n > 0 && Math.round(n * MIB) >= 1024 && Math.round(n * MIB) <= MAX_RATE)) errors.push({ field: `speeds.${i}.maxSpeed`, message: "Limit: a number of MiB/s above 0 and up to 1048576, or empty for none at that time." });
      return { ...window("speeds")(r, i), max_speed: text === "" ? null : Math.round(n * MIB) };
    });
    set.schedule = { windows, speeds };

    const sites = (values.sites || []).map((site, i) => {
      const host = asciiHost(String(site.host ?? "").trim().toLowerCase());
      const folder = String(site.folder ?? "").trim();
      if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
        errors.push({ field: `sites.${i}.host`, message: "Site: a host name like example.org or *.example.org." });
      }
      if (!folder) errors.push({ field: `sites.${i}.folder`, message: "Folder: a name inside the default folder, or a full path." });
      return { host, folder };
    });
    const rules = current.folder_rules || {};
    set.folder_rules = { ...rules, by_type: values.byType === true, sites };
    if (Array.isArray(values.categories)) set.folder_rules.categories = categories(values.categories, errors);
    if (errors.length) return { errors };
    return Object.keys(renamed).length ? { set, renamed } : { set };
  }

  /**
   * A window in words, as paxel.service.schedule holds it: "Fri, Sat: 22:00 to 06:00 the next day";
   * the same start and end is a whole day ("Sun: 24 hours from 02:00"), which a slip of the
   * hand would make too, so the form says it. "" while a time or the days are not right.
   */
  function windowWords(w) {
    const days = DAYS.filter((d) => (w?.days || []).includes(d));
    if (!TIME.test(String(w?.start ?? "")) || !TIME.test(String(w?.stop ?? "")) || !days.length) return "";
    const on = days.length === DAYS.length ? "every day," : `${days.map((d) => d.charAt(0).toUpperCase() + d.slice(1)).join(", ")}:`;
    if (w.start === w.stop) return `${on} 24 hours from ${w.start}`;
    return `${on} ${w.start} to ${w.stop}${w.stop < w.start ? " the next day" : ""}`;
  }

  /** Folders by file type ({name, extensions: "iso img", folder}) as settings' `categories`. */
  function categories(rows, errors) {
    const out = {};
    const owner = {}; // extension -> the category it is in
    rows.forEach((row, i) => {
      const name = String(row.name ?? "").trim();
      if (!CATEGORY_NAME.test(name)) errors.push({ field: `categories.${i}.name`, message: "Type: 1 to 64 letters, digits, spaces, . _ or -." });
      else if (Object.hasOwn(out, name)) errors.push({ field: `categories.${i}.name`, message: `Type: “${name}” is there twice.` });
      // "*.iso .IMG, tar.gz" -> iso img tar.gz
      const extensions = [...new Set(String(row.extensions ?? "").toLowerCase().split(/[\s,;]+/).map((e) => e.replace(/^\*?\./, "")).filter(Boolean))];
      const bad = extensions.find((e) => !EXTENSION.test(e));
      const taken = extensions.find((e) => Object.hasOwn(owner, e));
      if (bad !== undefined || !extensions.length) {
        errors.push({ field: `categories.${i}.extensions`, message: bad === undefined ? "Extensions: at least one, like iso or tar.gz." : `Extensions: “${bad}” is not one (like iso or tar.gz).` });
      } else if (taken !== undefined) {
        // the service would send it to the first category that has it: say so instead
        errors.push({ field: `categories.${i}.extensions`, message: `Extensions: ${taken} is in ${owner[taken]} already; a type has one folder.` });
      }
      for (const e of extensions) owner[e] ??= name || `row ${i + 1}`;
      const folder = String(row.folder ?? "").trim();
      if (!folder) errors.push({ field: `categories.${i}.folder`, message: "Folder: a name inside the default folder, or a full path." });
      if (CATEGORY_NAME.test(name)) out[name] = { extensions: extensions.sort(), folder };
    });
    return out;
  }

  /**
   * The form's field a service error names (its message starts with the settings path, e.g.
   * "settings: `queues.night` must be …" or "schedule.windows[1].start: …"), or null.
   */
  function fieldOfServiceError(message, values) {
    const text = String(message ?? "");
    const category = /categories\.([^`:]+?)(\.folder|\.extensions)?(?:[`:]|$)/.exec(text);
    if (category) {
      const i = (values.categories || []).findIndex((c) => String(c.name).trim() === category[1]);
      return i >= 0 ? `categories.${i}.${category[2] ? category[2].slice(1) : "name"}` : null;
    }
    const own = /queues\.([^`:\s]+?)\.schedule`?\.windows\[(\d+)\]\.?(start|stop|days)?/.exec(text);
    if (own) {
      const i = (values.queues || []).findIndex((q) => String(q.name).trim() === own[1]);
      return i >= 0 ? `queues.${i}.windows.${own[2]}.${own[3] ?? "start"}` : null;
    }
    // "speeds[0].start: …" or "speeds[0]: `max_speed` must …"
    const window = /(windows|speeds)\[(\d+)\](?:\.|: `)?(start|stop|days|max_speed)?/.exec(text);
    if (window) return `${window[1]}.${window[2]}.${{ max_speed: "maxSpeed", undefined: "start" }[window[3]] ?? window[3]}`;
    const site = /sites\[(\d+)\]\.?(host|folder)?/.exec(text);
    if (site) return `sites.${site[1]}.${site[2] ?? "host"}`;
    const queue = /queues\.([^`:\s]+)/.exec(text);
    if (queue) {
      const i = (values.queues || []).findIndex((q) => String(q.name).trim() === queue[1]);
      return i >= 0 ? `queues.${i}.maxConcurrent` : null;
    }
    for (const [key, field] of [["max_connections_per_host", "hostCap"], ["max_concurrent", "maxConcurrent"], ["default_connections", "defaultConnections"], ["max_speed", "maxSpeed"], ["duplicates", "duplicates"], ["sites", "sites.0.host"]]) {
      if (text.includes(key)) return field;
    }
    return null;
  }

  /**
   * A service error in the form's words, for the field `fieldOfServiceError` found: without the
   * settings file's path and key ("/home/u/.config/paxel/settings.json: `folder_rules`.sites[1].folder:
   * /etc is not inside …" -> "Folder: /etc is not inside …").
   */
  function serviceErrorText(message, field) {
    const text = String(message ?? "").replace(/^.*?\.json: /, "").replace(/^`[^`]+`(\.[^:`{}"]*)?: /, "");
    const label = { host: "Site", folder: "Folder", extensions: "Extensions" }[String(field ?? "").split(".").pop()];
    return label ? `${label}: ${text}` : text;
  }

  // A Save's three-way merge: the form was drawn from `base` (a `set` as fromForm gives it for
  // the settings then) and holds `mine`; `latest` is the same for the settings now, which the
  // CLI (`paxel queue`), the options page or a hand edit may have changed meanwhile. Sending
  // `mine` whole would undo their changes (a queue added by `paxel queue add` gone again), so
  // each setting - a key; inside queues, schedule and folder_rules each queue, list or rule -
  // the form left as drawn takes latest's, one the form changed takes the form's, and one
  // changed on both sides, differently, is a conflict: named, not sent, and then seen (in the
  // returned `base`) so that a second Save replaces it deliberately.
  const NESTED = new Set(["queues", "schedule", "folder_rules"]);
  const canonical = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));
  const same = (a, b) => canonical(a) === canonical(b);

  /**
   * {set, renamed, conflicts, base}: `set` holds only the keys whose merged value differs from
   * `latest` (what the `settings` request should send), `renamed` the renames still possible,
   * `conflicts` paths like "queues.day" or "max_concurrent", `base` the base with them seen.
   */
  function mergeSaved(mine, base, latest, renamed = {}) {
    const conflicts = [];
    const seen = structuredClone(base);
    const pick = (m, b, l, path, into, key) => {
      if (same(m, b)) return l;
      if (!same(l, b) && !same(l, m)) {
        conflicts.push(path);
        into[key] = l;
      }
      return m;
    };
    const set = {};
    for (const key of Object.keys(mine)) {
      let merged;
      if (NESTED.has(key)) {
        const [m, b, l] = [mine[key] ?? {}, base[key] ?? {}, latest[key] ?? {}];
        merged = {};
        seen[key] = { ...(seen[key] ?? {}) };
        for (const name of new Set([...Object.keys(m), ...Object.keys(l), ...Object.keys(b)])) {
          const value = pick(m[name], b[name], l[name], `${key}.${name}`, seen[key], name);
          if (value !== undefined) merged[name] = value;
        }
      } else {
        merged = pick(mine[key], base[key], latest[key], key, seen, key);
      }
      if (!same(merged, latest[key])) set[key] = merged;
    }
    const renames = {};
    for (const [old, name] of Object.entries(renamed || {})) {
      if (Object.hasOwn(latest.queues || {}, old)) renames[old] = name;
      else if (Object.hasOwn(base.queues || {}, old)) { // removed elsewhere: its downloads are in main now
        if (!conflicts.includes(`queues.${old}`)) conflicts.push(`queues.${old}`);
        delete seen.queues[old];
      }
    }
    return { set, renamed: renames, conflicts, base: seen };
  }

  /** A conflict's path ("queues.day", "schedule.windows") in the form's words. */
  function conflictText(path) {
    const [key, name] = String(path).split(/\.(.*)/s);
    if (key === "queues") return `queue “${name}”`;
    return { max_concurrent: "downloads at once", default_connections: "connections per download", max_speed: "speed limit",
      max_connections_per_host: "connections per site", duplicates: "duplicates", "schedule.windows": "schedule windows", "schedule.speeds": "speed limits by time",
      "folder_rules.by_type": "folders by type", "folder_rules.sites": "folders by site", "folder_rules.categories": "file types" }[path] ?? path;
  }

  root.paxelServiceSettings = Object.freeze({ DAYS, DUPLICATES, speedToField, toForm, fromForm, fieldOfServiceError, serviceErrorText,
    mergeSaved, conflictText, windowWords });
})(globalThis);
