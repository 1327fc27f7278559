"""Uninstall means off (issue 11 item 4): a `paxel-host` the browser started before `paxel
uninstall` (Chromium keeps its port open ~30 s) takes no click and starts no service once
uninstall has returned; a new install turns paxel on again. Real host processes, real service."""

from __future__ import annotations

import json

from paxel.ids import CHROMIUM_ORIGINS, FIREFOX_EXTENSION_ID, HOST_NAME
from support.nginx import Nginx
from support.paxel_env import NativeHost, PaxelEnv


def launched(env: PaxelEnv, browser: str) -> NativeHost:
    """The host started as the browser does: through the launcher its installed manifest names."""
    if browser == "chrome":
        manifest = env.root / "config" / "chromium" / "NativeMessagingHosts" / f"{HOST_NAME}.json"
        argv = [CHROMIUM_ORIGINS[0]]
    else:
        manifest = env.home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json"
        argv = [str(manifest), FIREFOX_EXTENSION_ID]
    host = NativeHost([json.loads(manifest.read_text())["path"], *argv], env.env)
    env.hosts.append(host)
    return host


def test_a_firefox_host_started_before_uninstall_takes_nothing_from_a_running_service(
        paxel_env: PaxelEnv, nginx: Nginx) -> None:
    """The service still runs (the CLI uses it): the old host refuses `take` and `download`
    instead of relaying them, so Firefox keeps its copy, and then exits (the next connect finds
    no host: "not installed")."""
    nginx.add_file("off.bin", size=64 << 10)
    paxel_env.paxel("install", "--browser", "firefox")
    paxel_env.paxel("service", "start")
    paxel_env.wait_service()
    host = launched(paxel_env, "firefox")
    host.hello()
    paxel_env.paxel("uninstall")
    host.send({"id": 2, "type": "take", "url": nginx.url("off.bin"), "source": "click",
               "expect": {"size": 64 << 10}})
    reply = host.reply(2, timeout=20)
    assert not reply["ok"] and reply["error"]["name"] == "NOT_INSTALLED", reply
    assert host.close() == 0
    listed = paxel_env.paxel("list", "--json")
    assert "off.bin" not in listed.stdout, listed.stdout


def test_reinstall_turns_a_new_host_on_again(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("on-again.bin", size=4096)
    paxel_env.paxel("install", "--browser", "chromium")
    refused = launched(paxel_env, "chrome")  # started just before uninstall, first message after
    paxel_env.paxel("uninstall")
    refused.send({"id": 1, "type": "hello", "client": "test", "version": 2})
    reply = refused.reply(1, timeout=20)
    assert not reply["ok"] and reply["error"]["name"] == "NOT_INSTALLED", reply
    assert refused.close() == 0
    assert paxel_env.service_pid() is None  # not started on demand while uninstalled
    paxel_env.paxel("install", "--browser", "chromium")
    host = launched(paxel_env, "chrome")
    host.hello()
    view = host.add(2, url=nginx.url("on-again.bin"))
    host.wait_event("completed", view["download_id"])
