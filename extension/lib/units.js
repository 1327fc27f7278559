// Part of paxel's one formatter (lib/format.js): the numbers people read — sizes, speeds,
// durations, the ETA and clock times. Pure: no DOM, no browser API.
//
// Like every part it is a classic script and an ES module at once (no `import`, no `export`):
// the panel's WebKit runs it from a <script> tag, the extension imports it for its side effect.
// It adds its functions to the one namespace `globalThis.paxelFormat`. The CLI
// (host/paxel/humanize.py) follows the same rules: tests/support/format_golden.json holds the
// examples that node's tests and pytest both check.
"use strict";

(function (root) {
  const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

  function number(value) {
    // 99.96 would print as "100.0": decide on the rounded value (humanize._number)
    return Math.round(value * 10) / 10 >= 100 ? value.toFixed(0) : value.toFixed(1);
  }

  /** 4096 -> "4.0 KiB"; 512 -> "512 B"; binary units, one decimal below 100. */
  function formatSize(bytes) {
    if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "?";
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit && Math.round(value) >= 1024 && unit < UNITS.length - 1) { // 1023.99 KiB reads "1.0 MiB"
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${Math.trunc(value)} B` : `${number(value)} ${UNITS[unit]}`;
  }

  /** "1.2/5.0 GiB" when both share a unit, else "512 KiB/5.0 GiB". */
  function formatPair(done, total) {
    const a = formatSize(done);
    const b = formatSize(total);
    const [aNum, aUnit] = a.split(" ");
    return aUnit === b.split(" ")[1] ? `${aNum}/${b}` : `${a}/${b}`;
  }

  /** "81.2 MiB/s"; "" when nothing moves. */
  function formatSpeed(bytesPerSecond) {
    if (typeof bytesPerSecond !== "number" || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
    return `${formatSize(bytesPerSecond)}/s`;
  }

  /** 62 -> "1:02"; 3725 -> "1:02:05"; "" when unknown. */
  function formatDuration(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
    const whole = Math.round(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  /** The one ETA style: "0:47 left". */
  function formatEta(seconds) {
    const d = formatDuration(seconds);
    return d ? `${d} left` : "";
  }

  const pad = (n) => String(n).padStart(2, "0");

  /** "14:52" today (local time), "2026-11-29 14:52" another day; "" when unknown. */
  function clockText(unixSeconds, now) {
    if (typeof unixSeconds !== "number" || !Number.isFinite(unixSeconds)) return "";
    const at = new Date(unixSeconds * 1000);
    const today = new Date(now * 1000);
    const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
    return at.toDateString() === today.toDateString()
      ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
  }

  Object.assign((root.paxelFormat ??= {}), { formatSize, formatPair, formatSpeed, formatDuration, formatEta, clockText });
})(globalThis);
