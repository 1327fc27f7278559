"""paxel against curl, aria2c and axel on a loopback nginx: wall time, MB/s, CPU per GB.

Run with `.venv/bin/python bench/run.py` (about 10 minutes; `--quick` for a ~1 minute smoke
run). Tools are interleaved round by round so machine noise hits them alike; every output is
checked by sha256; CPU seconds are the child's user+sys from os.wait4. Requests, connections and
bytes sent come from the nginx access log. Medians are reported (MB = 10^6 bytes), then the
summary table of issue 9 with paxel's ratios against each tool and whether each goal holds.

Scenarios (aria2c -x16 -s16 -k1M and axel -n16 throughout):
  capped    8 MiB/s per connection (nginx limit_rate), 256 MiB, 16 connections: ideal 2.0 s
  capped1g  the same cap, 1 GiB: CPU per GB in steady state (minus the 256 MiB run: start-up out)
  tmpfs     uncapped 1 GiB written to /dev/shm, paxel's default connections, ≥5 rounds
  noranges  1 GiB from a location without Range support (`max_ranges 0`), ≥5 rounds
  uneven    256 MiB where every 4th TCP connection is capped 10x lower for its whole life
            (limit_rate from a `map` on $connection), 16 connections
  small     1 KiB file: requests on the wire, CLI wall time vs a plain `requests` script, and
            per-file time through the Python API
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
sys.path.insert(0, str(TOP / "bench"))

from report import Measured, Row, Sample, detail, summary  # noqa: E402
from timing import run_timed  # noqa: E402

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

Argv = Callable[[str, Path, int | None], list[str]]


@dataclass(frozen=True)
class Tool:
    name: str
    argv: Argv


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("curl", lambda url, out, n: ["curl", "-sS", "--fail", "-o", str(out), url]),
    Tool("aria2c", lambda url, out, n: [
        "aria2c", f"-x{min(n or 16, 16)}", f"-s{min(n or 16, 16)}", "-k1M", "-q", "--allow-overwrite=true",
        "--auto-file-renaming=false", "-d", str(out.parent), "-o", out.name, url]),
    Tool("axel", lambda url, out, n: ["axel", "-n", str(n or 16), "-q", "-o", str(out), url]),
    Tool("paxel", lambda url, out, n: [PAXEL, url, *(["-n", str(n)] if n else []), "-o", str(out),
                                       "--quiet"]),
    Tool("requests", lambda url, out, n: [PYTHON, "-c", REQUESTS_SCRIPT, url, str(out)]),
)}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    name: str            # file name on the server
    size: int
    location: str        # nginx location: "capped", "files", "noranges", "uneven"
    tools: tuple[str, ...]
    out_root: Path
    rounds: int = 3      # at least this many rounds (uncapped runs are noisy: 5)
    paxel_connections: int | None = 16   # None: paxel's default
    others: int = 16     # aria2c -x / axel -n
    ideal: float | None = None           # seconds at the cap, for capped cases
    warmup: bool = False  # one discarded round first (fresh tmpfs pages, cold caches)
    repeat: int = 1      # rounds multiplier: cheap runs get more rounds against start-up noise


def run_one(nginx: Nginx, argv: Sequence[str], out: Path, expected: str) -> Sample:
    """Run one download, time it, check the output's sha256, read its requests from the log."""
    before = len(nginx.log())
    wall, cpu, code, err = run_timed(argv, RUN_TIMEOUT)
    if code != 0:
        raise RuntimeError(f"{argv[0]} exited {code}: {err.strip()[-500:]}")
    got = sha256_file(out)
    if got != expected:
        raise RuntimeError(f"{argv[0]}: wrong bytes in {out} (sha256 {got}, want {expected})")
    time.sleep(0.05)  # nginx writes the log line just after the last byte leaves
    lines = nginx.log()[before:]
    return Sample(wall, cpu, len(lines),
                  len({line.connection for line in lines}), sum(line.bytes_sent for line in lines))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(4 * MIB):
            digest.update(block)
    return digest.hexdigest()


def run_scenario(nginx: Nginx, sc: Scenario, rounds: int, expected: str) -> dict[str, Row]:
    rows = {tool: Row(tool) for tool in sc.tools}
    url = nginx.url(sc.name, sc.location)
    warmup = int(sc.warmup)
    for round_no in range(warmup + max(rounds, sc.rounds) * sc.repeat):
        for tool in sc.tools:
            n = sc.paxel_connections if tool.startswith("paxel") else sc.others
            work = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-", dir=sc.out_root))
            try:
                sample = run_one(nginx, TOOLS[tool].argv(url, work / sc.name, n), work / sc.name, expected)
            except RuntimeError as exc:
                if tool.startswith("paxel"):
                    raise
                # A peer's own crash (axel once died of SIGSEGV in `uneven`) costs that round of
                # that tool, not the whole run; it is printed, and its median has one sample fewer.
                print(f"  {sc.key:8} {tool:9} FAILED: {exc}", flush=True)
                continue
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if round_no >= warmup:
                rows[tool].samples.append(sample)
            print(f"  {sc.key:8} {tool:9} {sample.wall:7.3f} s  cpu {sample.cpu:6.3f} s  "
                  f"{sample.requests:3} req {sample.connections:3} conn"
                  + ("  (warm-up)" if round_no < warmup else ""), flush=True)
    return rows


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


