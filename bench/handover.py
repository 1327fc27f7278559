"""The two-phase hand-over's cost: click → the browser's download cancelled, in real Chromium.

Run with `.venv/bin/python bench/handover.py [--rounds N]` (about 3 s per round). In an isolated
paxel (the tests' PaxelEnv) with headless Chromium and paxel's extension (the e2e helpers), each
round clicks a link to a 4 MiB file on a loopback nginx and measures, on one clock (ms since the
epoch: the bench's time.time() and the service worker's Date.now()):
  - "click → taken": from just before the CDP mouse event to the extension's decision (its
    trace entry is written once paxel answered `taken`: paxel's first request is in it);
  - "click → cancel": to Chromium reporting the held download `interrupted` (the extension
    cancels it right after `taken`).
Rounds alternate "warm" (service running, native port open) and "cold service" (the service
stopped before the click: the native host starts it again for the `take`). Medians and every
round are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
sys.path.insert(0, str(TOP / "tests" / "e2e"))

from browser_chromium import Chromium  # noqa: E402 - the tests' helpers, shared on purpose

from support.nginx import Nginx  # noqa: E402
from support.paxel_env import PaxelEnv  # noqa: E402

MIB = 1 << 20

# Installed in the worker: when Chromium says a download was interrupted (cancelled).
PROBE_JS = """
globalThis.__bench = {cancel: {}};
chrome.downloads.onChanged.addListener((d) => {
  if (d.state && d.state.current === "interrupted") globalThis.__bench.cancel[d.id] = Date.now();
});
true
"""


def one_round(browser: Chromium, env: PaxelEnv, nginx: Nginx, n: int, cold: bool,
              attribute: str = "") -> dict[str, Any]:
    name = f"bench-{n}.bin"
    nginx.add_file(name, 4 * MIB)
    url = nginx.url(name)
    page_url = nginx.url(f"bench-{n}.html")
    nginx.add_file(f"bench-{n}.html", content=(
        f'<!doctype html><a id=dl href="{url}" {attribute} style="font-size:40px">x</a>').encode())
    if cold:
        env.stop_service()
    page = browser.open_page(page_url)
    clicked = time.time() * 1000
    browser.click(page, "#dl")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = browser.in_extension(
            "chrome.storage.session.get('trace').then(s => ({trace: (s.trace || [])[0] || null,"
            " cancel: globalThis.__bench.cancel}))")
        decision = state["trace"]
        if decision and decision["url"] == url and state["cancel"]:
            cancelled = max(state["cancel"].values())
            browser.in_extension("(globalThis.__bench.cancel = {}, true)")
            return {"cold": cold, "click_to_cancel_ms": round(cancelled - clicked, 1),
                    "click_to_taken_ms": round(decision["at"] - clicked, 1), "to": decision["to"]}
        time.sleep(0.01)
    raise TimeoutError(f"round {n}: no cancel; trace {state}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds (alternating warm and cold)")
    parser.add_argument("--download-attribute", action="store_true",
                        help="links with a `download` attribute (Chromium fetches them as no navigation)")
    args = parser.parse_args()
    attribute = "download" if args.download_attribute else ""
    env = PaxelEnv()
    nginx = Nginx()  # the plain /files/ location: not rate-limited
    browser = None
    try:
        profile = env.root / "chromium-0" / "chromium-profile"
        profile.mkdir(parents=True)
        env.paxel("install", "--user-data-dir", str(profile))
        browser = Chromium(env.root / "chromium-0", env.env)
        browser.in_extension(PROBE_JS)
        browser.in_extension(f"chrome.storage.sync.set({{settings: {json.dumps({'minSize': 0})}}})")
        one_round(browser, env, nginx, 0, cold=False, attribute=attribute)  # warm-up: service, port
        rows = [one_round(browser, env, nginx, n, cold=n % 2 == 0, attribute=attribute)
                for n in range(1, args.rounds + 1)]
    finally:
        if browser is not None:
            browser.close()
        nginx.stop()
        env.cleanup()
    for row in rows:
        print(json.dumps(row))
    for cold in (False, True):
        picked = [r for r in rows if r["cold"] == cold]
        if picked:
            cancel = statistics.median(r["click_to_cancel_ms"] for r in picked)
            taken = statistics.median(r["click_to_taken_ms"] for r in picked)
            print(f"{'cold service' if cold else 'warm'}: click → taken median {taken:.0f} ms, "
                  f"click → cancel median {cancel:.0f} ms ({len(picked)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
