"""The options page (a browser's connection) and `paxel settings` writing folder rules: a rule
whose folder lies outside the allowed roots must be refused when it is saved, naming the rule,
with the file as it was. Saved, it looked fine, and then every download from that site was
refused (FOLDER_NOT_ALLOWED) or, from a click, quietly left to the browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paxel.errors import ErrorCode, ProtocolError
from paxel.service.lifecycle import State
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv
from support.scheduler import Schedulers, add, wait_state


@pytest.mark.timeout(60)
def test_a_folder_rule_outside_the_roots_is_refused_when_saved(paxel_env: PaxelEnv,
                                                               faultserver: FaultServer) -> None:
    outside = paxel_env.root / "elsewhere"
    outside.mkdir()
    (paxel_env.downloads).mkdir(parents=True, exist_ok=True)
    os.symlink(outside, paxel_env.downloads / "link-out")
    host = paxel_env.host("chrome")
    host.hello()
    good = {"sites": [{"host": "example.org", "folder": "Mirrors"}]}
    assert host.ask(2, type="settings", set={"folder_rules": good, "max_concurrent": 2})["ok"]
    saved = paxel_env.settings_file.read_text()
    for i, folder in enumerate(["/etc", "../../elsewhere", "link-out", str(outside)]):
        rules = {"sites": [good["sites"][0], {"host": "127.0.0.1", "folder": folder}]}
        answer = host.ask(10 + i, type="settings", set={"folder_rules": rules})
        assert not answer["ok"] and answer["error"]["name"] == "BAD_FIELD", (folder, answer)
        message = answer["error"]["message"]
        assert "sites[1]" in message and "allowed" in message, message
        assert paxel_env.settings_file.read_text() == saved, folder
    by_type = {"by_type": True, "categories": {"Video": {"extensions": ["mp4"], "folder": "/tmp"}}}
    answer = host.ask(20, type="settings", set={"folder_rules": by_type})
    assert not answer["ok"] and "Video" in answer["error"]["message"], answer
    assert paxel_env.settings_file.read_text() == saved
    # the good rule is still what the service uses: a download from 127.0.0.1 goes to the default
    view = host.add(21, url=faultserver.url("after-rules.bin", size=4096))
    assert view["folder"] == str(paxel_env.downloads.resolve()), view
    assert json.loads(saved)["max_concurrent"] == 2


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.timeout(60)
def test_a_settings_change_is_written_durably_not_only_atomically(tmp_path: Path) -> None:
    """A power cut after "saved" must not lose the change or leave an empty settings.json: the
    temporary file is fsync'd before it takes the name, and the folder after (read from the real
    system calls of `settings.save`, as the service makes them)."""
    path = tmp_path / "settings.json"
    path.write_text('{"max_concurrent": 2}\n')
    script = ("import sys, pathlib; from paxel.service import settings; "
              "settings.save({'max_concurrent': 3}, pathlib.Path(sys.argv[1]))")
    traced = "trace=openat,fsync,fdatasync,rename,renameat,renameat2"
    run = subprocess.run(["strace", "-f", "-y", "-e", traced, sys.executable, "-c", script, str(path)],
                         capture_output=True, text=True, timeout=50, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    calls = [line for line in run.stderr.splitlines() if str(tmp_path) in line]
    renames = [i for i, line in enumerate(calls) if line.startswith("rename") and "settings.json" in line]
    assert len(renames) == 1, calls
    temporary = re.search(r'"([^"]+)"', calls[renames[0]])
    assert temporary and temporary.group(1) != str(path), calls
    synced = [i for i, line in enumerate(calls) if re.match(r"f(data)?sync\(\d+<([^>]+)>", line)]
    assert any(f"<{temporary.group(1)}>" in calls[i] and i < renames[0] for i in synced), calls
    assert any(f"<{tmp_path}>" in calls[i] and i > renames[0] for i in synced), calls
    assert json.loads(path.read_text())["max_concurrent"] == 3


@pytest.mark.timeout(60)
def test_a_queue_renamed_keeps_its_downloads_and_a_bad_rename_changes_nothing(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The `settings` request's `renamed`: two queues swapping names swap their downloads (one
    statement, not one after the other, which would put both in the same queue); a rename of a
    queue that is not there, or whose new name the new `queues` lacks, is refused unwritten."""
    closed = {"windows": [{"start": "03:00", "stop": "03:01", "days": ["mon"]}]}
    paxel_env.write_settings(open_panel_on_add=False, queues={
        "a": {"max_concurrent": 1, "schedule": closed}, "b": {"max_concurrent": 2, "schedule": closed}})
    host = paxel_env.host("chrome")
    host.hello()
    in_a = host.add(2, url=faultserver.url("a.bin", size=4096), queue="a")
    in_b = host.add(3, url=faultserver.url("b.bin", size=4096), queue="b")
    swapped = {"b": {"max_concurrent": 1, "schedule": closed}, "a": {"max_concurrent": 2, "schedule": closed}}
    host.send({"id": 4, "type": "settings", "set": {"queues": swapped}, "renamed": {"a": "b", "b": "a"}})
    assert host.reply(4)["ok"]
    listed = {v["download_id"]: v["queue"] for v in json.loads(paxel_env.paxel("list", "--json").stdout)}
    assert listed == {in_a["download_id"]: "b", in_b["download_id"]: "a"}, listed
    saved = paxel_env.settings_file.read_text()
    for number, renamed, queues in ((5, {"gone": "c"}, {**swapped, "c": {"max_concurrent": 1}}),
                                    (6, {"a": "c"}, swapped), (7, {"a": "main"}, swapped)):
        host.send({"id": number, "type": "settings", "set": {"queues": queues}, "renamed": renamed})
        reply = host.reply(number)
        assert not reply["ok"] and reply["error"]["name"] == "BAD_FIELD", reply
    assert paxel_env.settings_file.read_text() == saved