ALL = "capped,capped1g,tmpfs,noranges,uneven,small"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small files, one round (a smoke run)")
    p.add_argument("--rounds", type=int,
                   help="interleaved rounds per scenario (default 3, uncapped at least 5; quick 1)")
    p.add_argument("--scenarios", default=ALL, help=f"comma list from {ALL}")
    p.add_argument("--tools", default="curl,aria2c,axel,paxel",
                   help="comma list from curl,aria2c,axel,paxel (requests is added to `small`)")
    p.add_argument("--paxel-connections", type=int,
                   help="paxel's -n for the uncapped cases (default: paxel's own default)")
    p.add_argument("--one-listener", action="store_true",
                   help="nginx without `reuseport`, as before 2026-12-01 (see bench/README.md)")
    p.add_argument("--api-files", type=int, help="files in the Python API loop (default 200, quick 50)")
    p.add_argument("--before", type=Path, metavar="DIR",
                   help="also run the paxel whose package is DIR/paxel (e.g. a `git archive` of an older "
                        "commit's host/), as tool paxel-before, interleaved with the others")
    return p.parse_args(argv)


def scenarios(args: argparse.Namespace, tools: tuple[str, ...], shm_out: Path,
              disk_out: Path) -> list[Scenario]:
    q = args.quick
    capped = tuple(t for t in tools if t != "curl")  # one stream at 8 MiB/s: 32 s per round
    few = 1 if q else 5
    return [
        Scenario("capped", "capped 8 MiB/s per connection, 256 MiB, 16 conns (ideal 2.0 s)",
                 "capped.bin", (64 if q else 256) * MIB, "capped", capped, disk_out,
                 ideal=(64 if q else 256) / 8 / 16),
        Scenario("capped1g", "capped 8 MiB/s per connection, 1 GiB, 16 conns (CPU in steady state)",
                 "capped1g.bin", (256 if q else 1024) * MIB, "capped", capped, disk_out,
                 rounds=1 if q else 3),
        Scenario("tmpfs", "uncapped 1 GiB to tmpfs", "big.bin", (256 if q else 1024) * MIB, "files",
                 tools, shm_out, rounds=few, paxel_connections=args.paxel_connections, warmup=not q),
        Scenario("noranges", "no Range support, 1 GiB", "big.bin", (256 if q else 1024) * MIB,
                 "noranges", tools, shm_out, rounds=few, paxel_connections=args.paxel_connections),
        Scenario("uneven", "uneven: every 4th connection 10× slower, 256 MiB, 16 conns",
                 "uneven.bin", (64 if q else 256) * MIB, "uneven", capped, disk_out),
        Scenario("small", "1 KiB file", "small.bin", 1024, "files",
                 tuple(t for t in (*tools, "requests") if t not in ("aria2c", "axel", "paxel-before")),
                 disk_out,
                 rounds=1, paxel_connections=None, repeat=5),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    tools = tuple(t for t in args.tools.split(",") if t)
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        print(f"unknown tools: {unknown}", file=sys.stderr)
        return 2
    wanted = set(args.scenarios.split(","))
    if args.before is not None:
        before = args.before.resolve()
        compileall.compile_dir(before / "paxel", quiet=1)
        # `python -m paxel`: the installed `paxel` script may name an entry point the older
        # package does not have
        TOOLS["paxel-before"] = Tool("paxel-before", lambda url, out, n: [
            "env", f"PYTHONPATH={before}", PYTHON, "-m", "paxel",
            *TOOLS["paxel"].argv(url, out, n)[1:]])
        tools = (*tools, "paxel-before")
    # An installed paxel has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile on every start and skew the small-file figures.
    import paxel

    compileall.compile_dir(Path(paxel.__file__).parent, quiet=1)
    data = Path(tempfile.mkdtemp(prefix="paxel-bench-data-", dir="/dev/shm"))
    shm_out = Path(tempfile.mkdtemp(prefix="paxel-bench-out-", dir="/dev/shm"))
    disk_out = Path(tempfile.mkdtemp(prefix="paxel-bench-out-"))
    data.chmod(0o755)
    # reuseport: the kernel spreads connections over nginx's two workers by a hash of their
    # ports; with one listening socket the split follows each tool's connection timing, and the
    # worker serving most of 16 paces them 2-4 % slower here (bench/README.md, "Why axel ...")
    nginx = Nginx(rate="8m", root=data, slow_rate="819k", reuseport=not args.one_listener)
    reports: list[str] = []
    measured: list[Measured] = []
    made: dict[str, tuple[str, int]] = {}  # the one data file on the server: sha256, size
    began = time.monotonic()
    try:
        for sc in scenarios(args, tools, shm_out, disk_out):
            if sc.key not in wanted:
                continue
            if made.get(sc.name, (None, 0))[1] != sc.size:
                for old in made:
                    (data / old).unlink(missing_ok=True)
                print(f"{sc.key}: creating {sc.size} bytes", flush=True)
                made = {sc.name: (nginx.add_file(sc.name, sc.size), sc.size)}
            expected = made[sc.name][0]
            m = Measured(sc.key, sc.title, sc.size, run_scenario(nginx, sc, rounds, expected), sc.ideal)
            measured.append(m)
            report = detail(m)
            if sc.key == "small" and "paxel" in tools:
                per_file = api_loop(nginx, sc.name, expected, args.api_files or (50 if args.quick else 200),
                                    disk_out)
                report += f"\npaxel Python API: {per_file * 1000:.2f} ms per file (loop, one process)"
            reports.append(report)
    finally:
        nginx.stop()
        for folder in (data, shm_out, disk_out):
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nrounds: {rounds} (uncapped at least 5, small file {rounds * 5}); medians; "
          f"{time.monotonic() - began:.0f} s; load average {os.getloadavg()[0]:.1f}; "
          f"command: {' '.join(sys.argv)}\n")
    print(summary(measured) + "\n")
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
