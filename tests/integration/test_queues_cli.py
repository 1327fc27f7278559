"""`paxel queue`, `paxel schedule`, `paxel settings` through a real service; duplicates of a signed
link recognised through the real native host (`take`)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from support.nginx import Nginx
from support.paxel_env import PaxelEnv

MiB = 1 << 20


def _views(paxel_env: PaxelEnv) -> dict[str, dict[str, Any]]:
    return {v["download_id"]: v for v in json.loads(paxel_env.paxel("list", "--json").stdout)}


def test_queue_commands(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    paxel_env.write_settings(max_concurrent=1)
    assert paxel_env.paxel("queue", "add", "night", "1").stdout == "night: 1 at once\n"
    for name in ("q1", "q2", "q3"):
        nginx.add_file(f"{name}.bin", 4 * MiB)
    ids = [json.loads(paxel_env.paxel("add", nginx.url(f"{n}.bin") + "?slow=128k", "-n", "1",
                                      "--json").stdout)["download_id"] for n in ("q1", "q2", "q3")]
    listed = paxel_env.paxel("queue").stdout.splitlines()
    assert listed[0].split()[:2] == ["main", "1"] and listed[1].split()[:2] == ["night", "1"]
    assert paxel_env.paxel("queue", "move", ids[2], "top").stdout == f"{ids[2]} queued in main, #1\n"
    assert _views(paxel_env)[ids[1]]["queue_position"] == 2
    assert paxel_env.paxel("queue", "assign", ids[1], "night").stdout.startswith(f"{ids[1]} ")
    assert paxel_env.paxel("queue", "start", ids[2]).stdout.split()[:2] in ([ids[2], "running"],
                                                                          [ids[2], "queued"])
    deadline = time.monotonic() + 10
    while _views(paxel_env)[ids[2]]["state"] != "running":
        assert time.monotonic() < deadline, "start now did not start it"
        time.sleep(0.1)
    assert paxel_env.paxel("queue", "set", "main", "2").stdout == "main: 2 at once\n"
    assert json.loads(paxel_env.settings_file.read_text())["queues"] == {"night": {"max_concurrent": 1}}
    assert paxel_env.paxel("queue", "remove", "night").stdout.startswith("removed night")
    assert _views(paxel_env)[ids[1]]["queue"] == "main"
    for words, message in ((["frobnicate"], "unknown command"), (["move", ids[0], "sideways"], "move where"),
                           (["remove", "main"], "cannot be removed"), (["add", "x", "99"], "not a number")):
        wrong = paxel_env.paxel("queue", *words, check=False)
        assert wrong.returncode == 2 and message in wrong.stderr, (words, wrong.stderr)
    missing = paxel_env.paxel("queue", "move", "d-nosuch", "up", check=False)
    assert missing.returncode != 0 and "no download d-nosuch" in missing.stderr
    for ident in ids:
        paxel_env.paxel("cancel", ident)


def test_schedule_and_settings_commands(paxel_env: PaxelEnv) -> None:
    none = "windows: none (the queues may start downloads at any time)\nnow: open\n"
    assert paxel_env.paxel("schedule").stdout == none
    paxel_env.paxel("schedule", "window", "22:00-6:00", "fri,sat")
    shown = paxel_env.paxel("schedule", "speed", "09:00-18:00", "1M").stdout
    assert shown == "window 22:00-06:00 fri,sat\nspeed  09:00-18:00  1.0 MiB/s\n"
    written = json.loads(paxel_env.settings_file.read_text())["schedule"]
    assert written["windows"][0] == {"start": "22:00", "stop": "06:00", "days": ["fri", "sat"]}
    assert paxel_env.paxel("schedule", "clear", "speeds").stdout == "window 22:00-06:00 fri,sat\n"
    shown_now = paxel_env.paxel("schedule").stdout.splitlines()
    assert shown_now[0] == "window 22:00-06:00 fri,sat"
    assert re.fullmatch(r"now: (open until (Sat|Sun) 06:00|closed, opens (Fri|Sat) 22:00)", shown_now[1])
    for words, message in ((["window", "25:00-26:00"], "HH:MM"), (["window", "1:00-2:00", "funday"], "days"),
                           (["speed", "1:00-2:00", "fast"], "speed"), (["sometimes"], "unknown command")):
        wrong = paxel_env.paxel("schedule", *words, check=False)
        assert wrong.returncode != 0 and message in wrong.stderr, (words, wrong.stderr)
    paxel_env.paxel("settings", "set", "duplicates", "ask")
    assert json.loads(paxel_env.paxel("settings").stdout)["duplicates"] == "ask"
    refused = paxel_env.paxel("settings", "set", "roots", '["/"]', check=False)
    assert refused.returncode != 0 and "roots is read when the service starts" in refused.stderr
    # the per-host cap, live (tests/integration/test_host_cap_live.py: what the engine does with it)
    assert json.loads(paxel_env.paxel("settings", "set", "max_connections_per_host", "3").stdout) == \
        {"max_connections_per_host": 3}
    bad = paxel_env.paxel("settings", "set", "max_connections_per_host", "0", check=False)
    assert bad.returncode != 0 and "max_connections_per_host` must be 1..1024 or null" in bad.stderr
    assert json.loads(paxel_env.paxel("settings", "set", "max_connections_per_host", "null").stdout) == \
        {"max_connections_per_host": None}


def test_a_queue_schedule_from_the_cli(paxel_env: PaxelEnv) -> None:
    paxel_env.paxel("queue", "add", "night", "1")
    assert paxel_env.paxel("schedule", "--queue", "night").stdout == (
        "night: the global schedule's windows\nnow: open\n")
    shown = paxel_env.paxel("schedule", "--queue", "night", "window", "2:00-06:00", "mon").stdout
    assert shown == "window 02:00-06:00 mon\n"
    paxel_env.paxel("queue", "set", "night", "2")  # keeps its windows
    own = {"windows": [{"start": "02:00", "stop": "06:00", "days": ["mon"]}]}
    assert json.loads(paxel_env.settings_file.read_text())["queues"] == {
        "night": {"max_concurrent": 2, "schedule": own}}
    listed = paxel_env.paxel("queue").stdout.splitlines()
    assert listed[0].startswith("main") and listed[0].endswith("queued  open")
    night_now = r"(open until Mon 06:00|closed, opens Mon 02:00)"
    assert re.fullmatch(rf"night .* {night_now} \(own windows\)", listed[1]), listed[1]
    state = paxel_env.paxel("schedule", "--queue", "night").stdout.splitlines()
    assert state[0] == "window 02:00-06:00 mon" and re.fullmatch(rf"now: {night_now}", state[1])
    for words, message in ((["--queue", "night", "speed", "1:00-2:00", "1M"], "for a queue"),
                           (["--queue", "nosuch"], "no named queue"), (["--queue", "main"], "no named queue"),
                           (["--queue", "night", "window", "25:00-26:00"], "HH:MM")):
        wrong = paxel_env.paxel("schedule", *words, check=False)
        assert wrong.returncode != 0 and message in wrong.stderr, (words, wrong.stderr)
    assert paxel_env.paxel("schedule", "--queue", "night", "clear").stdout == (
        "night: the global schedule's windows\n")
    assert json.loads(paxel_env.settings_file.read_text())["queues"] == {"night": {"max_concurrent": 2}}


def test_a_signed_link_to_a_finished_file_is_asked_about_after_the_take(paxel_env: PaxelEnv,
                                                                        nginx: Nginx) -> None:
    paxel_env.write_settings(duplicates="ask")
    nginx.add_file("report.zip", 256 * 1024)
    host = paxel_env.host("chrome")
    host.hello()
    expect = {"size": 256 * 1024, "filename": "report.zip", "content_type": "application/zip"}
    host.send({"id": 2, "type": "take", "url": nginx.url("report.zip") + "?sig=first", "expect": expect})
    first = host.reply(2, timeout=20)["result"]
    assert first["outcome"] == "taken" and "duplicate" not in first
    host.wait_event("completed", first["download"]["download_id"])
    second_url = nginx.url("report.zip") + "?sig=second&exp=9"
    host.send({"id": 3, "type": "take", "url": second_url, "expect": expect})
    second = host.reply(3, timeout=20)["result"]
    assert second["outcome"] == "taken", "the browser never waits for the question"
    question = second["duplicate"]
    first_id = first["download"]["download_id"]
    assert (question["kind"], question["of"], question["action"]) == ("done", first_id, "ask")
    held = second["download"]
    assert held["duplicate"]["of"] == question["of"] and held["waiting"] == {"for": "duplicate"}
    time.sleep(1.0)
    assert _views(paxel_env)[held["download_id"]]["state"] == "queued", "held until answered"
    host.send({"id": 4, "type": "duplicate_answer", "download_id": held["download_id"], "choice": "rename"})
    renamed = host.reply(4)["result"]["download"]
    assert renamed["duplicate"] is None
    done = host.wait_event("completed", held["download_id"])
    assert done["data"]["download"]["filename"] == "report (1).zip"
    # skip: nothing new is added, the reply names the existing download
    paxel_env.paxel("settings", "set", "duplicates", "skip")
    host.send({"id": 5, "type": "take", "url": nginx.url("report.zip") + "?sig=third", "expect": expect})
    skipped = host.reply(5, timeout=20)["result"]
    assert skipped["duplicate"]["action"] == "skipped"
    assert skipped["download"]["download_id"] in (first["download"]["download_id"], held["download_id"])
    assert len(_views(paxel_env)) == 2
