"""Queue and history in SQLite (the only module with SQL).

One connection shared by the service's threads behind a lock; WAL so a crash (kill -9) never
loses a committed row. Credentials (cookies, Cookie/Authorization headers) must leave the disk
when they are dropped, not only the row: `secure_delete` zeroes the space they took in a page,
and a TRUNCATE checkpoint after each such write moves the new pages into the database and
empties the -wal file, which still held the old ones. The schema version is SQLite's
`user_version`; migrations are appended to MIGRATIONS and run in order at open.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from paxel.cookies import Cookie
from paxel.service.lifecycle import State, StopReason

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE downloads (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        url TEXT NOT NULL,
        final_url TEXT,
        filename TEXT,
        folder TEXT NOT NULL,
        path TEXT,
        state TEXT NOT NULL,
        total INTEGER,
        done INTEGER NOT NULL DEFAULT 0,
        connections INTEGER NOT NULL,
        headers TEXT NOT NULL DEFAULT '{}',
        cookies TEXT NOT NULL DEFAULT '[]',
        checksum TEXT,
        source TEXT,
        error TEXT,
        created_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX downloads_state ON downloads(state);
    """,
    # 2: why a download stopped (paxel.service.lifecycle.StopReason); unknown for older rows.
    "ALTER TABLE downloads ADD COLUMN stop_reason TEXT",
    # 3: cookies stored as paxel.cookies.Cookie fields (name, value, domain without its dot,
    # host_only, path, secure, expiry) instead of the wire's objects; rewrite the older rows.
    """
    UPDATE downloads SET cookies = (
        SELECT json_group_array(json_object(
            'name', json_extract(c.value, '$.name'),
            'value', json_extract(c.value, '$.value'),
            'domain', lower(ltrim(json_extract(c.value, '$.domain'), '.')),
            'host_only', json(CASE WHEN coalesce(json_extract(c.value, '$.host_only'),
                                                 substr(json_extract(c.value, '$.domain'), 1, 1) != '.')
                              THEN 'true' ELSE 'false' END),
            'path', coalesce(nullif(json_extract(c.value, '$.path'), ''), '/'),
            'secure', json(CASE WHEN json_extract(c.value, '$.secure') THEN 'true' ELSE 'false' END),
            'expiry', json_extract(c.value, '$.expiration_date')))
        FROM json_each(downloads.cookies) AS c)
    WHERE cookies != '[]'
    """,
    # 4: the download's own speed limit in bytes/s (`limit`), null: none.
    "ALTER TABLE downloads ADD COLUMN max_speed INTEGER",
    # 5: a media stream's request ({"quality": max height or null}, JSON); null: a plain file.
    "ALTER TABLE downloads ADD COLUMN media TEXT",
    # 6: the named queue a download belongs to (settings `queues`; "main" is the default one) and
    # its place in the queue's order (smaller first; `move` changes it; older rows keep their
    # order of arrival); and, while a user's answer is awaited, what it is a duplicate of.
    """
    ALTER TABLE downloads ADD COLUMN queue TEXT NOT NULL DEFAULT 'main';
    ALTER TABLE downloads ADD COLUMN position INTEGER;
    ALTER TABLE downloads ADD COLUMN duplicate TEXT;
    UPDATE downloads SET position = seq;
    CREATE INDEX downloads_queue ON downloads(queue, position)
    """,
    # 7: the file's validators as paxel's first answer gave them (`take`): what lets a later
    # duplicate be VALIDATED (paxel.sameness), not only LIKELY; null when not known.
    """
    ALTER TABLE downloads ADD COLUMN etag TEXT;
    ALTER TABLE downloads ADD COLUMN last_modified TEXT
    """,
)


@dataclass(frozen=True)
class Record:
    """One download as stored. Cookies and credential headers (Cookie, Authorization) live here
    only while the download may still need them (runner.credentials_dropped)."""

    id: str
    url: str
    folder: str
    connections: int
    state: State = State.QUEUED
    seq: int = 0
    final_url: str | None = None
    filename: str | None = None
    path: str | None = None
    total: int | None = None
    done: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    cookies: tuple[Cookie, ...] = ()
    checksum: str | None = None
    source: str | None = None
    error: dict[str, Any] | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    stop_reason: StopReason | None = None
    max_speed: int | None = None
    media: dict[str, Any] | None = None   # a stream (paxel.service.mediarun): {"quality": H or None}
    queue: str = "main"
    position: int = 0  # order within its queue, smaller first (Store.insert: after every other)
    duplicate: dict[str, Any] | None = None  # the question `duplicates: ask` waits on (duplicates.py)
    etag: str | None = None  # the server's validators from paxel's first answer (take), if any
    last_modified: str | None = None


_COLUMNS = ("id", "seq", "url", "final_url", "filename", "folder", "path", "state", "total", "done",
            "connections", "headers", "cookies", "checksum", "source", "error", "created_at", "finished_at",
            "stop_reason", "max_speed", "media", "queue", "position", "duplicate",
            "etag", "last_modified")
