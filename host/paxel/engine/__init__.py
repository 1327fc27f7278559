"""The download engine: `Download` fetches one URL over up to 32 connections into one `.part`.

Public surface (the CLI and the service use only this): `Download`, `DownloadOptions`,
`Progress`, `Result`, `download`, `MAX_CONNECTIONS`, `HostSlots`, and the media-segment job
`UnitJob` / `Unit`. Module map (docs/engine.md):

    job.py          the restart loop, pause, cancel (Download)
    start.py        claim the `.part`, resume checks, probe, name → Plan
    connection.py   one connection: open a range, pump, retry; the unknown-length stream
    coordinator.py  checkpoints, slow-connection replacement, progress
    finish.py       verify, rename without replacing → Result
    shared.py       the one object the threads share (locking rules), Transport/Reply protocols
    options.py      DownloadOptions, Progress, Result, constants
    limits.py       HostSlots: connections per host shared by downloads
    units.py        many URLs of unknown size into separate files (media segments)

`Unit`, `UnitDone` and `UnitJob` are imported on first use (module `__getattr__`): `paxel URL`
imports this package before its first request, and a plain download needs no media job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paxel.engine.job import Download, download
from paxel.engine.limits import HostSlots
from paxel.engine.options import MAX_CONNECTIONS, DownloadOptions, FirstReply, Progress, Result

if TYPE_CHECKING:
    from paxel.engine.units import Unit, UnitDone, UnitJob

_LAZY = {"Unit", "UnitDone", "UnitJob"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from paxel.engine import units

        return getattr(units, name)
    raise AttributeError(f"module 'paxel.engine' has no attribute {name!r}")

__all__ = ["MAX_CONNECTIONS", "Download", "DownloadOptions", "FirstReply", "HostSlots", "Progress", "Result",
           "Unit", "UnitDone", "UnitJob", "download"]
