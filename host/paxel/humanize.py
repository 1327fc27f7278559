"""Numbers and names as people read them, the panel's rules in Python (pure, no I/O).

Same rules as `extension/lib/format.js` (the popup's and the panel's one formatter; the golden
examples in tests/support/format_golden.json are checked against both): binary units (KiB, MiB,
GiB, TiB) with one decimal below 100 and none from 100 on, whole bytes below 1 KiB; durations as
m:ss or h:mm:ss, time left as "m:ss left". Names that do not fit are cut in the middle, so the
start (what it is) and the extension (what kind) stay. Widths are terminal cells
(`rich.cells.cell_len`): a CJK character takes two.
"""

from __future__ import annotations

import math
import posixpath
from urllib.parse import unquote, urlsplit

UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
ELLIPSIS = "…"
MAX_EXTENSION = 10  # cells of a kept extension, dot included (".tar.gz" yes, ".abcdefghijkl" no)


def _scaled(value: float) -> tuple[float, int]:
    unit = 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    return value, unit


def _number(value: float) -> str:
    # 99.96 would print as "100.0": decide on the rounded value
    return f"{value:.0f}" if round(value, 1) >= 100 else f"{value:.1f}"


def format_size(size: float) -> str:
    """4096 -> "4.0 KiB"; 5368709120 -> "5.0 GiB"; 512 -> "512 B"."""
    if not math.isfinite(size) or size < 0:
        return "?"
    value, unit = _scaled(size)
    if unit and round(value) >= 1024 and unit < len(UNITS) - 1:  # 1023.99 KiB reads "1.0 MiB"
        value, unit = value / 1024, unit + 1
    return f"{int(value)} B" if unit == 0 else f"{_number(value)} {UNITS[unit]}"


def format_pair(done: float, total: float) -> str:
    """Progress against a total in one unit when they share it: "1.2/5.0 GiB", else "512 KiB/5.0 GiB"."""
    done_text, total_text = format_size(done), format_size(total)
    done_unit, total_unit = done_text.rpartition(" ")[2], total_text.rpartition(" ")[2]
    if done_unit == total_unit:
        return f"{done_text.rpartition(' ')[0]}/{total_text}"
    return f"{done_text}/{total_text}"


def format_rate(bytes_per_second: float) -> str:
    """Speed: "81.2 MiB/s" ("" when nothing is moving)."""
    if not math.isfinite(bytes_per_second) or bytes_per_second <= 0:
        return ""
    return f"{format_size(bytes_per_second)}/s"


def format_duration(seconds: float) -> str:
    """62 -> "1:02"; 3725 -> "1:02:05" ("" when unknown)."""
    if not math.isfinite(seconds) or seconds < 0:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_eta(seconds: float | None) -> str:
    """Time left in the one ETA style every surface uses: "0:47 left" ("" when unknown)."""
    duration = format_duration(seconds) if seconds is not None else ""
    return f"{duration} left" if duration else ""


def cell_len(text: str) -> int:
    """Terminal cells `text` takes. rich is imported here, on first use, not with this module:
    `paxel URL` formats sizes and durations before its first request, and rich is not needed for
    those (tests/integration/test_lean_start.py)."""
    from rich.cells import cell_len as cells

    return cells(text)


def _take_cells(text: str, width: int, from_end: bool = False) -> str:
    """The longest prefix (or suffix) of `text` at most `width` cells wide."""
    chars = reversed(text) if from_end else iter(text)
    kept: list[str] = []
    used = 0
    for char in chars:
        size = cell_len(char)
        if used + size > width:
            break
        kept.append(char)
        used += size
    return "".join(reversed(kept)) if from_end else "".join(kept)


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or cell_len(ext) + 1 > MAX_EXTENSION:
        return ""
    inner = stem.rpartition(".")  # keep a double extension such as .tar.gz whole
    if inner[1] and inner[0] and cell_len(inner[2]) <= 4 and cell_len(inner[2] + ext) + 2 <= MAX_EXTENSION:
        return f".{inner[2]}.{ext}"
    return f".{ext}"


def shorten_middle(name: str, width: int) -> str:
    """`name` in at most `width` cells: unchanged when it fits, else start + "…" + end, where the
    end keeps the extension whole when there is room for some of the start too."""
    if cell_len(name) <= width:
        return name
    if width <= 0:
        return ""
    if width == 1:
        return ELLIPSIS
    room = width - 1  # the ellipsis takes one cell
    ext = _extension(name)
    tail_cells = cell_len(ext) + (room - cell_len(ext)) // 3 if cell_len(ext) <= room // 2 else room // 3
    tail = _take_cells(name, tail_cells, from_end=True)
    head = _take_cells(name, room - cell_len(tail))
    return f"{head}{ELLIPSIS}{tail}"


def name_from_url(url: str) -> str:
    """What to call a download before the server names it: the URL's last path segment, decoded
    ("my%20file.zip" -> "my file.zip"), else the host."""
    parts = urlsplit(url)
    segment = posixpath.basename(parts.path.rstrip("/"))
    name = unquote(segment, errors="replace")
    printable = "".join(c for c in name if c.isprintable())
    return printable or parts.hostname or url


__all__ = [
    "format_duration",
    "format_eta",
    "format_pair",
    "format_rate",
    "format_size",
    "name_from_url",
    "shorten_middle",
]
