"""Exactly one announcement per outcome with two browsers connected (issue 12, item 7): the
service marks the event `notify: true` for the browser that started the download only, and for
none when a client that cannot notify (the CLI) started it (the desktop announces then).
Real service, two real native hosts (Chrome's and Firefox's argv), real nginx."""

from __future__ import annotations

import json
from typing import Any

from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv


def outcome(host: Any, name: str, download_id: str) -> Any:
    return host.wait_event(name, download_id, timeout=30)["data"]["notify"]


def test_only_the_starting_browser_announces(paxel_env: PaxelEnv, nginx: Nginx,
                                              faultserver: FaultServer) -> None:
    nginx.add_file("one.bin", 1 << 20)
    chrome, firefox = paxel_env.host("chrome"), paxel_env.host("firefox")
    chrome.hello()
    firefox.hello()
    done = firefox.add(2, url=nginx.url("one.bin"))["download_id"]
    assert (outcome(chrome, "completed", done), outcome(firefox, "completed", done)) == (False, True)
    failed = chrome.add(3, url=faultserver.url("gone.bin", status=404, status_times=9))["download_id"]
    assert (outcome(chrome, "failed", failed), outcome(firefox, "failed", failed)) == (True, False)


def test_a_cli_download_is_the_desktops_to_announce(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("cli.bin", 1 << 20)
    chrome = paxel_env.host("chrome")
    chrome.hello()
    added = paxel_env.paxel("add", nginx.url("cli.bin"), "--json")
    download_id = json.loads(added.stdout)["download_id"]
    assert outcome(chrome, "completed", download_id) is False


def test_the_starter_gone_the_other_browser_is_not_chosen(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("gone.bin", 16 << 20)
    chrome, firefox = paxel_env.host("chrome"), paxel_env.host("firefox")
    chrome.hello()
    firefox.hello()
    download_id = chrome.add(2, url=nginx.url("gone.bin", "capped"), connections=1)["download_id"]
    chrome.close()  # the browser that started it went away: the desktop announces, not Firefox
    assert outcome(firefox, "completed", download_id) is False
