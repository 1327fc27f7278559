"""The `probe` request: what a URL would download (size, name, ranges) without downloading it;
and the first request of a `take` (docs/protocol.md), which paxel.takeover judges and which is
the download's own first data request.

Both go through the engine's transport, so cookies, redirects and credential rules are exactly
the engine's. `probe` asks `GET Range: bytes=0-0` (no body to waste); a take asks what the
engine's first request asks (`bytes=0-1048575`) and keeps the reply open for the engine.
Network I/O: the server runs them off the client's reader thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paxel import filenames, transport
from paxel import probe as probing
from paxel.engine.options import FirstReply, MiB
from paxel.errors import HTTPStatusError
from paxel.service.request import DownloadRequest
from paxel.takeover import TAKE_LIMIT, Answer

PROBE_TIMEOUT = 15.0


def probe(request: DownloadRequest) -> dict[str, Any]:
    """The `probe` result (docs/protocol.md): the request's own headers and cookies, as the
    download would send them."""
    answer, info = first_probe(request)
    if info is None:
        raise HTTPStatusError(f"{request.url} answered {answer.status}", status=answer.status)
    return {"size": info.size, "filename": filenames.choose_name(info.filename, info.url),
            "accepts_ranges": info.ranges, "content_type": answer.content_type}


@dataclass(frozen=True)
class Taking:
    """The answer to a `take`'s request, which is the download's first data request: what it
    says (`answer`, and `info` for a success) and, for a success, the open reply whose body
    the engine goes on reading (DownloadOptions.first_reply); the caller closes it when the
    download does not start with it."""

    answer: Answer
    info: probing.ProbeResult | None
    reply: FirstReply | None


def first_take(request: DownloadRequest) -> Taking:
    """Make the download's first request exactly as the engine would (`Range:
    bytes=0-(min_split-1)`, its transport), so a server that answers only once (a one-use token)
    or differently later is judged on the very answer paxel saves. Raises PaxelError
    (NetworkError, ServerMisbehaved) when there is no usable answer."""
    url = request.url
    # Headers later than the extension's deadline decline anyway (router: timeout): waiting the
    # probe's 15 s for them only answered later than anyone listens (22 s for two 11 s hops).
    session = transport.HttpTransport(url, dict(request.headers), list(request.cookies), proxy=None,
                                      timeout=PROBE_TIMEOUT, header_deadline=TAKE_LIMIT)
    reply = session.get(url, first=0, last=MiB - 1)
    try:
        content_type = reply.headers.get("Content-Type")
        if reply.status not in (200, 206):
            reply.close()
            return Taking(Answer(reply.status, None, content_type, None), None, None)
        info = probing.interpret(reply.url, reply.status, reply.headers, 0, MiB - 1)
    except BaseException:
        reply.close()
        raise
    # (the session is left to the garbage collector: the reply's connection outlives it)
    return Taking(Answer(reply.status, info.size, content_type, info.filename), info,
                  FirstReply(reply, 0, MiB - 1))


def first_probe(request: DownloadRequest) -> tuple[Answer, probing.ProbeResult | None]:
    """The first answer and, for a success status, what it says of the file (size, name,
    validators: what paxel.sameness compares to attach a refreshed link)."""
    url = request.url
    session = transport.HttpTransport(url, dict(request.headers), list(request.cookies), proxy=None,
                                      timeout=PROBE_TIMEOUT, header_deadline=PROBE_TIMEOUT)
    try:
        reply = session.get(url, first=0, last=0)
        try:
            content_type = reply.headers.get("Content-Type")
            if reply.status not in (200, 206):
                return Answer(reply.status, None, content_type, None), None
            info = probing.interpret(reply.url, reply.status, reply.headers, 0, 0)
        finally:
            reply.close()
    finally:
        session.close()
    return Answer(reply.status, info.size, content_type, info.filename), info
