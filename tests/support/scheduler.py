"""The service's scheduler for integration tests: a real one (real engine, SQLite file, sockets)
running in the test's process over a temporary folder, and what every such test does with it:
add a download, wait for a state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paxel.service.lifecycle import State
from paxel.service.request import DownloadRequest
from paxel.service.scheduler import Scheduler
from paxel.service.settings import from_mapping
from paxel.service.store import Store

Emit = Callable[[str, dict[str, Any]], None]


def _unheard(name: str, data: dict[str, Any]) -> None:
    """Where the events go when a test does not listen."""


class Schedulers:
    """Makes started schedulers over one folder: one database, one download root (`dl`) and one
    settings file (written with the settings given, so a change the scheduler saves never
    reaches the user's own settings.json). A second one made in a test reopens the first's
    database, as a restarted service does. `stop()` stops them all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = folder / "dl"
        self.root.mkdir(exist_ok=True)
        self.settings_file = folder / "settings.json"
        self._made: list[Scheduler] = []

    def __call__(self, clock: Callable[[], float] = time.time, emit: Emit | None = None,
                 **settings: Any) -> Scheduler:
        raw = {"roots": [str(self.root)], **settings}
        self.settings_file.write_text(json.dumps(raw))
        scheduler = Scheduler(Store(self.folder / "q.sqlite"), from_mapping(raw), emit or _unheard,
                              clock=clock, settings_path=self.settings_file)
        scheduler.start()
        self._made.append(scheduler)
        return scheduler

    def stop(self) -> None:
        for scheduler in self._made:
            scheduler.stop()


def add(scheduler: Scheduler, url: str, connections: int = 1, **fields: Any) -> str:
    """A `download` request added to `scheduler`; its download id."""
    view = scheduler.add(DownloadRequest.from_fields({"url": url, "connections": connections, **fields}))
    return str(view["download_id"])


def wait_state(scheduler: Scheduler, download_id: str, state: State, timeout: float = 10.0) -> float:
    """Until the download is in `state`; the seconds that took."""
    began = time.monotonic()
    while scheduler.get(download_id)["state"] != state:
        now = scheduler.get(download_id)["state"]
        assert time.monotonic() - began < timeout, f"{download_id} is {now}, not {state}"
        time.sleep(0.05)
    return time.monotonic() - began
