"""paxel-host relays many requests at once: a slow one (a probe to a server that never answers)
or a frame the service cannot take must never hold up the others. Real host, real service, a
real socket that accepts connections and never answers."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator

import pytest

from support.paxel_env import PaxelEnv
from support.wire import silent_server


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A URL whose server completes the TCP handshake (the kernel does) and never answers."""
    with silent_server() as url:
        yield url


def test_slow_probes_do_not_delay_a_list(paxel_env: PaxelEnv, black_hole: str) -> None:
    host = paxel_env.host("chrome")
    host.hello()
    for request_id in range(10, 16):
        host.send({"id": request_id, "type": "probe", "url": black_hole})
    time.sleep(0.5)  # the probes reach the service first and are all waiting on the network
    started = time.monotonic()
    host.send({"id": 2, "type": "list"})
    assert host.reply(2, timeout=20)["ok"]
    assert time.monotonic() - started < 2.0, "a list waited behind probes"


def test_a_frame_too_large_for_the_service_is_refused_at_once(paxel_env: PaxelEnv) -> None:
    """The host re-frames a request under its own id; a browser frame just under 1 MiB can then
    be just over it. The browser gets MESSAGE_TOO_LARGE at once (not a 60 s wait), and the
    requests after it are not held up."""
    host = paxel_env.host("chrome")
    host.hello()
    for request_id in range(2, 11):  # the host's own ids reach two digits
        host.send({"id": request_id, "type": "list"})
        assert host.reply(request_id)["ok"]
    body = {"id": 1, "type": "list", "pad": ""}
    body["pad"] = "x" * (1024 * 1024 - len(json.dumps(body, separators=(",", ":"))))
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) == 1024 * 1024
    started = time.monotonic()
    host.send_raw(struct.pack("=I", len(raw)) + raw)
    host.send({"id": 20, "type": "list"})
    assert host.reply(20, timeout=20)["ok"]
    refused = host.reply(1, timeout=20)
    assert refused["error"]["name"] == "MESSAGE_TOO_LARGE", refused
    assert time.monotonic() - started < 3.0


def test_the_browser_hears_when_the_service_goes_and_the_next_request_brings_it_back(
        paxel_env: PaxelEnv) -> None:
    host = paxel_env.host("chrome")
    first = host.hello()["service_pid"]
    paxel_env.stop_service()
    event = host.recv(timeout=2.0)  # within 2 s, unasked: the popup must not keep saying "connected"
    assert event["event"] == "disconnected", event
    host.send({"id": 5, "type": "list"})
    reply = host.reply(5, timeout=15.0)
    assert reply["ok"], reply
    assert paxel_env.wait_service(other_than=first) != first


def test_a_hello_that_may_not_start_leaves_a_stopped_service_stopped(paxel_env: PaxelEnv) -> None:
    """The extension's own reconnect polling says `start: false`: a service the user stopped stays
    stopped until a request from a host whose hello allowed it (a click, a Start button)."""
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "hello", "client": "test", "version": 2, "start": False})
    reply = host.reply(1, timeout=15.0)
    assert not reply["ok"] and reply["error"]["name"] == "SERVICE_UNAVAILABLE", reply
    host.send({"id": 2, "type": "list"})  # nor does a later request through the same host
    assert host.reply(2, timeout=15.0)["error"]["name"] == "SERVICE_UNAVAILABLE"
    assert paxel_env.service_pid() is None
    host.close()
    starting = paxel_env.host("chrome")
    starting.send({"id": 1, "type": "hello", "client": "test", "version": 2, "start": True})
    assert starting.reply(1, timeout=20.0)["ok"]
    pid = paxel_env.wait_service()
    polling = paxel_env.host("chrome")  # a running service is reached all the same
    polling.send({"id": 1, "type": "hello", "client": "test", "version": 2, "start": False})
    assert polling.reply(1, timeout=15.0)["result"]["service_pid"] == pid
