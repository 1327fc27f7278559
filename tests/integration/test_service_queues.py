"""Named queues, their order, start now and settings changed live, in the service's scheduler
on a real nginx and a real SQLite file (the scheduler runs in this process)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paxel.errors import ErrorCode, ProtocolError
from paxel.sameness import FileFacts
from paxel.service.lifecycle import State
from paxel.service.request import DownloadRequest
from paxel.service.scheduler import Scheduler
from paxel.service.store import MIGRATIONS, Store
from support.nginx import Nginx
from support.scheduler import Schedulers, add

MiB = 1 << 20


def _state(scheduler: Scheduler, ident: str) -> str:
    return str(scheduler.get(ident)["state"])


def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_queues_run_side_by_side_each_under_its_limit_in_its_order(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    for name in ("a1", "a2", "a3", "n1", "n2"):
        nginx.add_file(f"{name}.bin", 4 * MiB)
    scheduler = make_scheduler(max_concurrent=1, queues={"night": {"max_concurrent": 1}})
    slow = "?slow=256k"
    a1, a2, a3 = (add(scheduler, nginx.url(f"{n}.bin") + slow) for n in ("a1", "a2", "a3"))
    n1, n2 = (add(scheduler, nginx.url(f"{n}.bin") + slow, queue="night") for n in ("n1", "n2"))
    _until(lambda: _state(scheduler, a1) == State.RUNNING and _state(scheduler, n1) == State.RUNNING)
    views = {v["download_id"]: v for v in scheduler.list()}
    assert [views[i]["queue_position"] for i in (a1, a2, a3, n1, n2)] == [None, 1, 2, None, 1]
    assert views[a2]["waiting"] == {"for": "queue"} and views[n2]["queue"] == "night"
    assert {q["name"]: (q["running"], q["queued"]) for q in scheduler.queues()} == {"main": (1, 2),
                                                                                    "night": (1, 1)}

    assert scheduler.move(a3, "top")["queue_position"] == 1
    assert scheduler.get(a2)["queue_position"] == 2
    assert scheduler.move(a3, "down")["queue_position"] == 2
    assert scheduler.move(a3, "up")["queue_position"] == 1
    with pytest.raises(ProtocolError) as running:
        scheduler.move(a1, "top")
    assert running.value.code == ErrorCode.BAD_STATE

    # start now: past main's limit of 1, while a1 still runs
    scheduler.start_now(a2)
    _until(lambda: _state(scheduler, a2) == State.RUNNING)
    assert _state(scheduler, a1) == State.RUNNING and _state(scheduler, a3) == State.QUEUED

    # a paused download started now comes first in its queue and runs at once
    scheduler.pause(n2)
    scheduler.start_now(n2)
    _until(lambda: _state(scheduler, n2) == State.RUNNING)
    assert _state(scheduler, n1) == State.RUNNING

    # into another queue: last there
    moved = scheduler.assign(a3, "night")
    assert moved["queue"] == "night" and moved["queue_position"] == 1
    with pytest.raises(ProtocolError) as unknown:
        scheduler.assign(a3, "nope")
    assert unknown.value.code == ErrorCode.NOT_FOUND
    for ident in (a1, a2, a3, n1, n2):
        scheduler.cancel(ident)


def test_settings_changed_live_are_written_and_applied(
        nginx: Nginx, make_scheduler: Schedulers, tmp_path: Path) -> None:
    nginx.add_file("s1.bin", 4 * MiB)
    nginx.add_file("s2.bin", 4 * MiB)
    events: list[tuple[str, dict[str, Any]]] = []
    scheduler = make_scheduler(emit=lambda name, data: events.append((name, data)), max_concurrent=1,
                               queues={"night": {"max_concurrent": 1}})
    first = add(scheduler, nginx.url("s1.bin") + "?slow=256k")
    second = add(scheduler, nginx.url("s2.bin") + "?slow=256k", queue="night")
    _until(lambda: _state(scheduler, second) == State.RUNNING)
    scheduler.pause(second)
    # removing `night` moves its downloads to main; raising main's limit starts them at once
    scheduler.change_settings({"queues": {}, "max_concurrent": 2, "duplicates": "ask"})
    assert scheduler.get(second)["queue"] == "main"
    scheduler.resume(second)
    _until(lambda: _state(scheduler, second) == State.RUNNING and _state(scheduler, first) == State.RUNNING)
    written = json.loads((tmp_path / "settings.json").read_text())
    assert written["max_concurrent"] == 2 and written["duplicates"] == "ask" and written["queues"] == {}
    assert written["roots"] == [str(tmp_path / "dl")], "keys not changed stay as the file has them"
    assert any(name == "settings" and data["settings"]["max_concurrent"] == 2 for name, data in events)
    with pytest.raises(ProtocolError) as bad:
        scheduler.change_settings({"max_concurrent": 99})
    assert bad.value.code == ErrorCode.BAD_FIELD and "max_concurrent" in bad.value.message
    assert json.loads((tmp_path / "settings.json").read_text()) == written, "nothing written"
    for ident in (first, second):
        scheduler.cancel(ident)


def test_folder_rules_choose_the_folder_inside_the_roots(
        nginx: Nginx, make_scheduler: Schedulers, tmp_path: Path) -> None:
    nginx.add_file("movie.mp4", 64 * 1024)
    nginx.add_file("notes.txt", 1024)
    scheduler = make_scheduler(folder_rules={"by_type": True,
                                             "sites": [{"host": "localhost", "folder": "/etc"}]})
    video = scheduler.add(DownloadRequest.from_fields({"url": nginx.url("movie.mp4")}))
    assert video["folder"] == str(tmp_path / "dl" / "Video")
    with pytest.raises(ProtocolError) as outside:  # a site rule pointing outside the roots
        scheduler.add(DownloadRequest.from_fields({"url": nginx.url("notes.txt").replace("127.0.0.1",
                                                                                        "localhost")}))
    assert outside.value.code == ErrorCode.FOLDER_NOT_ALLOWED
    explicit = scheduler.add(DownloadRequest.from_fields({"url": nginx.url("movie.mp4"),
                                                          "folder": str(tmp_path / "dl")}))
    assert explicit["folder"] == str(tmp_path / "dl"), "an explicit folder wins over the rules"
    _until(lambda: _state(scheduler, video["download_id"]) == State.COMPLETED)
    assert (tmp_path / "dl" / "Video" / "movie.mp4").stat().st_size == 64 * 1024


def test_a_queue_removed_from_the_file_while_stopped_sends_its_downloads_to_main(
        nginx: Nginx, make_scheduler: Schedulers, tmp_path: Path) -> None:
    nginx.add_file("gone.bin", 1024)
    scheduler = make_scheduler(queues={"gone": {"max_concurrent": 1}}, schedule={"windows": [
        {"start": "00:00", "stop": "00:01", "days": ["mon"]}]})
    ident = add(scheduler, nginx.url("gone.bin"), queue="gone")
    scheduler.stop()
    again = make_scheduler()  # the same database, a settings file without the queue
    assert again.get(ident)["queue"] == "main"


def test_a_version_4_database_keeps_its_order_in_main(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:4], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
    for seq in (1, 2):
        db.execute("INSERT INTO downloads (id, seq, url, folder, state, connections, created_at) "
                   "VALUES (?, ?, 'https://h.test/f', '/tmp', 'queued', 2, 0)", (f"d-{seq}", seq))
    db.commit()
    db.close()
    store = Store(path)
    assert [(r.id, r.queue, r.position) for r in store.with_state(State.QUEUED)] == [("d-1", "main", 1),
                                                                                     ("d-2", "main", 2)]
    assert store.insert(store.get("d-1").__class__(id="d-3", url="https://h.test/g", folder="/tmp",
                                                   connections=1)).position == 3
    store.close()


def test_start_now_runs_outside_the_schedule_and_a_closing_window_leaves_it(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("w1.bin", 4 * MiB)
    nginx.add_file("w2.bin", 4 * MiB)
    wall = [datetime(2026, 11, 30, 1, 0).timestamp()]
    scheduler = make_scheduler(schedule={"windows": [{"start": "02:00", "stop": "06:00"}]})
    scheduler.limits.clock = lambda: wall[0]
    scheduler.change_settings({"max_concurrent": 2})  # reads the (injected) clock again
    held, forced = (add(scheduler, nginx.url(n) + "?slow=256k") for n in ("w1.bin", "w2.bin"))
    waiting = scheduler.get(held)["waiting"]
    assert waiting["for"] == "schedule" and waiting["until"] == datetime(2026, 11, 30, 2, 0).timestamp()
    scheduler.start_now(forced)
    _until(lambda: _state(scheduler, forced) == State.RUNNING)
    assert _state(scheduler, held) == State.QUEUED
    wall[0] = datetime(2026, 11, 30, 2, 30).timestamp()
    _until(lambda: _state(scheduler, held) == State.RUNNING)
    wall[0] = datetime(2026, 11, 30, 6, 0).timestamp()
    _until(lambda: _state(scheduler, held) == State.QUEUED)
    time.sleep(1.5)
    assert _state(scheduler, forced) == State.RUNNING, "a started-now download is not held"
    for ident in (held, forced):
        scheduler.cancel(ident)


def test_duplicates_by_name_and_running_and_after_completion_open(nginx: Nginx, make_scheduler: Schedulers,
                                                                  tmp_path: Path) -> None:
    nginx.add_file("taken.bin", 1024)
    nginx.add_file("long.bin", 4 * MiB)
    (tmp_path / "dl" / "taken.bin").write_bytes(b"mine")
    opened: list[tuple[str, str]] = []
    scheduler = make_scheduler(duplicates="ask", after_completion={"action": "reveal"})
    scheduler._opener = lambda view, what: opened.append((view["path"], what))
    added, question = scheduler.add_checked(DownloadRequest.from_fields(
        {"url": nginx.url("taken.bin"), "filename": "taken.bin"}))
    assert question is not None
    assert (question["kind"], question["of"], question["action"]) == ("name", None, "ask")
    assert added["waiting"] == {"for": "duplicate"}
    with pytest.raises(ProtocolError) as nothing:
        scheduler.answer_duplicate(added["download_id"], "resume")
    assert nothing.value.code == ErrorCode.BAD_STATE
    assert scheduler.answer_duplicate(added["download_id"], "skip") is None
    assert (tmp_path / "dl" / "taken.bin").read_bytes() == b"mine" and scheduler.list() == []

    # resume: the same file (name and size, from a take's first answer) while it runs
    scheduler.change_settings({"duplicates": "resume"})
    facts = FileFacts("long.bin", 4 * MiB, '"e-1"')
    first_request = DownloadRequest.from_fields({"url": nginx.url("long.bin") + "?slow=512k&sig=1",
                                                 "connections": 1})
    first = scheduler.add_checked(first_request, facts)[0]["download_id"]
    _until(lambda: scheduler.get(first)["total"] == 4 * MiB)
    signed = DownloadRequest.from_fields({"url": nginx.url("long.bin") + "?sig=2"})
    again, answer = scheduler.add_checked(signed, facts)
    assert again["download_id"] == first and answer is not None and answer["action"] == "continued"
    assert len(scheduler.list()) == 1
    # name and size alone (no validator) are only likely the same file: never dropped
    unsure, added = scheduler.add_checked(signed, FileFacts("long.bin", 4 * MiB))
    assert unsure["download_id"] != first and added is not None and added["action"] == "added"
    scheduler.remove(unsure["download_id"])
    scheduler.limits.set_global_speed(None)
    nginx.add_file("small.bin", 2048)
    small = add(scheduler, nginx.url("small.bin"))
    _until(lambda: _state(scheduler, small) == State.COMPLETED)
    _until(lambda: bool(opened))
    assert opened == [(scheduler.get(small)["path"], "folder")]
    scheduler.cancel(first)


def test_a_schedule_set_while_downloads_run_holds_them_at_once(
        nginx: Nginx, make_scheduler: Schedulers) -> None:
    nginx.add_file("live.bin", 4 * MiB)
    scheduler = make_scheduler()
    ident = add(scheduler, nginx.url("live.bin") + "?slow=256k")
    _until(lambda: _state(scheduler, ident) == State.RUNNING)
    later = datetime.now() + timedelta(hours=2)
    window = {"start": later.strftime("%H:%M"), "stop": (later + timedelta(hours=1)).strftime("%H:%M")}
    scheduler.change_settings({"schedule": {"windows": [window]}})
    _until(lambda: _state(scheduler, ident) == State.QUEUED, 5.0)
    held = scheduler.get(ident)
    assert held["stop_reason"] == "schedule" and held["waiting"]["for"] == "schedule"
    scheduler.change_settings({"schedule": None})
    _until(lambda: _state(scheduler, ident) == State.RUNNING, 5.0)
    scheduler.cancel(ident)
