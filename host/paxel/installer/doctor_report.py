"""The doctor's report rendered: `as_text` for a person at a terminal, `as_json` for scripts.
Rendering only: the checks that fill a Report live in paxel.installer.doctor."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # doctor imports this module to re-export its functions
    from paxel.installer.doctor import ManifestCheck, Report


def as_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "platform": report.platform,
        "scope": report.scope,
        "service": report.service,
        "panel": report.panel,
        "media": report.media,
        "browsers": [
            {
                "browser": b.name,
                "label": b.label,
                "installed": b.installed,
                "asked": b.asked,
                "evidence": b.evidence,
                "ok": b.ok,
                "problems": [asdict(p) for p in b.problems],
                "manifests": [
                    {
                        "path": m.path,
                        "exists": m.exists,
                        "ok": m.ok,
                        "registry": m.registry,
                        "launcher": None if m.launcher is None else asdict(m.launcher),
                        "problems": [asdict(p) for p in m.problems],
                    }
                    for m in b.manifests
                ],
            }
            for b in report.browsers
        ],
    }


def _state(m: ManifestCheck) -> str:
    return "valid" if m.ok else ("missing" if not m.exists else "has problems")


def as_text(report: Report) -> str:
    scope = "system-wide" if report.scope == "system" else "for this user"
    lines = [f"paxel doctor ({report.platform}, {scope})"]
    count = 0
    for b in report.browsers:
        if not b.installed and not b.manifests:
            lines.append(f"  {b.label}: not installed")
            continue
        where = f" ({', '.join(b.evidence)})" if b.evidence else ""
        mark = ("ok" if b.ok else "!!") if b.asked else "  "
        lines.append(f"{mark} {b.label}: {'installed' if b.installed else 'not installed'}{where}")
        if not b.asked:  # not what the user asked about: information, not a failure
            lines += [f"   note: {p.message} ({p.fix})" for p in b.problems]
            lines += [f"   manifest {m.path}: {_state(m)}" for m in b.manifests]
            continue
        for p in b.problems:
            count += 1
            lines += [f"   problem: {p.message}", f"   fix: {p.fix}"]
        for m in b.manifests:
            lines.append(f"   manifest {m.path}: {_state(m)}")
            for r in m.registry:
                lines.append(f"   registry {r['key']} = {r['value']}")
            if m.launcher is not None and m.launcher.answered:
                lines.append(f"   launcher {m.launcher.path}: {m.launcher.detail}")
            for p in m.problems:
                count += 1
                lines += [f"   problem: {p.message}", f"   fix: {p.fix}"]
    lines.append(f"service: {report.service['detail']}")
    if report.panel:
        lines.append(f"{'' if report.panel['installed'] else '!! '}panel: {report.panel['detail']}")
        if not report.panel["installed"]:
            count += 1
    if report.media:
        lines.append(f"media: {report.media['detail']}")
    lines.append("all good" if report.ok else f"{count} problem(s) found" if count else "no browser found")
    return "\n".join(lines) + "\n"
