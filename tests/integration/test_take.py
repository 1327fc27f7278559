"""`take` through the real native host and service: paxel queues a download only when its first
request is answered like the browser's; otherwise nothing is queued (docs/protocol.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.faultserver import FaultServer
from support.nginx import PRIVATE_COOKIE, Nginx
from support.paxel_env import NativeHost, PaxelEnv

MiB = 1024 * 1024


def take(host: NativeHost, request_id: int, url: str, **expect: Any) -> dict[str, Any]:
    return host.take(request_id, url, expect, headers={"Cookie": "=".join(PRIVATE_COOKIE)})


def test_taken_only_when_the_answer_is_what_the_browser_got(paxel_env: PaxelEnv, nginx: Nginx,
                                                           faultserver: FaultServer) -> None:
    nginx.add_file("take.bin", MiB)
    host = paxel_env.host("chrome")
    assert "take" in host.hello()["capabilities"]

    declined = [
        (take(host, 2, nginx.url("take.bin", "gated"), content_type="application/octet-stream"), "html"),
        (take(host, 3, nginx.url("nothing.bin"), size=MiB), "status"),
        (take(host, 4, nginx.url("take.bin", "private"), size=MiB + 1), "size"),
        (take(host, 5, nginx.url("take.bin", "private"), min_size=2 * MiB), "small"),
        (take(host, 6, faultserver.url("t.bin", cd='attachment; filename="t.zip"'), filename="t.bin"),
         "name"),
    ]
    for result, reason in declined:
        assert result["outcome"] == "declined" and result["reason"] == reason, (reason, result)
        assert result["message"]

    taken = take(host, 7, nginx.url("take.bin", "private"), size=MiB, content_type="application/octet-stream",
                 filename="take.bin", min_size=MiB)
    assert taken["outcome"] == "taken", taken
    done = host.wait_event("completed", taken["download"]["download_id"])["data"]["download"]
    assert Path(done["path"]).stat().st_size == MiB
    # Only the taken one was ever queued.
    host.send({"id": 8, "type": "list"})
    queued = [v["download_id"] for v in host.reply(8)["result"]["downloads"]]
    assert queued == [taken["download"]["download_id"]]
    assert host.close() == 0
