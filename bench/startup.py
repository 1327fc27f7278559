"""Start-up as nginx sees it: exec → first request → last byte → exit, for small downloads.

    .venv/bin/python bench/startup.py [--rounds 10] [--size-kib 1] [--location files]

Runs, interleaved round by round, on one file from the tests' nginx (with wire.py's `$msec`
timing log): `paxel URL -o OUT --quiet`, a plain `requests` script (bench/run.py's), `curl`, and
the floor: this venv's Python sending one request over a raw socket (`socket.create_connection`,
`sendall`, read to the end), i.e. what any Python program pays before its first byte can leave.
For each run, in milliseconds since the tool was started: when the first request reached nginx,
when the last byte left, the wall time, the time from the last byte to exit and the CPU time
(user+sys, steadier than wall time on a loaded machine). Medians at the end, and paxel's wall
and first request over the floor's and the requests script's. `--before DIR` adds an older
paxel (as bench/run.py does) to the same interleaved rounds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
from run import PAXEL, PYTHON, REQUESTS_SCRIPT  # noqa: E402 - bench/ is this script's own folder
from timing import before_parser, compiled_trees, run_timed  # noqa: E402
from wire import with_timing_log  # noqa: E402

from support.nginx import Nginx  # noqa: E402 - the tests' nginx, shared on purpose

FLOOR_SCRIPT = """
import socket, sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
with socket.create_connection((u.hostname, u.port)) as s, open(sys.argv[2], "wb") as f:
    s.sendall(f"GET {u.path} HTTP/1.1\\r\\nHost: {u.netloc}\\r\\nConnection: close\\r\\n\\r\\n".encode())
    while block := s.recv(1 << 16):
        f.write(block)
"""


def tools(url: str, out: Path, before: Path | None) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    """Each tool's argv and environment (None: ours)."""
    runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "floor": ([PYTHON, "-c", FLOOR_SCRIPT, url, str(out)], None),
        "requests": ([PYTHON, "-c", REQUESTS_SCRIPT, url, str(out)], None),
        "paxel": ([PAXEL, url, "-o", str(out), "--quiet"], None),
        "curl": (["curl", "-sS", "--fail", "-o", str(out), url], None),
    }
    if before is not None:  # `python -m paxel` (~1 ms of runpy more than the script) on an older tree
        runs["paxel-before"] = ([PYTHON, "-m", "paxel", url, "-o", str(out), "--quiet"],
                                os.environ | {"PYTHONPATH": str(before)})
    return runs


def main(argv: list[str] | None = None) -> int:
    p = before_parser(__doc__, rounds=10)
    p.add_argument("--size-kib", type=int, default=1)
    p.add_argument("--location", default="files", help="nginx location: files, capped, ...")
    args = p.parse_args(argv)
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "paxel-bench-startup"
    out.mkdir(exist_ok=True)
    compiled_trees(args.before)
    nginx = Nginx(rate="8m")
    try:
        log = with_timing_log(nginx)
        name = f"startup-{args.size_kib}k.bin"
        nginx.add_file(name, args.size_kib << 10)
        runs = tools(nginx.url(name, args.location), out / "o.bin", args.before)
        figures: dict[str, list[tuple[float, float, float, float, float]]] = {tool: [] for tool in runs}
        loads: list[float] = []
        for round_ in range(args.rounds):
            for tool, (cmd, env) in runs.items():
                (out / "o.bin").unlink(missing_ok=True)
                seen = len(log.read_text().splitlines())
                began = time.time()
                wall, cpu, code, err = run_timed(cmd, 60.0, env=env)
                if code != 0:
                    raise SystemExit(f"{tool} failed ({code}): {err}")
                time.sleep(0.05)  # nginx logs a request just after its last byte
                lines = [line.split(" ", 4) for line in log.read_text().splitlines()[seen:]]
                first = min(float(msec) - float(rt) for _, msec, rt, _, _ in lines) - began
                last = max(float(msec) for _, msec, _, _, _ in lines) - began
                figures[tool].append((first, last, wall, wall - last, cpu))
            loads.append(os.getloadavg()[0])
            print(f"round {round_}: " + "  ".join(
                f"{tool} {1000 * figures[tool][-1][0]:.0f}/{1000 * figures[tool][-1][2]:.0f}/"
                f"{1000 * figures[tool][-1][4]:.0f}" for tool in runs)
                + f" ms (first request/wall/CPU)  load {loads[-1]:.1f}", flush=True)
        print(f"\nmedians of {args.rounds} rounds, ms since exec; load {min(loads):.1f}-{max(loads):.1f}")
        print(f"{'tool':12} {'first req':>9} {'last byte':>9} {'wall':>7} {'exit after':>10} {'CPU':>6}")
        med = {tool: [1000 * statistics.median(col) for col in zip(*rows, strict=True)]
               for tool, rows in figures.items()}
        for tool, (first, last, wall, after, cpu) in med.items():
            print(f"{tool:12} {first:9.1f} {last:9.1f} {wall:7.1f} {after:10.1f} {cpu:6.1f}")
        pax, flo, req = med["paxel"], med["floor"], med["requests"]
        print(f"paxel wall ÷ requests script {pax[2] / req[2]:.2f}×, ÷ floor {pax[2] / flo[2]:.2f}×; "
              f"first request {pax[0] - flo[0]:+.1f} ms over the floor, "
              f"{pax[0] - req[0]:+.1f} ms over requests; "
              f"CPU ÷ requests script {pax[4] / req[4]:.2f}×")
    finally:
        nginx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
