// What the popup's and the panel's lists do beyond drawing a row (format.js draws it): search and
// filter the history, move through rows with the keyboard, queue positions and the panel's queue
// overview, per-connection speeds in the segment map, the link in what was pasted or dropped, the
// words a screen reader says for a row. Pure: no DOM, no browser API.
//
// ONE source file, shared like format.js (classic script and module alike, no `export`): the
// extension imports it for its side effect, the panel gets a copy (paxel/panel/assets.py SHARED).
// Both find the API as `globalThis.paxelListing`.
"use strict";

(function (root) {
  // ---- history: search and filter ----

  // The filter choices the history offers: which states each one shows.
  const HISTORY_FILTERS = Object.freeze({
    all: { label: "All", states: null },
    completed: { label: "Finished", states: ["completed"] },
    failed: { label: "Failed", states: ["failed"] },
    cancelled: { label: "Cancelled", states: ["cancelled"] },
    missing: { label: "File missing", states: ["missing"] },
  });

  function words(text) {
    return String(text ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  }

  /**
   * Does `view` match the search `query` (every word, case-insensitive, in its name, site or
   * link) and the filter `filter` (a HISTORY_FILTERS key; unknown keys show everything)?
   * `name` is the name the row shows (format.js displayName).
   */
  function matches(view, name, query, filter) {
    const spec = HISTORY_FILTERS[filter];
    if (spec && spec.states && !spec.states.includes(view.state)) return false;
    const haystack = [name, view.url, view.final_url, view.path].filter(Boolean).join(" ").toLowerCase();
    return words(query).every((word) => haystack.includes(word));
  }

  // ---- keyboard ----

  /**
   * The row that gets the focus after `key` on row `index` of `count` rows (-1: none has it yet),
   * or null when the key does not move between rows.
   */
  function nextRow(key, index, count) {
    if (!(count > 0)) return null;
    const last = count - 1;
    switch (key) {
      case "ArrowDown": return index < 0 ? 0 : Math.min(last, index + 1);
      case "ArrowUp": return index < 0 ? last : Math.max(0, index - 1);
      case "Home": return 0;
      case "End": return last;
      case "PageDown": return index < 0 ? 0 : Math.min(last, index + 5);
      case "PageUp": return index < 0 ? 0 : Math.max(0, index - 5);
      default: return null;
    }
  }

  /**
   * What a key on a focused row does, as a lifecycle action to look for in the row's buttons
   * (the row only offers what its state allows): Enter opens a finished file or resumes, Space
   * pauses or resumes, Delete removes an ended one from the list (never a running one: that
   * would throw its bytes away on one key).
   */
  function keyAction(key, state) {
    if (key === "Enter") return state === "completed" ? "open" : state === "paused" ? "resume" : null;
    if (key === " " || key === "Spacebar") return state === "paused" ? "resume" : ["queued", "running"].includes(state) ? "pause" : null;
    if (key === "Delete") return ["completed", "failed", "cancelled", "missing"].includes(state) ? "remove" : null;
    return null;
  }

  // ---- the queue ----

  /**
   * Each queued download's place in its queue: id -> 1, 2, ... The service's `queue_position`
   * when it sends one (moves and priorities order it), else the order of arrival within each
   * queue, as the service starts them (oldest first).
   */
  function queuePositions(views) {
    const queued = views.filter((v) => v.state === "queued");
    if (queued.every((v) => Number.isInteger(v.queue_position))) {
      return new Map(queued.map((v) => [v.download_id, v.queue_position]));
    }
    const counts = new Map();
    const places = new Map();
    for (const v of [...queued].sort((a, b) => (a.created_at || 0) - (b.created_at || 0))) {
      const queue = v.queue || "main";
      counts.set(queue, (counts.get(queue) || 0) + 1);
      places.set(v.download_id, counts.get(queue));
    }
    return places;
  }

  /** "#2 in line" ("#2 in night" for a named queue; `main` is the default one). */
  function queueText(position, queue) {
    if (!Number.isInteger(position)) return "";
    return queue && queue !== "main" && queue !== "default" ? `#${position} in ${queue}` : `#${position} in line`;
  }

  // The queue's own actions (lifecycle rows start_now, move_*): the panel offers them; the popup,
  // compact, leaves them out (it has the global limit and Pause all / Resume all).
  const QUEUE_ACTIONS = Object.freeze(["start_now", "move_top", "move_up", "move_down", "move_bottom"]);

  /** What a queued download waits for, in words ("" when its place in line says it all). */
  function waitingText(fmt, view, now) {
    const waiting = view.state === "queued" ? view.waiting : null;
    if (!waiting || typeof waiting !== "object") return "";
    if (waiting.for === "schedule") {
      const at = fmt.clockText(waiting.until, now);
      return at ? `waits for its schedule (opens ${at})` : "waits for its schedule";
    }
    if (waiting.for === "duplicate") return "waits for your answer";
    return "";
  }

  // ---- the panel's queue overview (the `queues` reply) ----

  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const count = (n) => (Number.isInteger(n) && n >= 0 ? String(n) : "?");

  /** A moment of the schedule in local time, as the CLI says it: "06:00" today, "tomorrow 02:00", "Sat 00:00". */
  function scheduleClock(fmt, unixSeconds, now) {
    const text = fmt.clockText(unixSeconds, now);
    if (!text || !Number.isFinite(now)) return text;
    const at = new Date(unixSeconds * 1000);
    const time = text.slice(-5);
    const midnight = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const days = Math.round((midnight(at) - midnight(new Date(now * 1000))) / 86400000);
    if (days === 0) return time;
    if (days === 1) return `tomorrow ${time}`;
    return days > 1 && days < 7 ? `${WEEKDAYS[at.getDay()]} ${time}` : text;
  }

  /**
   * The panel's overview of the queues from the `queues` reply (docs/protocol.md): `rows`, one
   * per queue, `main` first, as text ({name, atOnce, running, waiting, window, open}); `limit`,
   * the speed over all downloads that holds now (a time-of-day rule's or the one set); `quiet`
   * when it would only repeat the header (only `main`, open at any time, no limit).
   */
  function queueOverview(fmt, reply, now) {
    const queues = Array.isArray(reply?.queues) ? reply.queues.filter((q) => q && typeof q === "object") : [];
    const speed = typeof reply?.max_speed === "number" ? fmt.formatSpeed(reply.max_speed) : "";
    const rows = queues.map((q) => {
      const own = q.schedule === "own" ? " (own windows)" : "";
      const open = q.open === true;
      const next = scheduleClock(fmt, open ? q.next_close : q.next_open, now);
      const window = open ? (next ? `open until ${next}` : "open") : (next ? `closed, opens ${next}` : "closed, no window within a week");
      return { name: String(q.name ?? "?"), atOnce: count(q.max_concurrent), running: count(q.running), waiting: count(q.queued), window: window + own, open };
    });
    const quiet = !speed && rows.length === 1 && rows[0].open && rows[0].window === "open";
    return { rows, limit: speed ? `${speed} over all downloads` : "no limit", quiet };
  }

  /**
   * Seconds until the overview asks the `queues` request again by itself: a second after the
   * first window change the reply names, at most 30 (a time-of-day speed limit changes with no
   * event); 1 when a change it names is already past (the reply left the service just before
   * its once-a-second look at the clock made it). A failed or odd reply: 30, never given up.
   */
  function queueRecheck(reply, now) {
    const queues = reply && reply.ok && Array.isArray(reply.queues) ? reply.queues.filter((q) => q && typeof q === "object") : [];
    const changes = queues.flatMap((q) => [q.next_open, q.next_close]).filter((t) => typeof t === "number" && Number.isFinite(t));
    return Math.min(30, ...changes.map((t) => (t > now ? t - now + 1 : 1)));
  }

  // ---- duplicates asked about (settings `duplicates: ask`) ----

  const DUPLICATE_CHOICES = Object.freeze({
    rename: "Download again",
    skip: "Skip",
    resume: "Continue the unfinished one",
  });

  /**
   * The question a held duplicate asks: {text, choices: [{choice, label}]}, or null. `resume` only
   * where there is an unfinished download to continue.
   */
  function duplicateQuestion(fmt, view) {
    const dup = view.duplicate;
    if (!dup || typeof dup !== "object") return null;
    const where = dup.path ? ` (${dup.path})` : "";
    const text = {
      done: `paxel already downloaded this file${where}.`,
      unfinished: `An unfinished download of this file exists${where}.`,
      name: `A file named ${fmt.displayName(view)} is already in its folder.`,
    }[dup.kind] || "paxel already has this file.";
    const choices = ["rename", "skip", ...(dup.kind === "unfinished" ? ["resume"] : [])]
      .map((choice) => ({ choice, label: DUPLICATE_CHOICES[choice] }));
    return { text: `${text} Download it again under a new name?`, choices };
  }

  // ---- the segment map: one speed per connection ----

  /**
   * Bytes per second of each segment of `view` since `previous` ({at, segments} of the same
   * download, `at` in seconds), matched by start offset (a split keeps its start); null where
   * there is nothing to compare (new segment, no time passed, a segment that finished).
   */
  function segmentRates(previous, view, now) {
    const segments = Array.isArray(view.segments) ? view.segments : [];
    if (!previous || !(now > previous.at)) return segments.map(() => null);
    const before = new Map((previous.segments || []).map(([start, , done]) => [start, done]));
    return segments.map(([start, end, done]) => {
      const was = before.get(start);
      if (typeof was !== "number" || done >= end - start) return null;
      return Math.max(0, (done - was) / (now - previous.at));
    });
  }

  /**
   * Which connections are slow: under half the median of the others that move (at least 3
   * connections with a rate: with two, which one is "slow" says little). One marked slow last
   * time (`wasSlow[i]`) keeps its mark until it reaches two thirds of the median. Servers send in
   * bursts (nginx 256 KiB at a time, 0.85 s apart at 300 KiB/s): over a couple of seconds a
   * connection 3.4 times slower than its peers measures 2 to 5 times slower, so with one
   * threshold its mark went on and off every second; and the engine replaces a connection 4
   * times slower (segments.slow_owners), so a mark from 3 times slower showed a band narrower
   * than that blur, where a connection was mostly either unmarked or already replaced.
   */
  function slowSegments(rates, wasSlow = []) {
    const known = rates.filter((r) => typeof r === "number");
    if (known.length < 3) return rates.map(() => false);
    const sorted = [...known].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return rates.map((r, i) => typeof r === "number" && median > 0 && r < median / (wasSlow[i] === true ? 1.5 : 2));
  }

  /**
   * What the segment map shows, in words for a screen reader: the connections still receiving
   * (a finished block stays drawn but no longer has a connection: after a replacement the map
   * said "5 connections" while 4 ran) and how many of them are slow.
   */
  function segmentMapLabel(segments, slow) {
    const receiving = segments.map((seg, i) => ({ seg, slow: slow[i] === true }))
      .filter(({ seg }) => Array.isArray(seg) && seg.length === 3 && Number(seg[2]) < Number(seg[1]) - Number(seg[0]));
    if (!receiving.length) return "";
    const slowCount = receiving.filter((s) => s.slow).length;
    return `${receiving.length} connection${receiving.length === 1 ? "" : "s"}${slowCount ? `, ${slowCount} slow` : ""}`;
  }

  // ---- the Add box ----

  /** Every http(s) link in pasted or dropped text, in order (a text/uri-list's comment lines skipped). */
  function linksFromText(text) {
    const links = [];
    for (const line of String(text ?? "").split(/\r?\n/)) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith("#")) continue;
      for (const found of trimmed.matchAll(/https?:\/\/[^\s<>"']+/gi)) {
        try {
          const url = new URL(found[0].replace(/[),.;:!?]+$/, "")); // the sentence's, not the link's
          if (url.protocol === "http:" || url.protocol === "https:") links.push(url.href);
        } catch {
          // not a URL after all: look further
        }
      }
    }
    return links;
  }

  /** The first http(s) link in pasted or dropped text, or null. */
  function linkFromText(text) {
    return linksFromText(text)[0] ?? null;
  }

  /**
   * The Add box's fields checked: {request: {url, folder?, connections?}} or {errors: {field:
   * message}}, in the words and units the box shows. `connections` "" is the service's default.
   */
  function addRequest(fields, maxConnections = 32) {
    const errors = {};
    const links = linksFromText(fields.url);
    const url = links[0] ?? null;
    if (!url) errors.url = "Paste or drop a link that starts with http:// or https://.";
    // one of several, added in silence, would lose the others: the user picks
    else if (links.length > 1) errors.url = `That is ${links.length} links: add them one at a time.`;
    const request = { url };
    const text = String(fields.connections ?? "").trim();
    if (text !== "") {
      const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > maxConnections) errors.connections = `Connections: a whole number from 1 to ${maxConnections}.`;
      else request.connections = n;
    }
    if (fields.folder) request.folder = String(fields.folder);
    return Object.keys(errors).length ? { errors } : { request };
  }

  // ---- speed limits, typed in MiB/s ----

  const MIB = 1048576;
  const MAX_SPEED = 2 ** 40; // the protocol's bound (docs/protocol.md, `limit`)

  /**
   * A speed-limit field (MiB/s, as the field says) to the `limit` request's `max_speed`:
   * {max_speed: bytes/s or null (empty: no limit)} or {error} in the field's own unit.
   */
  function speedFromField(text) {
    const t = String(text ?? "").trim().replace(",", ".");
    if (t === "") return { max_speed: null };
    const n = /^\d*\.?\d+$/.test(t) ? Number(t) : NaN;
    if (!(n > 0)) return { error: "Speed limit: a number of MiB/s above 0 (e.g. 2 or 0.5), or empty for none." };
    const bytes = Math.round(n * MIB);
    if (bytes < 1024) return { error: "Speed limit: at least 0.001 MiB/s." };
    if (bytes > MAX_SPEED) return { error: `Speed limit: at most ${MAX_SPEED / MIB} MiB/s.` };
    return { max_speed: bytes };
  }

  /** What a speed-limit field shows for `max_speed` (bytes/s): "2", "0.5"; "" for none. */
  function fieldFromSpeed(bytes) {
    if (typeof bytes !== "number" || !(bytes > 0)) return "";
    return String(Math.round((bytes / MIB) * 1000) / 1000);
  }

  // ---- after a download completes (the panel only: it runs programs, never set from a browser) ----

  const AFTER_ACTIONS = Object.freeze({ none: "Nothing", open: "Open the file", reveal: "Show it in its folder", command: "Run a command" });

  /**
   * The panel's after-completion fields to the `after_completion` request's `set`: the command is
   * one argument per line (the program first; `{path}` is the file), never a shell line.
   * {set} or {errors: {field: message}}.
   */
  function afterFromFields(fields) {
    const errors = {};
    const action = Object.hasOwn(AFTER_ACTIONS, fields.action) ? fields.action : null;
    if (!action) errors.action = "Choose what paxel does.";
    const command = String(fields.command ?? "").split(/\r?\n/).map((a) => a.trim()).filter(Boolean);
    if (action === "command" && !command.length) errors.command = "Command: the program on the first line, then one argument per line.";
    const text = String(fields.timeout ?? "").trim();
    const timeout = text === "" ? 600 : /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(timeout >= 1 && timeout <= 86400)) errors.timeout = "Time limit: whole seconds from 1 to 86400.";
    return Object.keys(errors).length ? { errors } : { set: { action, command, timeout } };
  }

  /** The request's `after_completion` as the panel's fields. */
  function afterToFields(after) {
    const a = after || {};
    return { action: a.action || "none", command: (a.command || []).join("\n"), timeout: String(Math.round(a.timeout ?? 600)) };
  }

  // ---- screen readers ----

  /** What a screen reader says for a row: "movie.bin, downloading, 1.2/5.0 GiB (24%), 2.0 MiB/s, 0:47 left". */
  function rowLabel(fmt, view, now) {
    const parts = [fmt.displayName(view), fmt.stateText(view), fmt.sizeText(view)];
    if (view.state === "running") parts.push(fmt.formatSpeed(view.speed), fmt.formatEta(view.eta), fmt.retryText(view, now));
    const advice = fmt.advice(view);
    if (advice) parts.push(advice.text);
    return parts.filter(Boolean).join(", ");
  }

  root.paxelListing = Object.freeze({
    HISTORY_FILTERS, matches, nextRow, keyAction, queuePositions, queueText, segmentRates, slowSegments, segmentMapLabel,
    linkFromText, linksFromText, addRequest, rowLabel, speedFromField, fieldFromSpeed, QUEUE_ACTIONS, waitingText, queueOverview, queueRecheck,
    duplicateQuestion, AFTER_ACTIONS, afterFromFields, afterToFields,
  });
})(globalThis);
