"""Two surfaces saving settings at once must not lose an edit (issue 13). Every `settings` answer
and event carries the `revision` of the settings it shows; a `set` with `if_revision` is refused
(`STALE`) when the settings changed since, and the file keeps the other surface's edit. The CLI's
read-change-write commands (`paxel queue add`, `paxel schedule window` …) send it and try again
on a refusal, so commands run side by side all land."""

from __future__ import annotations

import json
import subprocess
import sys

from support.paxel_env import PaxelEnv

PAXEL = [sys.executable, "-m", "paxel"]


def test_a_stale_save_is_refused_and_the_other_edit_kept(paxel_env: PaxelEnv) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    first = host.ask(2, type="settings")["result"]
    revision = first["revision"]
    assert isinstance(revision, int) and not isinstance(revision, bool)
    assert host.ask(3, type="settings")["result"]["revision"] == revision, "unchanged: the same"
    # another surface (the CLI) adds a queue while the options page has its form open
    assert paxel_env.paxel("queue", "add", "night", "1").returncode == 0
    event = host.recv()
    while event.get("event") != "settings":
        event = host.recv()
    newer = event["data"]["revision"]
    assert newer != revision
    stale = host.ask(4, type="settings", set={"queues": {}, "max_concurrent": 5}, if_revision=revision)
    assert not stale["ok"] and stale["error"]["name"] == "STALE", stale
    assert "changed" in stale["error"]["message"]
    kept = json.loads(paxel_env.settings_file.read_text())
    assert kept["queues"] == {"night": {"max_concurrent": 1}} and "max_concurrent" not in kept
    fresh = host.ask(5, type="settings", set={"max_concurrent": 5}, if_revision=newer)
    assert fresh["ok"], fresh
    assert fresh["result"]["revision"] not in (revision, newer)
    assert fresh["result"]["settings"]["queues"] == {"night": {"max_concurrent": 1}}
    bad = host.ask(6, type="settings", set={"max_concurrent": 4}, if_revision="1")
    assert bad["error"]["name"] == "BAD_FIELD", bad


def test_cli_commands_side_by_side_all_land(paxel_env: PaxelEnv) -> None:
    """Each `paxel queue add` reads the queues, adds its own and writes them all: without the
    revision, two at once wrote over each other and a queue was silently lost."""
    paxel_env.paxel("queue")  # the service runs before the race starts
    names = [f"q{i}" for i in range(8)]
    children = [subprocess.Popen([*PAXEL, "queue", "add", name, "1"],
                                 env=paxel_env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for name in names]
    for child in children:
        _out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    windows = [subprocess.Popen([*PAXEL, "schedule", "window", f"0{i}:00-0{i}:30"],
                                env=paxel_env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for i in range(6)]
    for child in windows:
        _out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    saved = json.loads(paxel_env.settings_file.read_text())
    assert sorted(saved["queues"]) == names
    assert sorted(w["start"] for w in saved["schedule"]["windows"]) == [f"0{i}:00" for i in range(6)]
