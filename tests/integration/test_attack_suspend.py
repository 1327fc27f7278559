"""A suspend across the start of a schedule window, simulated for real: the service's scheduler
runs in a child process (real engine, SQLite, nginx) whose wall clock the test sets; the test
freezes the whole process (SIGSTOP: every thread stops mid-wait, as in a suspend), moves its
clock from 01:50 past 02:00, and wakes it (SIGCONT). The 02:00-06:00 window must be found open
within the scheduler's re-check interval and the waiting download start; nothing is "fired at
02:00" that a frozen process could miss."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from support.nginx import Nginx

CHILD = """
import json, sys, time
from pathlib import Path
from paxel.service.request import DownloadRequest
from paxel.service.scheduler import Scheduler
from paxel.service.settings import from_mapping
from paxel.service.store import Store

folder, url = Path(sys.argv[1]), sys.argv[2]
clock_file, status = folder / "clock", folder / "status"
raw = {"roots": [str(folder / "dl")], "schedule": {"windows": [{"start": "02:00", "stop": "06:00"}]}}
(folder / "dl").mkdir()
scheduler = Scheduler(Store(folder / "q.sqlite"), from_mapping(raw), lambda name, data: None,
                      clock=lambda: float(clock_file.read_text()), settings_path=folder / "settings.json")
scheduler.start()
ident = scheduler.add(DownloadRequest.from_fields({"url": url}))["download_id"]
while True:
    state = scheduler.get(ident)["state"]
    fresh = folder / "status.new"  # replaced whole: the test never reads a half-written status
    fresh.write_text(json.dumps([time.monotonic(), state]))
    fresh.replace(status)
    if state in ("completed", "failed"):
        break
    time.sleep(0.02)
scheduler.stop()
"""


def _status(folder: Path) -> str:
    try:
        return str(json.loads((folder / "status").read_text())[1])
    except (FileNotFoundError, ValueError):
        return ""


def test_a_process_frozen_through_the_window_start_starts_its_download_on_waking(
        nginx: Nginx, tmp_path: Path) -> None:
    nginx.add_file("night.bin", 1 << 20)
    (tmp_path / "clock").write_text(str(datetime(2026, 11, 30, 1, 50).timestamp()))
    script = tmp_path / "child.py"
    script.write_text(f"import sys; sys.path[:0] = {sys.path!r}\n" + CHILD)
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path), nginx.url("night.bin")],
                             stderr=log)
    try:
        deadline = time.monotonic() + 20
        while _status(tmp_path) != "queued":
            assert time.monotonic() < deadline and child.poll() is None, (tmp_path / "child.log").read_text()
            time.sleep(0.05)
        time.sleep(1.5)  # a few re-checks of the closed window
        assert _status(tmp_path) == "queued"
        os.kill(child.pid, signal.SIGSTOP)  # asleep ...
        clock = tmp_path / "clock.new"
        clock.write_text(str(datetime(2026, 11, 30, 2, 7).timestamp()))
        clock.replace(tmp_path / "clock")  # (the child reads it whole, never half-written)
        time.sleep(2.0)
        assert _status(tmp_path) == "queued"
        woke = time.monotonic()
        os.kill(child.pid, signal.SIGCONT)  # ... and awake at 02:07
        while _status(tmp_path) != "completed":
            assert time.monotonic() - woke < 5.0, f"still {_status(tmp_path)} after waking"
            time.sleep(0.02)
        assert child.wait(10) == 0
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGCONT)
            child.kill()
            child.wait()
        log.close()
