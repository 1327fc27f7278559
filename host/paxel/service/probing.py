"""The `probe` request: what a URL would download (size, name, ranges) without downloading it.

One `GET Range: bytes=0-0` through the engine's transport, so cookies, redirects and credential
rules are exactly the engine's; no body to waste. Network I/O: the server runs it off the
client's reader thread.
"""

from __future__ import annotations

from typing import Any

from paxel import filenames, transport
from paxel import probe as probing
from paxel.errors import HTTPStatusError
from paxel.service.request import DownloadRequest

PROBE_TIMEOUT = 15.0


def probe(request: DownloadRequest) -> dict[str, Any]:
    """The `probe` result (docs/protocol.md): the request's own headers and cookies, as the
    download would send them."""
    url = request.url
    session = transport.HttpTransport(url, dict(request.headers), list(request.cookies), proxy=None,
                                      timeout=PROBE_TIMEOUT)
    try:
        reply = session.get(url, first=0, last=0)
        try:
            if reply.status not in (200, 206):
                raise HTTPStatusError(f"{url} answered {reply.status}", status=reply.status)
            info = probing.interpret(reply.url, reply.status, reply.headers, 0, 0)
        finally:
            reply.close()
    finally:
        session.close()
    return {"size": info.size, "filename": filenames.choose_name(info.filename, info.url),
            "accepts_ranges": info.ranges, "content_type": reply.headers.get("Content-Type")}
