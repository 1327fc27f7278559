// paxel's one visual language for the popup, the background (badge) and the panel: numbers,
// names, states and buttons as people read them. Pure: no DOM, no browser API.
//
// The extension imports this file for its side effect; it gathers the parts, one concept each,
// into the one namespace `globalThis.paxelFormat`:
//   units.js       sizes, speeds, durations, the ETA, clock times
//   names.js       a download's name and site, the middle cut, the file-type tile
//   advice.js      a failed download's error in words and what to do
//   states.js      state words, bars, lifecycle buttons, totals, bulk actions, events
//   speedgraph.js  speed over time as an SVG path
// Each part is ONE source file that runs as a classic script too (no `import`, no `export`): the
// panel's page loads the parts from <script> tags (host/paxel/panel_assets/index.html; the
// wheel build copies them, paxel/panel/assets.py SHARED) and finds the same namespace. This file
// is the extension's list of them; tests/unit/test_panel_assets.py checks the panel loads the
// same. The CLI (host/paxel/humanize.py) follows the same rules: tests/support/format_golden.json
// holds the examples that node's tests and pytest both check.
import "./units.js";
import "./names.js";
import "./advice.js";
import "./states.js";
import "./speedgraph.js";

Object.freeze(globalThis.paxelFormat);
