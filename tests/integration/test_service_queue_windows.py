"""A named queue's own schedule windows in the service's scheduler, on a real nginx and a real
SQLite file, with the wall clock injected and jumped: queue "night" (02:00-06:00) waits while
"main" (no windows) runs, starts when the clock jumps into its window, and is requeued with its
.part when the window closes."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path

from paxel.service.lifecycle import State
from support.nginx import Nginx
from support.scheduler import Schedulers, add, wait_state

MiB = 1 << 20
NIGHT = {"windows": [{"start": "02:00", "stop": "06:00"}]}


def test_night_queue_waits_while_main_runs_starts_in_its_window_and_is_held_when_it_closes(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    digest = nginx.add_file("qnight.bin", 6 * MiB)
    nginx.add_file("qmain.bin", 64 * MiB)
    nginx.clear_log()
    wall = [datetime(2026, 11, 30, 1, 50).timestamp()]
    scheduler = make_scheduler(lambda: wall[0], queues={"night": {"max_concurrent": 1, "schedule": NIGHT}})
    day = add(scheduler, nginx.url("qmain.bin") + "?slow=256k", 2)
    night = add(scheduler, nginx.url("qnight.bin") + "?slow=1m", 2, queue="night")
    wait_state(scheduler, day, State.RUNNING, 5.0)
    time.sleep(1.5)
    waiting = scheduler.get(night)
    two = datetime(2026, 11, 30, 2, 0).timestamp()
    assert waiting["state"] == State.QUEUED
    assert waiting["waiting"] == {"for": "schedule", "until": two}
    queues = {q["name"]: q for q in scheduler.queues()}
    state = {name: (q["schedule"], q["open"], q["next_open"]) for name, q in queues.items()}
    assert state == {"main": ("global", True, None), "night": ("own", False, two)}

    wall[0] = datetime(2026, 11, 30, 2, 7).timestamp()  # a suspend through 02:00: open on waking
    wait_state(scheduler, night, State.RUNNING, 3.0)
    time.sleep(1.0)
    wall[0] = datetime(2026, 11, 30, 6, 0).timestamp()
    wait_state(scheduler, night, State.QUEUED, 3.0)
    held = scheduler.get(night)
    assert held["stop_reason"] == "schedule" and 0 < held["done"] < 6 * MiB
    time.sleep(1.5)
    assert scheduler.get(night)["state"] == State.QUEUED
    assert scheduler.get(day)["state"] == State.RUNNING  # main's window is the global one: always

    wall[0] = datetime(2026, 12, 1, 2, 30).timestamp()  # the next night: it continues
    wait_state(scheduler, night, State.COMPLETED, 15.0)
    path = Path(scheduler.get(night)["path"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    sent = sum(line.bytes_sent for line in nginx.log() if "/qnight.bin" in line.request)
    assert sent < 6 * MiB + 2 * MiB, f"continued, not restarted: nginx sent {sent}"
    scheduler.cancel(day)
