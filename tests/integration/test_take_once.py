"""A take's request is the download's first data request (docs/protocol.md, "Two-phase
hand-over"): what paxel judged is what it saves. A server that answers the first request
differently from the next ones (a one-use token the browser did not consume, a rate limiter)
must not be judged on one answer and downloaded from another, and a click costs no extra
request."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from test_take import take

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

KiB = 1024


def gets_for(faultserver: FaultServer, url: str) -> list[str]:
    """The Range of every GET the server saw for `url`'s path, in order ('' for none)."""
    path = urlsplit(url).path
    return [r.headers.get("range", "") for r in faultserver.requests("GET")
            if urlsplit(r.target).path == path]


def test_a_taken_click_costs_one_request(paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    url = faultserver.url("one.bin", size=300 * KiB)
    host = paxel_env.host("chrome")
    taken = take(host, 2, url, size=300 * KiB, filename="one.bin")
    assert taken["outcome"] == "taken", taken
    done = host.wait_event("completed", taken["download"]["download_id"])["data"]["download"]
    assert Path(done["path"]).read_bytes() == faultserver.content(url)
    assert gets_for(faultserver, url) == ["bytes=0-1048575"]   # judged and saved from one answer
    assert host.close() == 0


def test_a_one_use_link_is_saved_from_the_answer_it_was_judged_on(paxel_env: PaxelEnv,
                                                                  faultserver: FaultServer) -> None:
    # the first GET gets the file, every later one 410 (a token good for one use)
    url = faultserver.url("token.bin", size=200 * KiB, status=410, status_from=1, status_times=1000)
    host = paxel_env.host("chrome")
    taken = take(host, 2, url, size=200 * KiB, filename="token.bin")
    assert taken["outcome"] == "taken", taken
    done = host.wait_event("completed", taken["download"]["download_id"])["data"]["download"]
    saved = Path(done["path"])
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == faultserver.sha256(url)
    assert done["state"] == "completed" and saved.name == "token.bin"
    assert host.close() == 0


def test_a_declined_take_leaves_nothing_behind(paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    host = paxel_env.host("chrome")
    gone = faultserver.url("gone.bin", size=100 * KiB, status=410, status_times=1000)
    other = faultserver.url("other.bin", size=100 * KiB)
    assert take(host, 2, gone, size=100 * KiB)["reason"] == "status"
    assert take(host, 3, other, size=100 * KiB + 1)["reason"] == "size"
    host.send({"id": 4, "type": "list"})
    assert host.reply(4)["result"]["downloads"] == []
    assert list(paxel_env.downloads.iterdir()) == []
    assert [len(gets_for(faultserver, u)) for u in (gone, other)] == [1, 1]
    assert host.close() == 0


def test_a_take_into_a_full_queue_waits_its_turn_and_asks_again(paxel_env: PaxelEnv,
                                                                faultserver: FaultServer) -> None:
    """It cannot start now: the take's answer is closed (never held open for an unknown time)
    and the download makes its own first request when its turn comes (docs/protocol.md)."""
    paxel_env.write_settings(max_concurrent=1)
    host = paxel_env.host("chrome")
    busy = faultserver.url("busy.bin", size=400 * KiB, trickle=200 * KiB)   # ~2 s
    waits = faultserver.url("waits.bin", size=300 * KiB)
    first = take(host, 2, busy, size=400 * KiB)
    second = take(host, 3, waits, size=300 * KiB)
    assert (first["outcome"], second["outcome"]) == ("taken", "taken")
    assert second["download"]["state"] == "queued"
    done = host.wait_event("completed", second["download"]["download_id"])["data"]["download"]
    assert Path(done["path"]).read_bytes() == faultserver.content(waits)
    assert gets_for(faultserver, waits) == ["bytes=0-1048575", "bytes=0-1048575"]
    assert host.close() == 0