_JSON_COLUMNS = {"headers", "cookies", "error", "media", "duplicate"}
_CREDENTIAL_COLUMNS = {"headers", "cookies"}


class Store:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        _make_private(path)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise RuntimeError(f"database schema {version} is newer than this paxel ({len(MIGRATIONS)})")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def insert(self, record: Record) -> Record:
        with self._lock:
            seq, position = (int(n) for n in self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1, COALESCE(MAX(position), 0) + 1 FROM downloads").fetchone())
            record = replace(record, seq=seq, position=position, created_at=record.created_at or time.time())
            values = [_encode(name, getattr(record, name)) for name in _COLUMNS]
            self._db.execute(f"INSERT INTO downloads ({', '.join(_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(_COLUMNS))})", values)
        return record

    def update(self, download_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise KeyError(f"no such columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        values = [_encode(name, value) for name, value in changes.items()]
        with self._lock:
            self._db.execute(f"UPDATE downloads SET {assignments} WHERE id = ?", [*values, download_id])
            if _CREDENTIAL_COLUMNS & set(changes):
                self._scrub()

    def next_position(self) -> int:
        """A position after every download's (last in any queue)."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM downloads").fetchone()[0])

    def get(self, download_id: str) -> Record | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM downloads WHERE id = ?",
                                   (download_id,)).fetchone()
        return _decode(row) if row else None

    def all(self) -> list[Record]:
        """Newest first."""
        return list(self._select("ORDER BY seq DESC"))

    def with_state(self, *states: State) -> list[Record]:
        """In queue order (`position`, then oldest first)."""
        marks = ", ".join("?" * len(states))
        return list(self._select(f"WHERE state IN ({marks}) ORDER BY position, seq",
                                 tuple(s.value for s in states)))

    def queued_places(self) -> list[Placed]:
        """Every queued download's id, queue and position, in queue order: what a queue's order
        needs, without decoding whole records (a `download` request asks this for its own
        view: with_state(QUEUED) there made adding 500 downloads quadratic, ~25 ms each)."""
        with self._lock:
            rows = self._db.execute("SELECT id, queue, position FROM downloads WHERE state = ? "
                                    "ORDER BY position, seq", (State.QUEUED.value,)).fetchall()
        return [Placed(str(i), str(q), int(p)) for i, q, p in rows]

    def rename_queues(self, renames: Mapping[str, str]) -> list[str]:
        """Downloads of queue OLD go to NEW for each `renames` item, in one statement (so that
        swapping two names swaps their downloads); returns their ids."""
        if not renames:
            return []
        cases = " ".join("WHEN ? THEN ?" for _ in renames)
        marks = ", ".join("?" * len(renames))
        pairs = [name for pair in renames.items() for name in pair]
        with self._lock:
            rows = self._db.execute(f"UPDATE downloads SET queue = CASE queue {cases} END "
                                    f"WHERE queue IN ({marks}) RETURNING id", (*pairs, *renames)).fetchall()
        return [str(row[0]) for row in rows]

    def rehome(self, queues: Collection[str], default: str) -> list[str]:
        """Downloads of a queue not in `queues` (removed from the settings) move to `default`;
        returns their ids."""
        marks = ", ".join("?" * len(queues))
        with self._lock:
            rows = self._db.execute(f"UPDATE downloads SET queue = ? WHERE queue NOT IN ({marks}) "
                                    "RETURNING id", (default, *queues)).fetchall()
        return [str(row[0]) for row in rows]

    def delete(self, download_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM downloads WHERE id = ?", (download_id,))
            self._scrub()

    def _scrub(self) -> None:
        """Old page versions (credentials a write just dropped) leave the -wal file (lock held)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def _select(self, clause: str, args: tuple[Any, ...] = ()) -> Iterator[Record]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM downloads {clause}", args).fetchall()
        return (_decode(row) for row in rows)


class Placed(NamedTuple):
    """A queued download's place (Store.queued_places)."""

    id: str
    queue: str
    position: int


def _make_private(path: Path) -> None:
    """Cookies live in this file: readable by this user only, whatever the umask or the folder
    (SQLite gives its -wal and -shm files the same mode). Also tightens a file made before."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _encode(name: str, value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if name == "cookies":
        return json.dumps([dataclasses.asdict(cookie) for cookie in value])
    return json.dumps(value) if name in _JSON_COLUMNS and value is not None else value


def _decode(row: tuple[Any, ...]) -> Record:
    values = {name: (json.loads(value) if name in _JSON_COLUMNS and value is not None else value)
              for name, value in zip(_COLUMNS, row, strict=True)}
    values["cookies"] = tuple(Cookie(**cookie) for cookie in values["cookies"])
    values["state"] = State(values["state"])
    values["stop_reason"] = StopReason(values["stop_reason"]) if values["stop_reason"] else None
    return Record(**values)
