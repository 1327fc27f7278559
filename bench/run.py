"""paxel against curl, aria2c and axel on a loopback nginx: wall time, MiB/s, CPU seconds.

Run with `.venv/bin/python bench/run.py` (add `--quick` for a ~1 minute smoke run). Tools are
interleaved round by round so machine noise hits them alike; every output is checked by sha256;
CPU seconds are the child's user+sys from os.wait4. Requests, connections and bytes sent come
from the nginx access log. Medians are reported, with ratios against the best other tool.

Scenarios (the targets are in issue 2):
  capped  8 MiB/s per connection (nginx limit_rate), 256 MiB, 16 connections: ideal 2.0 s
  tmpfs   uncapped 1 GiB written to /dev/shm, paxel's default connections
  small   1 KiB file: requests on the wire, CLI wall time vs a plain `requests` script, and
          per-file time through the Python API
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from support.nginx import Nginx  # noqa: E402 - the tests' nginx, shared on purpose

MIB = 1 << 20
PYTHON = str(TOP / ".venv" / "bin" / "python")
PAXEL = str(TOP / ".venv" / "bin" / "paxel")
RUN_TIMEOUT = 300.0

REQUESTS_SCRIPT = """
import sys, requests
url, out = sys.argv[1], sys.argv[2]
with requests.get(url, stream=True) as r, open(out, "wb") as f:
    r.raise_for_status()
    for block in r.iter_content(1 << 20):
        f.write(block)
"""

API_LOOP_SCRIPT = """
import sys, time, pathlib, paxel
url, n, folder = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
paxel.download(url, output=folder / "warm-up")
began = time.perf_counter()
for i in range(n):
    paxel.download(url, output=folder / f"f{i}")
print(time.perf_counter() - began)
"""

Argv = Callable[[str, Path, int], list[str]]


@dataclass(frozen=True)
class Tool:
    name: str
    argv: Argv


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("curl", lambda url, out, n: ["curl", "-sS", "--fail", "-o", str(out), url]),
    Tool("aria2c", lambda url, out, n: [
        "aria2c", f"-x{min(n, 16)}", f"-s{min(n, 16)}", "-k1M", "-q", "--allow-overwrite=true",
        "--auto-file-renaming=false", "-d", str(out.parent), "-o", out.name, url]),
    Tool("axel", lambda url, out, n: ["axel", "-n", str(n), "-q", "-o", str(out), url]),
    Tool("paxel", lambda url, out, n: [PAXEL, url, "-n", str(n), "-o", str(out), "--quiet"]),
    Tool("requests", lambda url, out, n: [PYTHON, "-c", REQUESTS_SCRIPT, url, str(out)]),
)}


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
        return statistics.median(getattr(s, attr) for s in self.samples)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    name: str            # file name on the server
    size: int
    location: str        # nginx location: "capped" or "files"
    connections: int
    tools: tuple[str, ...]
    out_root: Path
    repeat: int = 1      # rounds multiplier: cheap runs get more rounds against start-up noise


def run_one(nginx: Nginx, argv: Sequence[str], out: Path, expected: str) -> Sample:
    """Run one download, time it, check the output's sha256, read its requests from the log."""
    before = len(nginx.log())
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = began + RUN_TIMEOUT
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {err.strip()[-500:]}")
    got = sha256_file(out)
    if got != expected:
        raise RuntimeError(f"{argv[0]}: wrong bytes in {out} (sha256 {got}, want {expected})")
    time.sleep(0.05)  # nginx writes the log line just after the last byte leaves
    lines = nginx.log()[before:]
    return Sample(wall, usage.ru_utime + usage.ru_stime, len(lines),
                  len({line.connection for line in lines}), sum(line.bytes_sent for line in lines))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(4 * MIB):
            digest.update(block)
    return digest.hexdigest()


def run_scenario(nginx: Nginx, sc: Scenario, rounds: int, expected: str) -> list[Row]:
    rows = {tool: Row(tool) for tool in sc.tools}
    url = nginx.url(sc.name, sc.location)
    # Uncapped runs: one discarded round first (fresh tmpfs pages and cold caches skew round one).
    warmup = 1 if sc.location == "files" else 0
    for round_no in range(warmup + rounds * sc.repeat):
        for tool in sc.tools:
            work = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-", dir=sc.out_root))
            try:
                sample = run_one(nginx, TOOLS[tool].argv(url, work / sc.name, sc.connections),
                                 work / sc.name, expected)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if round_no >= warmup:
                rows[tool].samples.append(sample)
            print(f"  {sc.key:7} {tool:9} {sample.wall:7.3f} s  cpu {sample.cpu:6.3f} s"
                  + ("  (warm-up)" if round_no < warmup else ""), flush=True)
    return list(rows.values())


