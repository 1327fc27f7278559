"""`media_probe` comes from the browser (the popup asks when it opens, for a URL a page chose). A
"playlist" that is really a huge file must be refused once paxel has read more than any playlist
needs (16 MiB), not after downloading all of it to a temporary folder."""

from __future__ import annotations

import time

from support.faultserver import FaultServer
from support.nginx import Nginx
from support.paxel_env import PaxelEnv

MiB = 1 << 20


def test_a_huge_playlist_is_refused_without_downloading_all_of_it(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    nginx.add_file("huge.m3u8", content=b"#EXTM3U\n" + b"#" * (64 * MiB))
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "media_probe", "url": nginx.url("huge.m3u8") + "?slow=12m"})
    answer = host.reply(1, timeout=60.0)
    assert not answer["ok"] and "16 MiB" in answer["error"]["message"], answer
    deadline = time.monotonic() + 10
    while not [line for line in nginx.log() if "huge.m3u8" in line.request]:
        assert time.monotonic() < deadline, "nginx logged no request for the playlist"
        time.sleep(0.1)
    sent = max(line.bytes_sent for line in nginx.log() if "huge.m3u8" in line.request)
    assert sent < 32 * MiB, f"{sent >> 20} MiB of a 64 MiB 'playlist' downloaded to be refused"
    host.send({"id": 2, "type": "settings"})
    assert host.reply(2)["ok"], "the service still answers"


def test_a_playlist_trickled_forever_is_given_up_at_the_probes_deadline(paxel_env: PaxelEnv,
                                                                          faultserver: FaultServer) -> None:
    """2 KiB/s is above the speed floor (1 KiB/s), so a 1 MB "playlist" took 8 minutes while the
    popup showed its spinner and the probe held one of the client's slow-request slots."""
    deadline = 2.0  # the service's 15 s (paxel.deadlines), shortened: 1 MB at 2 KiB/s is 8 minutes
    paxel_env.env["PAXEL_MEDIA_PROBE_DEADLINE_S"] = str(deadline)
    host = paxel_env.host("chrome")
    host.hello()
    started = time.monotonic()
    url = faultserver.url("slow.m3u8", size=1_000_000, trickle=2048)
    host.send({"id": 1, "type": "media_probe", "url": url})
    answer = host.reply(1, timeout=deadline + 30)
    took = time.monotonic() - started
    assert not answer["ok"] and "within" in answer["error"]["message"], answer
    assert deadline - 0.5 < took < deadline + 10, f"answered after {took:.1f} s"
