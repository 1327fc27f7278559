"""Attacks on the two-phase hand-over (docs/protocol.md `take`) through the real native host,
service and fault server: paxel takes a download only when its own answer is plausibly the
browser's, since the browser gives its copy up at `taken`."""

from __future__ import annotations

import time
from typing import Any

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv


def test_an_error_body_of_another_type_is_declined_when_no_size_can_tell(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A web app's export (`text/csv`, generated, so the browser knew no size; a rule sends
    `.csv` to paxel, so no minimum size) answers a request without the browser's headers with
    `200 application/json {"error": ...}`. Nothing but the type tells the two apart; taking it
    saves the error as `export.csv` and the browser's real export is gone (found: taken)."""
    host = paxel_env.host("chrome")
    host.hello()
    error = faultserver.url("export.csv", size=38, ctype="application/json")
    expect: dict[str, Any] = {"content_type": "text/csv; charset=utf-8", "filename": "export.csv"}
    host.send({"id": 2, "type": "take", "url": error, "source": "click", "expect": expect})
    reply = host.reply(2, timeout=20)
    assert reply["ok"], reply
    result = reply["result"]
    assert (result["outcome"], result.get("reason")) == ("declined", "type"), result
    assert "application/json" in result["message"] and "text/csv" in result["message"]
    # The same type (parameters aside) is taken; so is any answer when the browser saw the generic
    # application/octet-stream (Chromium reports that for a binary body served as text/plain).
    same = faultserver.url("export.csv", size=38, ctype="text/csv")
    host.send({"id": 3, "type": "take", "url": same, "source": "click", "expect": expect})
    assert host.reply(3, timeout=20)["result"]["outcome"] == "taken"
    plain = faultserver.url("tool.bin", size=38, ctype="text/plain")
    host.send({"id": 4, "type": "take", "url": plain, "source": "click",
               "expect": {"content_type": "application/octet-stream", "filename": "tool.bin"}})
    assert host.reply(4, timeout=20)["result"]["outcome"] == "taken"
    assert host.close() == 0


def test_a_take_answered_after_the_extensions_deadline_never_queues(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A slow server: each hop of a redirect answers after 11 s (under the 15 s read timeout).
    The extension gives up at 10 s (the browser keeps its download) and forgets the request at
    20 s; a `taken` after that is read by nobody, so nobody lets go of it: paxel downloads the
    file too, beside the browser's copy (found: taken and queued after 22 s). A take the service
    cannot answer within the extension's deadline must decline (`timeout`) and queue nothing.
    The service's 10 s (paxel.deadlines) is shortened to 3 s here, the hops to 3.3 s each."""
    limit = 3.0
    paxel_env.env["PAXEL_TAKE_LIMIT_S"] = str(limit)
    host = paxel_env.host("chrome")
    host.hello()
    slow = faultserver.url("slow.bin", size=1024, delay=int(limit * 1100), redirect="same")
    started = time.monotonic()
    host.send({"id": 2, "type": "take", "url": slow, "source": "click", "expect": {"size": 1024}})
    reply = host.reply(2, timeout=40)
    took = time.monotonic() - started
    assert reply["ok"], reply
    assert (reply["result"]["outcome"], reply["result"].get("reason")) == ("declined", "timeout"), (
        f"answered after {took:.1f} s: {reply['result']}")
    # and before the extension forgets the request (at twice the limit): its headers get the
    # take's limit (the margin is the one of the real 10 s, 20 s: a loaded machine)
    assert limit < took < limit + 10, f"answered after {took:.1f} s"
    host.send({"id": 3, "type": "list"})
    assert host.reply(3)["result"]["downloads"] == []
    assert host.close() == 0


def test_skip_duplicates_does_not_drop_a_new_file_that_only_shares_name_and_size(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """`duplicates: skip`, then two exports `export.csv` of one size and other content (a web
    app, no validators). The second click is answered `taken` (so the browser cancels its copy)
    with the first download's view: the new export is nowhere (found: skipped)."""
    paxel_env.write_settings(duplicates="skip")
    host = paxel_env.host("chrome")
    host.hello()
    expect = {"size": 4096, "filename": "export.csv"}
    first_url = faultserver.url("export.csv", size=4096, seed=1, noetag=1, nolm=1)
    host.send({"id": 2, "type": "take", "url": first_url, "source": "click", "expect": expect})
    first = host.reply(2, timeout=20)["result"]["download"]["download_id"]
    host.wait_event("completed", first)
    second_url = faultserver.url("export.csv", size=4096, seed=2, noetag=1, nolm=1)
    host.send({"id": 3, "type": "take", "url": second_url, "source": "click", "expect": expect})
    second = host.reply(3, timeout=20)["result"]
    assert second["outcome"] == "declined" or second.get("duplicate", {}).get("action") != "skipped", second
    assert host.close() == 0


def test_an_engine_answer_unlike_the_takes_is_not_saved_as_the_file(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """The take's request (the first segment) is answered with the 4 MiB file the browser saw;
    from the next request on, the server answers `200` with a 17-byte body (a bot check, a quota page).
    The browser has let go at `taken`: paxel must not complete a 17-byte `report.bin` (found:
    completed, 17 bytes)."""
    host = paxel_env.host("chrome")
    host.hello()
    size = 4 * 1024 * 1024
    url = faultserver.url("report.bin", size=size, status=200, status_from=1, status_times=1000)
    host.send({"id": 2, "type": "take", "url": url, "source": "click", "filename": "report.bin",
               "expect": {"size": size, "filename": "report.bin"}})
    taken = host.reply(2, timeout=20)["result"]
    assert taken["outcome"] == "taken", taken
    download_id = taken["download"]["download_id"]
    while True:
        host.send({"id": 3, "type": "list"})
        view = next(v for v in host.reply(3)["result"]["downloads"] if v["download_id"] == download_id)
        if view["state"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    assert view["state"] == "failed" and "where the browser got" in view["error"]["message"], view
    assert not any(paxel_env.downloads.iterdir()), "the 17 bytes stayed under the file's name"
    assert host.close() == 0
