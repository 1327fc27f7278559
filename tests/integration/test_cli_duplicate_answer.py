"""A user of the CLI alone with `duplicates: ask`: `paxel list` says a download is held for an
answer and how to give it, and `paxel queue answer` gives it (before, only the popup and the
panel could: the download waited `queued` forever, `paxel list` said nothing why)."""

from __future__ import annotations

import json

from support.nginx import Nginx
from support.paxel_env import PaxelEnv


def test_a_held_duplicate_is_shown_and_answered_from_the_cli(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    paxel_env.write_settings(duplicates="ask")
    nginx.add_file("report.zip", 64 * 1024)
    host = paxel_env.host("chrome")
    host.hello()
    expect = {"size": 64 * 1024, "filename": "report.zip"}
    first = host.take(2, nginx.url("report.zip") + "?sig=one", expect)["download"]["download_id"]
    host.wait_event("completed", first)
    held = host.take(3, nginx.url("report.zip") + "?sig=two", expect)["download"]["download_id"]
    line = next(x for x in paxel_env.paxel("list").stdout.splitlines() if x.startswith(held))
    assert f"same file as {first}" in line and f"paxel queue answer {held} rename|skip|resume" in line
    bad = paxel_env.paxel("queue", "answer", held, "maybe", check=False)
    assert bad.returncode == 2 and "rename | skip | resume" in bad.stderr
    answered = paxel_env.paxel("queue", "answer", held, "skip")
    assert answered.stdout.startswith(f"{held}: skip"), answered.stdout
    left = [v["download_id"] for v in json.loads(paxel_env.paxel("list", "--json").stdout)]
    assert left == [first]
    again = paxel_env.paxel("queue", "answer", held, "skip", check=False)
    assert again.returncode != 0 and again.stderr.startswith("paxel queue: ")
