"""When each request of one in-process download leaves and when each body ends.

    .venv/bin/python bench/timeline.py URL OUT [CONNECTIONS]

Prints seconds since the download was created: the probe, each worker's requests (thread,
range) and each reply's close, then the total. No interpreter start or imports are counted
(urllib3 and the transports are imported before the clock starts), so what the CLI adds on top
of this is start-up.
Used for bench/README.md's notes on the capped case (how far apart the 16 first requests are).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import paxel.directtransport  # noqa: F401 - urllib3 imported before the clock starts (paxel imports it lazily)
from paxel import transport
from paxel.engine import Download, DownloadOptions


def main(argv: list[str]) -> int:
    url, out = argv[0], Path(argv[1])
    connections = int(argv[2]) if len(argv) > 2 else 16
    events: list[tuple[float, str]] = []
    began = time.perf_counter()
    get, close = transport.HttpTransport.get, transport.HttpReply.close

    def timed_get(self: transport.HttpTransport, url: str, first: int | None = None,
                  last: int | None = None, if_range: str | None = None, *, fresh: bool = False) -> Any:
        sent = time.perf_counter() - began
        reply = get(self, url, first, last, if_range, fresh=fresh)
        events.append((sent, f"{threading.current_thread().name:18} GET {first}-{last}"
                              f" (headers after {1000 * (time.perf_counter() - began - sent):.0f} ms)"))
        return reply

    def timed_close(self: transport.HttpReply, *, reusable: bool = False) -> None:
        events.append((time.perf_counter() - began,
                       f"{threading.current_thread().name:18} body done up to {self.body_end}"))
        close(self, reusable=reusable)

    transport.HttpTransport.get = timed_get  # type: ignore[method-assign]
    transport.HttpReply.close = timed_close  # type: ignore[method-assign]
    Download(DownloadOptions(url, output=out, connections=connections, overwrite=True)).run()
    total = time.perf_counter() - began
    for at, what in sorted(events):
        print(f"{at:7.3f}  {what}")
    print(f"{total:7.3f}  done")
    out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
