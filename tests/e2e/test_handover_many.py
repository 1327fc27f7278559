"""A page that starts many downloads at once, in real Chromium with paxel's extension: 50 real
clicks in a row on 50 links whose server answers each request after 200 ms, so the takes
overlap. Every file must end up exactly once (in paxel's folder or in the browser's, the
exact bytes), none lost, none twice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from browser_chromium import Chromium

from conftest import paxel_list, wait_for
from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

pytestmark = pytest.mark.browser

COUNT = 50
KiB = 1024


def test_fifty_clicks_at_once_each_file_ends_up_exactly_once(
        chromium: Chromium, paxel_env: PaxelEnv, nginx: Nginx, faultserver: FaultServer) -> None:
    paxel_env.write_settings(open_panel_on_add=False)
    chromium.in_extension(f"chrome.storage.sync.set({{settings: {json.dumps({'minSize': 0})}}})")
    urls = [faultserver.url(f"many-{i}.bin", size=64 * KiB + i, delay=200) for i in range(COUNT)]
    links = "".join(f'<a id="l{i}" href="{u}" style="display:inline-block;width:70px;height:40px">{i}</a>'
                    for i, u in enumerate(urls))
    html = f"<!doctype html><meta charset=utf-8><body style=margin:0>{links}"
    nginx.add_file("many.html", content=html.encode())
    tab = chromium.open_page(nginx.url("many.html"))
    # What the browser itself made a download of: a click that comes before the previous link's
    # answer cancels that navigation in the browser (with or without paxel): no download at all.
    chromium.in_extension("(globalThis.__created = [], chrome.downloads.onCreated.addListener("
                          "(d) => globalThis.__created.push(d.finalUrl || d.url)), true)")

    for i in range(COUNT):
        chromium.click(tab, f"#l{i}")

    def places() -> dict[str, list[Path]] | None:
        found: dict[str, list[Path]] = {u: [] for u in urls}
        created = set(chromium.in_extension("globalThis.__created"))
        busy = False
        for item in chromium.downloads_listed():
            if item["url"] in found and item["state"] == "complete":
                found[item["url"]].append(Path(item["filename"]))
            busy |= item["state"] == "in_progress"
        for view in paxel_list(paxel_env):
            busy |= view["state"] not in ("completed", "failed", "cancelled")
            if view["url"] in found and view["state"] == "completed":
                found[view["url"]].append(Path(view["path"]))
        done = all(found[u] for u in created) and not busy
        return {u: found[u] for u in urls if u in created or found[u]} if done else None

    found = wait_for(places, 60, "every download the browser made to end in paxel or the browser")
    assert len(found) >= COUNT * 3 // 4, f"the browser made only {len(found)} downloads of {COUNT} clicks"
    for url, paths in found.items():
        assert len(paths) == 1, (url, paths)
        assert hashlib.sha256(paths[0].read_bytes()).hexdigest() == faultserver.sha256(url), url
    mine = {p for paths in found.values() for p in paths}
    extra = sorted(p.name for p in chromium.downloads.iterdir() if p not in mine)
    assert extra == [], extra
    taken = sum(1 for v in paxel_list(paxel_env) if v["state"] == "completed")
    print(f"\n{len(found)} downloads of {COUNT} clicks: {taken} with paxel, "
          f"{len(found) - taken} with the browser")
