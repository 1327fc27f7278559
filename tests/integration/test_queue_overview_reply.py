"""The `queues` reply the panel's queue overview is drawn from, in the real scheduler with the
wall clock injected: per queue, open now and until when (`next_close`) or closed and when it
opens (`next_open`); at the top, the limit over all downloads that holds now (`max_speed`: a
time-of-day rule replaces the one set while it holds)."""

from __future__ import annotations

import time
from datetime import datetime

from support.scheduler import Schedulers


def test_the_queues_reply_says_until_when_a_queue_is_open_and_the_limit_now(
        make_scheduler: Schedulers) -> None:
    wall = [datetime(2026, 11, 30, 3, 0).timestamp()]  # a Monday, 03:00
    own = {"night": ("02:00", "06:00", 1), "day": ("09:00", "17:00", 2)}
    scheduler = make_scheduler(
        lambda: wall[0], max_speed="8M",
        schedule={"windows": [], "speeds": [{"start": "01:00", "stop": "04:00", "max_speed": "1M"}]},
        queues={name: {"max_concurrent": n, "schedule": {"windows": [{"start": a, "stop": b}]}}
                for name, (a, b, n) in own.items()})
    reply = {"queues": scheduler.queues(), **scheduler.window()}  # read at the start: no wait
    assert reply["max_speed"] == 1 << 20  # the time rule's, not the 8M set
    state = {q["name"]: (q["open"], q["next_open"], q["next_close"]) for q in reply["queues"]}
    at = {h: datetime(2026, 11, 30, h).timestamp() for h in (6, 9)}
    assert state == {"main": (True, None, None), "night": (True, None, at[6]), "day": (False, at[9], None)}
    assert (reply["open"], reply["next_open"], reply["next_close"]) == (True, None, None)

    wall[0] = datetime(2026, 11, 30, 5, 0).timestamp()  # the rule has ended: the limit set holds
    deadline = time.monotonic() + 10  # read again by the scheduler's tick (about every second)
    while scheduler.window()["max_speed"] != 8 << 20:
        assert time.monotonic() < deadline, scheduler.window()
        time.sleep(0.05)
    night = next(q for q in scheduler.queues() if q["name"] == "night")
    assert night["next_close"] == datetime(2026, 11, 30, 6).timestamp()
