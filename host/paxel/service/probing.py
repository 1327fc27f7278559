"""The `probe` request: what a URL would download (size, name, ranges) without downloading it.

One `GET Range: bytes=0-0` through the engine's transport, so cookies, redirects and credential
rules are exactly the engine's; no body to waste. Network I/O: the server runs it off the
client's reader thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paxel import filenames, transport
from paxel import probe as probing
from paxel.errors import HTTPStatusError
from paxel.service.scheduler import browser_cookie

PROBE_TIMEOUT = 15.0


def probe(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The `probe` result for validated request fields (docs/protocol.md)."""
    url = str(fields["url"])
    cookies = [browser_cookie(c) for c in fields.get("cookies", [])]
    session = transport.HttpTransport(url, _probe_headers(fields), cookies, proxy=None, timeout=PROBE_TIMEOUT)
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


def _probe_headers(fields: Mapping[str, Any]) -> dict[str, str]:
    headers = {}
    if fields.get("referrer"):
        headers["Referer"] = str(fields["referrer"])
    if fields.get("user_agent"):
        headers["User-Agent"] = str(fields["user_agent"])
    return headers
