"""The one progress line of `paxel URL`, laid out for a terminal width (pure, no I/O).

    ubuntu-24.04…amd64.iso ━━━━━━━━━━─────── 1.2/5.0 GiB  24% 81.2 MiB/s 0:47 left  8 conn retry 2

What matters stays: speed and time left are never pushed out by a long name. When the width is
short, first the name is cut in the middle (down to NAME_MIN cells), then the connection count
goes, then the percentage, then the bar; only then does the name shrink further (down to
NAME_LAST cells), then the retry counter, the time left and the speed go; below that the line is
cut at the terminal's edge. Nothing is
drawn that is not known: while probing there is no bar and no size ("probing…"), with an
unknown total no bar, percentage or ETA. Retries are a counter, never a growing text.
Fields are padded to fixed widths so the line does not jitter as numbers change.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from paxel.humanize import format_duration, format_pair, format_rate, format_size, shorten_middle

NAME_MIN = 16
NAME_LAST = 4  # cells of the name kept before the last fields go
BAR_MIN = 8
BAR_MAX = 40
FILLED, EMPTY = "━", "─"

Fragment = tuple[str, str]  # (text, rich style)


@dataclass(frozen=True)
class LineView:
    """What the line shows; `total` None = not known (yet), `eta` None = cannot tell."""

    name: str
    probing: bool
    total: int | None
    done: int
    speed: float
    eta: float | None
    connections: int
    retries: int


def _fields(view: LineView) -> list[tuple[str, Fragment]]:
    """(role, fragment) right of the name and bar, in display order; empty ones left out."""
    fields: list[tuple[str, Fragment]] = []
    if view.probing:
        fields.append(("state", ("probing…", "cyan")))
    else:
        if view.total is not None:
            fields.append(("size", (format_pair(view.done, view.total).rjust(13), "green")))
            percent = 100 * view.done // view.total if view.total else 100
            fields.append(("percent", (f"{percent:>3d}%", "")))
        else:
            fields.append(("size", (format_size(view.done).rjust(9), "green")))
        fields.append(("speed", (format_rate(view.speed).rjust(10), "red")))
        if view.total is not None:
            eta = format_duration(view.eta) if view.eta is not None else ""
            fields.append(("eta", ((f"{eta} left" if eta else "").rjust(9), "cyan")))
        fields.append(("conns", (f"{view.connections} conn".rjust(7), "dim")))
    if view.retries:
        fields.append(("retries", (f"retry {view.retries}", "yellow")))
    return fields


def _width(fields: list[tuple[str, Fragment]]) -> int:
    return sum(cell_len(text) + 1 for _, (text, _style) in fields)  # each with a space before it


def _bar(fraction: float, width: int) -> list[Fragment]:
    filled = min(width, max(0, round(fraction * width)))
    return [(FILLED * filled, "magenta"), (EMPTY * (width - filled), "dim")]


def layout(view: LineView, width: int) -> list[Fragment]:
    """The line as styled fragments, at most `width` cells in all (see the module docstring)."""
    fields = _fields(view)
    has_bar = view.total is not None and not view.probing
    name_cells = cell_len(view.name)
    for optional in ("conns", "percent", "bar"):
        needed = min(name_cells, NAME_MIN) + _width(fields) + ((BAR_MIN + 1) if has_bar else 0)
        if needed <= width:
            break
        if optional == "bar":
            has_bar = False
        else:
            fields = [f for f in fields if f[0] != optional]
    # Still too wide with the name nearly gone (40 columns through retries): the retry counter
    # goes (its reason was printed above the line), then the time left, then the speed.
    for optional in ("retries", "eta", "speed"):
        if _width(fields) + min(name_cells, NAME_LAST) <= width:
            break
        fields = [f for f in fields if f[0] != optional]
    room = max(0, width - _width(fields))  # for the name, and the bar with its space
    bar_cells = 0
    if has_bar:
        bar_cells = min(BAR_MAX, max(BAR_MIN, room - 1 - name_cells))
        room -= bar_cells + 1
    name = shorten_middle(view.name, room)
    line: list[Fragment] = [(name, "bold")]
    if has_bar:
        pad = room - cell_len(name)  # the bar starts in the same column on every update
        line.append((" " * (pad + 1), ""))
        assert view.total is not None
        line += _bar(view.done / view.total if view.total else 1.0, bar_cells)
    for _, (text, style) in fields:
        line += [(" ", ""), (text, style)]
    return _crop(line, width)


def _crop(line: list[Fragment], width: int) -> list[Fragment]:
    """At most `width` cells (a terminal narrower than the size alone): cut at the edge."""
    kept: list[Fragment] = []
    for text, style in line:
        room = width - sum(cell_len(t) for t, _ in kept)
        if cell_len(text) > room:
            kept.append((set_cell_size(text, max(0, room)), style))
            break
        kept.append((text, style))
    return kept


def plain(fragments: list[Fragment]) -> str:
    return "".join(text for text, _ in fragments)


__all__ = ["BAR_MAX", "BAR_MIN", "NAME_MIN", "LineView", "layout", "plain"]
