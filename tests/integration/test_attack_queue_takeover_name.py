"""A queue removed and its name given to another queue in the same `settings` change (the panel's
form: *Remove* on "b", then "a" renamed "b"; one Save): the removed queue's downloads go to main,
as a removal's do (docs/settings.md), and only the renamed queue's downloads are in "b" after."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv


@pytest.mark.timeout(60)
def test_a_removed_queues_downloads_go_to_main_when_its_name_is_given_to_another(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    later = datetime.now() + timedelta(hours=6)  # a window that is closed now: both wait
    closed = {"windows": [{"start": later.strftime("%H:00"), "stop": later.strftime("%H:30")}]}
    paxel_env.write_settings(open_panel_on_add=False, queues={
        "a": {"max_concurrent": 1, "schedule": closed}, "b": {"max_concurrent": 2, "schedule": closed}})
    host = paxel_env.host("chrome")
    host.hello()
    in_a = host.add(2, url=faultserver.url("a.bin", size=4096), queue="a")["download_id"]
    in_b = host.add(3, url=faultserver.url("b.bin", size=4096), queue="b")["download_id"]
    queues = {"b": {"max_concurrent": 1, "schedule": closed}}  # "b" removed, "a" renamed "b"
    host.send({"id": 4, "type": "settings", "set": {"queues": queues}, "renamed": {"a": "b"}})
    assert host.reply(4)["ok"]
    listed = {v["download_id"]: v["queue"] for v in json.loads(paxel_env.paxel("list", "--json").stdout)}
    assert listed == {in_a: "b", in_b: "main"}, listed
