import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// The page scripts need a DOM and are driven in real browsers (tests/e2e); a syntax error there
// would only show as a page that never draws. This catches it in a second.
const pages = ["../background.js", "../popup/popup.js", "../popup/handover.js", "../options/options.js",
  "../../host/paxel/panel_assets/panel.js", "../../host/paxel/panel_assets/rows.js",
  "../../host/paxel/panel_assets/setup.js", "../../host/paxel/panel_assets/queueview.js", "../lib/formfields.js"];

for (const page of pages) {
  test(`${page} parses`, () => {
    const path = fileURLToPath(new URL(page, import.meta.url));
    assert.doesNotThrow(() => execFileSync(process.execPath, ["--check", path], { stdio: "pipe" }));
  });
}
