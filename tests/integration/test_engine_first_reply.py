"""DownloadOptions.first_reply (docs/engine.md, "Seams"): the caller's open first reply is the
engine's probe, never asked again; one the start cannot use is closed and asked anew. Against
the fault server, whose records count the requests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from paxel.engine import Download, DownloadOptions, FirstReply
from paxel.transport import HttpTransport
from support.faultserver import FaultServer

MiB = 1 << 20


def ranges(faultserver: FaultServer, url: str) -> list[str]:
    path = urlsplit(url).path
    return [r.headers.get("range", "") for r in faultserver.requests("GET")
            if urlsplit(r.target).path == path]


def opened(url: str) -> tuple[HttpTransport, FirstReply]:
    """What the service's take hands over: the engine's own first request, already made."""
    session = HttpTransport(url, {}, [], proxy=None, timeout=10.0)
    return session, FirstReply(session.get(url, 0, MiB - 1), 0, MiB - 1)


def test_the_handed_reply_is_the_probe(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("handed.bin", size=3 * MiB)
    session, reply = opened(url)
    result = Download(DownloadOptions(url, output=tmp_path / "h.bin", connections=2,
                                      first_reply=reply)).run()
    session.close()
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == faultserver.sha256(url)
    asked = ranges(faultserver, url)
    assert asked.count("bytes=0-1048575") == 1 and all(not r.startswith("bytes=0-") for r in asked[1:])


def test_a_one_use_answer_handed_over_is_the_whole_small_file(faultserver: FaultServer,
                                                              tmp_path: Path) -> None:
    url = faultserver.url("once.bin", size=700_000, status=410, status_from=1, status_times=1000)
    session, reply = opened(url)
    result = Download(DownloadOptions(url, output=tmp_path / "o.bin",
                                      first_reply=reply)).run()
    session.close()
    assert result.path.read_bytes() == faultserver.content(url)
    assert ranges(faultserver, url) == ["bytes=0-1048575"]


def test_a_handed_reply_the_start_cannot_use_is_closed_and_asked_anew(faultserver: FaultServer,
                                                                      tmp_path: Path) -> None:
    url = faultserver.url("other.bin", size=3 * MiB)
    session, reply = opened(url)   # 1 MiB: not the bytes a probe with min_split 2 MiB asks for
    result = Download(DownloadOptions(url, output=tmp_path / "x.bin", connections=2, min_split=2 * MiB,
                                      first_reply=reply)).run()
    session.close()
    assert result.path.read_bytes() == faultserver.content(url)
    assert ranges(faultserver, url)[:2] == ["bytes=0-1048575", "bytes=0-2097151"]