@pytest.mark.timeout(60)
def test_paxel_queue_rename_keeps_the_queues_downloads(paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    closed = {"windows": [{"start": "03:00", "stop": "03:01", "days": ["mon"]}]}
    paxel_env.write_settings(open_panel_on_add=False,
                             queues={"night": {"max_concurrent": 2, "schedule": closed}})
    ids = [paxel_env.paxel("add", faultserver.url(f"n{i}.bin", size=4096), "-q", "night").stdout.split()[0]
           for i in range(2)]
    run = paxel_env.paxel("queue", "rename", "night", "late")
    assert "night is now late" in run.stdout, run.stdout
    listed = {v["download_id"]: v for v in json.loads(paxel_env.paxel("list", "--json").stdout)}
    assert [(listed[i]["queue"], listed[i]["state"]) for i in ids] == [("late", "queued")] * 2, listed
    queues = json.loads(paxel_env.settings_file.read_text())["queues"]
    assert list(queues) == ["late"] and queues["late"]["max_concurrent"] == 2, queues
    assert [w["start"] for w in queues["late"]["schedule"]["windows"]] == ["03:00"], queues
    for words in (("night", "x"), ("late", "main"), ("main", "x")):
        refused = paxel_env.paxel("queue", "rename", *words, check=False)
        assert refused.returncode == 2, refused.stderr
    assert "late" in paxel_env.paxel("queue").stdout


@pytest.mark.timeout(60)
def test_settings_broken_by_hand_while_the_service_runs(paxel_env: PaxelEnv) -> None:
    """A user edits settings.json with bad values while the service runs: the service goes on with
    what it read, a change through it is refused naming the bad key and leaves the user's file as
    written (never "repaired" by dropping their text), and a restart says which key is wrong."""
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    raw = json.loads(paxel_env.settings_file.read_text()) if paxel_env.settings_file.exists() else {}
    broken = json.dumps({**raw, "max_concurrent": "three",
                         "schedule": {"windows": [{"start": "25:00", "stop": "06:00"}]}})
    paxel_env.settings_file.write_text(broken)
    assert paxel_env.paxel("queue").stdout.startswith("main")
    refused = paxel_env.paxel("queue", "add", "night", "2", check=False)
    assert refused.returncode != 0 and "`max_concurrent` must be int" in refused.stderr, refused.stderr
    assert paxel_env.settings_file.read_text() == broken
    assert json.loads(paxel_env.paxel("list", "--json").stdout) == []
    paxel_env.paxel("service", "stop")
    restart = paxel_env.paxel("service", "start", check=False)
    assert restart.returncode != 0 and "max_concurrent" in restart.stderr, restart.stderr


def test_a_rule_folder_turned_into_a_symlink_out_after_saving_or_missing(
        make_scheduler: Schedulers, faultserver: FaultServer, tmp_path: Path) -> None:
    """Saved inside the roots, the rule's folder later becomes a symlink to elsewhere: downloads
    by that rule are refused, nothing lands outside. A rule's folder that does not exist yet
    (nested) is made inside the root."""
    scheduler = make_scheduler(folder_rules={"sites": [{"host": "127.0.0.1", "folder": "Mirrors"},
                                                      {"host": "127.0.0.2", "folder": "A/B/C"}]})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, tmp_path / "dl" / "Mirrors")
    with pytest.raises(ProtocolError) as refused:
        add(scheduler, faultserver.url("out.bin", size=4096))
    assert refused.value.code == ErrorCode.FOLDER_NOT_ALLOWED
    made = add(scheduler, faultserver.url("deep.bin", other=True, size=4096))
    wait_state(scheduler, made, State.COMPLETED, 15.0)
    assert Path(scheduler.get(made)["path"]) == tmp_path / "dl" / "A" / "B" / "C" / "deep.bin"
    assert list(outside.iterdir()) == []
