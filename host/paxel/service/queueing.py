"""The queue policy, pure: which queue a download waits in, whether it may start, and where a
move puts it. The scheduler (paxel.service.scheduler) holds the state and asks these questions.

- Named queues (settings `queues`), each with its own `max_concurrent`; `main` is the default
  queue, its limit is the settings' `max_concurrent`. A download of a queue the settings no
  longer name waits in `main`. Queues run side by side: a full queue never holds up another.
- Order inside a queue is `position` (smaller first), a number per download: new downloads come
  last, `move` gives the moved one a neighbour's number (up, down) or one past the ends (top,
  bottom). Only `queued` downloads take part: a paused one keeps its number and, resumed,
  returns to its old place (which another may have been given meanwhile: a move in a queue
  whose numbers repeat numbers it afresh).
- "Start now" (IDM's *Start download* on a queued file) runs a download at once, past its
  queue's limit and outside the schedule windows; only the per-host connection cap still holds,
  since it protects the server rather than expressing an order.
- A named queue may carry its own schedule windows (settings `queues.NAME.schedule`): it starts
  downloads only inside them, whatever the global schedule says; a queue without one (and
  `main`) follows the global schedule. Same wall-clock and daylight-saving rules
  (paxel.service.schedule), asked anew every second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Literal

from paxel.service.schedule import Timetable

MAIN = "main"
Move = Literal["top", "up", "down", "bottom"]
MOVES: tuple[Move, ...] = ("top", "up", "down", "bottom")


def home(queue: str, limits: Mapping[str, int]) -> str:
    """The queue a download stored in `queue` waits in: itself if the settings name it, else main."""
    return queue if queue in limits else MAIN


def may_start(queue: str, running: Mapping[str, int], limits: Mapping[str, int], window_open: bool,
              forced: bool = False) -> bool:
    """May a queued download of `queue` start now, with `running[q]` downloads running per queue?"""
    if forced:
        return True
    return window_open and running.get(queue, 0) < limits.get(queue, limits.get(MAIN, 1))


def timetable(queue: str, default: Timetable, own: Mapping[str, Timetable]) -> Timetable:
    """The windows `queue` starts downloads in: its own if it has them, else the global ones."""
    return own.get(queue, default)


def open_queues(wall: datetime, default: Timetable, own: Mapping[str, Timetable],
                names: Iterable[str]) -> dict[str, bool]:
    """Which of the queues `names` may start downloads at the wall-clock moment `wall`."""
    return {name: timetable(name, default, own).open_at(wall) for name in names}


def moved(order: Sequence[tuple[str, int]], download_id: str, to: Move) -> dict[str, int]:
    """New positions after moving `download_id` within `order` ((id, position) of a queue's waiting
    downloads, in queue order); only the ones that change. KeyError when it is not in `order`."""
    ids = [ident for ident, _ in order]
    if download_id not in ids:
        raise KeyError(download_id)
    k = ids.index(download_id)
    if any(a[1] >= b[1] for a, b in pairwise(order)):
        return _renumbered(order, download_id, to)
    if to == "top":
        return {} if k == 0 else {download_id: order[0][1] - 1}
    if to == "bottom":
        return {} if k == len(order) - 1 else {download_id: order[-1][1] + 1}
    j = k - 1 if to == "up" else k + 1
    if not 0 <= j < len(order):
        return {}
    return {download_id: order[j][1], ids[j]: order[k][1]}


def _renumbered(order: Sequence[tuple[str, int]], download_id: str, to: Move) -> dict[str, int]:
    """`moved` for a queue where downloads share a position (a paused download keeps its number,
    and one moved meanwhile may be given the same): swapping two equal numbers changes nothing,
    so the whole queue is numbered afresh, in the order after the move, from its first number."""
    ids = [ident for ident, _ in order]
    k = ids.index(download_id)
    target = {"top": 0, "bottom": len(ids) - 1, "up": max(0, k - 1), "down": min(len(ids) - 1, k + 1)}[to]
    ids.insert(target, ids.pop(k))
    base, old = order[0][1], dict(order)
    return {ident: base + n for n, ident in enumerate(ids) if old[ident] != base + n}


def places(order: Sequence[str]) -> dict[str, int]:
    """`queue_position` of each id of a queue's queued downloads in order: 1 starts next."""
    return {ident: n for n, ident in enumerate(order, start=1)}


__all__ = ["MAIN", "MOVES", "Move", "home", "may_start", "moved", "open_queues", "places", "timetable"]
