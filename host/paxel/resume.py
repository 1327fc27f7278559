"""The resume state written beside `NAME.part` (pure encoding; storage.py writes it atomically).

JSON, one object, documented field by field in docs/engine.md. Only bytes that were fdatasync'd
before the state was written are listed, so a state file never claims data the disk lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = 1
SUFFIX = ".paxel"  # NAME.part.paxel beside NAME.part


@dataclass(frozen=True)
class ResumeState:
    url: str
    final_url: str
    size: int
    etag: str | None
    last_modified: str | None
    ranges: tuple[tuple[int, int, int], ...]   # (start, end_exclusive, durable bytes from start)

    @property
    def done(self) -> int:
        return sum(d for _, _, d in self.ranges)


def part_path(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def state_path(final: Path) -> Path:
    return final.with_name(final.name + ".part" + SUFFIX)


def encode(state: ResumeState) -> bytes:
    return json.dumps({
        "version": VERSION, "url": state.url, "final_url": state.final_url, "size": state.size,
        "etag": state.etag, "last_modified": state.last_modified,
        "ranges": [list(r) for r in state.ranges],
    }, separators=(",", ":")).encode()


def decode(data: bytes) -> ResumeState:
    """Parse and validate; ValueError for anything that is not a consistent state."""
    try:
        obj: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"resume state is not JSON: {exc}") from None
    if not isinstance(obj, dict) or obj.get("version") != VERSION:
        raise ValueError("resume state has an unknown version")
    url, final_url, size = obj.get("url"), obj.get("final_url"), obj.get("size")
    etag, modified, raw = obj.get("etag"), obj.get("last_modified"), obj.get("ranges")
    if not (isinstance(url, str) and isinstance(final_url, str) and isinstance(size, int)
            and _is_int(size) and size >= 0):
        raise ValueError("resume state lacks url/size")
    if not all(v is None or isinstance(v, str) for v in (etag, modified)):
        raise ValueError("resume state has bad validators")
    if not isinstance(raw, list):
        raise ValueError("resume state lacks ranges")
    ranges = []
    at = 0
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3 and all(_is_int(v) for v in item)):
            raise ValueError("resume state has a malformed range")
        start, end, done = item
        if start != at or end < start or not 0 <= done <= end - start:
            raise ValueError("resume state ranges do not tile the file")
        ranges.append((start, end, done))
        at = end
    if at != size:
        raise ValueError("resume state ranges do not cover the file")
    return ResumeState(url, final_url, size, etag, modified, tuple(ranges))


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
