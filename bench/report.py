"""The benchmark's tables: per-scenario detail and the issue's summary with ratios and goals.

Units: MB = 10^6 bytes (MB/s, CPU seconds per GB), medians over interleaved rounds.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

GB = 1_000_000_000
MB = 1_000_000


@dataclass
class Sample:
    wall: float
    cpu: float
    requests: int
    connections: int
    bytes_sent: int


@dataclass
class Row:
    tool: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(getattr(s, attr) for s in self.samples))

    @property
    def wall(self) -> float:
        return self.median("wall")

    @property
    def cpu(self) -> float:
        return self.median("cpu")


@dataclass(frozen=True)
class Measured:
    """One scenario's result: its rows and the facts its goal needs."""
    key: str
    title: str
    size: int
    rows: dict[str, Row]
    ideal: float | None = None

    def mbps(self, tool: str) -> float:
        return self.size / MB / self.rows[tool].wall

    def cpu_per_gb(self, tool: str) -> float:
        return self.rows[tool].cpu / (self.size / GB)


def detail(m: Measured) -> str:
    """Markdown table of medians; ratios are each tool's against the best other tool."""
    lines = [f"#### {m.title}\n",
             "| tool | wall s | MB/s | CPU s | CPU s/GB | requests | conns | sent/size "
             "| wall ÷ best other | CPU ÷ best other |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = list(m.rows.values())
    big = m.size >= MB
    for row in rows:
        others = [r for r in rows if r is not row]
        best_wall = min((r.wall for r in others), default=row.wall)
        best_cpu = min((r.cpu for r in others), default=row.cpu)
        rate, per_gb = ((f"{m.mbps(row.tool):.1f}", f"{m.cpu_per_gb(row.tool):.2f}")
                        if big else ("—", "—"))  # meaningless for a 1 KiB file
        lines.append(
            f"| {row.tool} | {row.wall:.3f} | {rate} | {row.cpu:.3f} | {per_gb} "
            f"| {row.median('requests'):.0f} | {row.median('connections'):.0f} "
            f"| {row.median('bytes_sent') / m.size:.3f} | {row.wall / best_wall:.2f} "
            f"| {row.cpu / best_cpu:.2f} |")
    if "paxel" in m.rows and len(rows) > 1:
        vs = ", ".join(f"{r.tool} {m.rows['paxel'].wall / r.wall:.2f}×" for r in rows if r.tool != "paxel")
        lines.append(f"\npaxel wall time ÷ {vs} (below 1 = paxel faster)")
    return "\n".join(lines)


# --- the summary -----------------------------------------------------------------------

SUMMARY_TOOLS = ("paxel", "aria2c", "axel", "curl", "paxel-before")


def _cell(m: Measured, tool: str, per_gb: Callable[[str], float] | None = None) -> str:
    if tool not in m.rows:
        return "–"
    gb = (per_gb or m.cpu_per_gb)(tool)
    if m.ideal is not None:
        return f"{m.rows[tool].wall:.2f} s, {gb:.2f} s/GB"
    return f"{m.mbps(tool):.0f} MB/s, {gb:.2f} s/GB"


def _ratios(m: Measured, per_gb: Callable[[str], float] | None = None) -> str:
    """paxel's wall and CPU/GB as a multiple of each other tool's (below 1 = paxel better)."""
    if "paxel" not in m.rows:
        return "–"
    cpu = per_gb or m.cpu_per_gb
    parts = [f"{t} wall {m.rows['paxel'].wall / m.rows[t].wall:.2f}× cpu {cpu('paxel') / cpu(t):.2f}×"
             for t in SUMMARY_TOOLS[1:] if t in m.rows]
    if m.ideal is not None:
        parts.append(f"ideal {m.rows['paxel'].wall / m.ideal:.3f}×")
    return "; ".join(parts)


@dataclass(frozen=True)
class Goal:
    text: str
    check: Callable[[dict[str, Measured]], bool | None]   # None: not measured in this run


def _has(ms: dict[str, Measured], key: str, *tools: str) -> Measured | None:
    m = ms.get(key)
    return m if m is not None and all(t in m.rows for t in tools) else None


def steady_cpu_per_gb(ms: dict[str, Measured], tool: str) -> float | None:
    """CPU per GB with start-up taken out: (CPU for 1 GiB − CPU for 256 MiB) / the 768 MiB between
    (both capped alike, so start-up, probing and the tail cancel out)."""
    big, small = _has(ms, "capped1g", tool), _has(ms, "capped", tool)
    if big is None or small is None:
        return None
    return (big.rows[tool].cpu - small.rows[tool].cpu) / ((big.size - small.size) / GB)


def _steady_ok(ms: dict[str, Measured]) -> bool | None:
    paxel, aria = steady_cpu_per_gb(ms, "paxel"), steady_cpu_per_gb(ms, "aria2c")
    return None if paxel is None or aria is None else paxel <= aria


def _capped_ok(ms: dict[str, Measured]) -> bool | None:
    m = _has(ms, "capped", "paxel", "aria2c")
    if m is None or m.ideal is None:
        return None
    return m.rows["paxel"].wall <= m.rows["aria2c"].wall and m.rows["paxel"].wall <= 1.03 * m.ideal


def _vs(key: str, tool: str, factor: float) -> Callable[[dict[str, Measured]], bool | None]:
    def check(ms: dict[str, Measured]) -> bool | None:
        m = _has(ms, key, "paxel", tool)
        return None if m is None else m.mbps("paxel") >= factor * m.mbps(tool)
    return check


def _uneven_ok(ms: dict[str, Measured]) -> bool | None:
    m = _has(ms, "uneven", "paxel", "aria2c", "axel")
    if m is None:
        return None
    return m.rows["paxel"].wall < min(m.rows["aria2c"].wall, m.rows["axel"].wall)


GOALS = {
    "capped": Goal("≤ 1.0× aria2c wall, within 3 % of the ideal", _capped_ok),
    "capped1g": Goal("steady-state CPU/GB ≤ aria2c", _steady_ok),
    "tmpfs": Goal("≥ curl (paxel's default connections)", _vs("tmpfs", "curl", 1.0)),
    "noranges": Goal("≥ 0.95× curl", _vs("noranges", "curl", 0.95)),
    "uneven": Goal("faster than aria2c and axel", _uneven_ok),
}


def summary(measured: Sequence[Measured]) -> str:
    ms = {m.key: m for m in measured}
    lines = ["| case | " + " | ".join(SUMMARY_TOOLS) + " | paxel ÷ others | goal | met |",
             "|---|" + "---|" * (len(SUMMARY_TOOLS) + 3)]
    for m in measured:
        goal = GOALS.get(m.key)
        if goal is None:
            continue
        per_gb: Callable[[str], float] | None = None
        if m.key == "capped1g" and _has(ms, "capped"):
            def per_gb(tool: str, m: Measured = m) -> float:
                steady = steady_cpu_per_gb(ms, tool)
                return steady if steady is not None else m.cpu_per_gb(tool)
        ok = goal.check(ms)
        met = "not measured" if ok is None else ("yes" if ok else "**no**")
        cells = " | ".join(_cell(m, t, per_gb) for t in SUMMARY_TOOLS)
        lines.append(f"| {m.title} | {cells} | {_ratios(m, per_gb)} | {goal.text} | {met} |")
    note = ("\nCells: wall time (capped cases) or MB/s, and CPU seconds per GB (user+sys of the "
            "process tree); the 1 GiB capped row gives steady-state CPU/GB (1 GiB run minus the "
            "256 MiB run) when both ran. Ratios: paxel's figure ÷ the other tool's (below 1 = paxel "
            "faster / cheaper).")
    return "\n".join(lines) + note