def api_loop(nginx: Nginx, name: str, expected: str, count: int, out_root: Path) -> float:
    """Seconds per small file through paxel's Python API, every file checked."""
    work = Path(tempfile.mkdtemp(prefix="bench-api-", dir=out_root))
    try:
        before = len(nginx.log())
        done = subprocess.run([PYTHON, "-c", API_LOOP_SCRIPT, nginx.url(name), str(count), str(work)],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"API loop failed: {done.stderr.strip()[-800:]}")
        for i in range(count):
            if sha256_file(work / f"f{i}") != expected:
                raise RuntimeError(f"API loop: wrong bytes in f{i}")
        time.sleep(0.05)
        wire = len(nginx.log()) - before
        print(f"  api loop: {count + 1} downloads, {wire} requests on the wire", flush=True)
        return float(done.stdout.strip().splitlines()[-1]) / count
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(sc: Scenario, rows: list[Row]) -> str:
    """Markdown table of medians; ratios are paxel's (or each tool's) against the best other tool."""
    head = (f"### {sc.title}\n\n| tool | wall s | MiB/s | CPU s | CPU s/GiB | requests | conns "
            f"| sent/size | wall ÷ best other | CPU ÷ best other |\n|---|---:|---:|---:|---:|---:|---:"
            f"|---:|---:|---:|")
    lines = [head]
    for row in rows:
        others = [r for r in rows if r.tool != row.tool]
        wall, cpu = row.median("wall"), row.median("cpu")
        best_wall = min((r.median("wall") for r in others), default=wall)
        best_cpu = min((r.median("cpu") for r in others), default=cpu)
        rate, per_gib = ((f"{sc.size / MIB / wall:.1f}", f"{cpu / (sc.size / (1 << 30)):.2f}")
                         if sc.size >= MIB else ("—", "—"))  # meaningless for a 1 KiB file
        lines.append(
            f"| {row.tool} | {wall:.3f} | {rate} | {cpu:.3f} "
            f"| {per_gib} | {row.median('requests'):.0f} "
            f"| {row.median('connections'):.0f} | {row.median('bytes_sent') / sc.size:.3f} "
            f"| {wall / best_wall:.2f} | {cpu / best_cpu:.2f} |")
    paxel = next((r for r in rows if r.tool == "paxel"), None)
    if paxel:
        vs = ", ".join(f"{r.tool} {paxel.median('wall') / r.median('wall'):.2f}×"
                       for r in rows if r is not paxel)
        lines.append(f"\npaxel wall time relative to: {vs} (below 1 = paxel faster)")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small files, one round (a smoke run)")
    p.add_argument("--rounds", type=int, help="interleaved rounds per scenario (default 3, quick 1)")
    p.add_argument("--scenarios", default="capped,tmpfs,small", help="comma list: capped,tmpfs,small")
    p.add_argument("--tools", default="curl,aria2c,axel,paxel",
                   help="comma list from curl,aria2c,axel,paxel (requests is added to `small`)")
    p.add_argument("--capped-curl", action="store_true",
                   help="also run curl on the capped scenario (one stream: 32 s per round at full size)")
    p.add_argument("--paxel-connections", type=int, default=8, help="paxel's default, used for tmpfs")
    p.add_argument("--api-files", type=int, help="files in the Python API loop (default 200, quick 50)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    tools = tuple(t for t in args.tools.split(",") if t)
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        print(f"unknown tools: {unknown}", file=sys.stderr)
        return 2
    wanted = set(args.scenarios.split(","))
    # An installed paxel has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile on every start and skew the small-file figures.
    import paxel

    compileall.compile_dir(Path(paxel.__file__).parent, quiet=1)
    data = Path(tempfile.mkdtemp(prefix="paxel-bench-data-", dir="/dev/shm"))
    shm_out = Path(tempfile.mkdtemp(prefix="paxel-bench-out-", dir="/dev/shm"))
    disk_out = Path(tempfile.mkdtemp(prefix="paxel-bench-out-"))
    data.chmod(0o755)
    nginx = Nginx(rate="8m", root=data)
    scenarios = [
        Scenario("capped", "capped 8 MiB/s per connection, 16 connections", "capped.bin",
                 (64 if args.quick else 256) * MIB, "capped", 16,
                 tuple(t for t in tools if t != "curl" or args.capped_curl), disk_out),
        Scenario("tmpfs", f"uncapped to tmpfs, {args.paxel_connections} connections", "big.bin",
                 (256 if args.quick else 1024) * MIB, "files", args.paxel_connections, tools, shm_out),
        Scenario("small", "1 KiB file", "small.bin", 1024, "files", 1,
                 tuple(t for t in (*tools, "requests") if t not in ("aria2c", "axel")), disk_out, repeat=5),
    ]
    reports = []
    try:
        for sc in scenarios:
            if sc.key not in wanted:
                continue
            print(f"{sc.key}: creating {sc.size} bytes", flush=True)
            expected = nginx.add_file(sc.name, sc.size)
            rows = run_scenario(nginx, sc, rounds, expected)
            report = table(sc, rows)
            if sc.key == "small" and "paxel" in tools:
                per_file = api_loop(nginx, sc.name, expected, args.api_files or (50 if args.quick else 200),
                                    disk_out)
                report += f"\npaxel Python API: {per_file * 1000:.2f} ms per file (loop, one process)"
            reports.append(report)
            (data / sc.name).unlink()
    finally:
        nginx.stop()
        for folder in (data, shm_out, disk_out):
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nrounds: {rounds} (small file: {rounds * 5}); medians; command: {' '.join(sys.argv)}\n")
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
