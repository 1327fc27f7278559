"""Where the capped case's time goes, as nginx saw it: paxel's CLI, aria2c, axel and paxel in-process.

    .venv/bin/python bench/wire.py [--rounds 5] [--size-mib 256] [--tools paxel,axel] [-v]

Starts the tests' nginx with a second access log (`$msec`, `$request_time`, `$connection`,
range, the nginx worker's pid), serves a file from `/capped/` (`limit_rate 8m` per connection)
and runs, interleaved round by round: `paxel URL -n 16`, `aria2c -x16 -s16 -k1M`, `axel -n 16`
and `bench/timeline.py` (one `Download` in a Python that has already imported everything). For
each run it prints, in seconds since the tool was started: when the first request reached nginx
(start-up), when the last one started, when the last byte left, and how long the tool took to
exit after it. Medians at the end; `-v` lists every request with the nginx worker that served
it. nginx listens with `reuseport` (as bench/run.py; `--one-listener`: without, where the split
of the connections over nginx's two workers follows the client's timing; see bench/README.md).
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
from timing import before_parser, compiled_trees  # noqa: E402 - bench/ is this script's own folder

from support.nginx import Nginx  # noqa: E402 - the tests' nginx, shared on purpose

PYTHON = str(TOP / ".venv" / "bin" / "python")
TIMING = "log_format timing '$connection $msec $request_time $body_bytes_sent $http_range $pid';"


def with_timing_log(nginx: Nginx) -> Path:
    """Add the timing log to the running nginx (a reload keeps its port)."""
    conf_path = nginx.tmp / "nginx.conf"
    conf = conf_path.read_text().replace("access_log off;", f"access_log off;\n    {TIMING}", 1)
    log = Path(nginx.tmp) / "timing.log"
    conf = re.sub(r"(access_log \S+/access\.log paxel;)", rf"\1 access_log {log} timing;", conf)
    conf_path.write_text(conf)
    os.kill(nginx.process.pid, signal.SIGHUP)
    time.sleep(0.5)
    return log


def main(argv: list[str] | None = None) -> int:
    p = before_parser(__doc__, rounds=5)
    p.add_argument("--size-mib", type=int, default=256)
    p.add_argument("-v", action="store_true", help="every request of every run")
    p.add_argument("--one-listener", action="store_true",
                   help="nginx without `reuseport` (the workers' split then follows the client's timing)")
    p.add_argument("--tools", default="paxel,aria2c,in-process,axel",
                   help="comma list from paxel,aria2c,in-process,axel (default: all)")
    args = p.parse_args(argv)
    data = Path("/dev/shm/paxel-bench-wire")
    data.mkdir(exist_ok=True)
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "paxel-bench-wire"
    out.mkdir(exist_ok=True)
    compiled_trees(args.before)
    nginx = Nginx(rate="8m", root=data, reuseport=not args.one_listener)
    try:
        log = with_timing_log(nginx)
        name = f"capped-{args.size_mib}.bin"
        if not (data / name).exists():
            nginx.add_file(name, args.size_mib << 20)
        url = nginx.url(name, "capped")
        tools = {
            "paxel": [str(TOP / ".venv" / "bin" / "paxel"), url, "-n", "16", "-o", str(out / "p.bin"),
                      "--quiet"],
            "aria2c": ["aria2c", "-x16", "-s16", "-k1M", "-q", "--allow-overwrite=true", "-d", str(out),
                       "-o", "a.bin", url],
            "in-process": [PYTHON, str(TOP / "bench" / "timeline.py"), url, str(out / "t.bin"), "16"],
            "axel": ["axel", "-n", "16", "-q", "-o", str(out / "x.bin"), url],
        }
        tools = {tool: cmd for tool, cmd in tools.items() if tool in args.tools.split(",")}
        env: dict[str, dict[str, str] | None] = dict.fromkeys(tools)
        if args.before is not None:  # `python -m paxel` (~1 ms of runpy more than the script)
            tools["paxel-before"] = [PYTHON, "-m", "paxel", *tools["paxel"][1:]]
            env["paxel-before"] = os.environ | {"PYTHONPATH": str(args.before)}
        figures: dict[str, list[tuple[float, ...]]] = {tool: [] for tool in tools}
        for round_ in range(args.rounds):
            for tool, cmd in tools.items():
                for old in ("p.bin", "x.bin", "x.bin.st"):
                    (out / old).unlink(missing_ok=True)
                seen = len(log.read_text().splitlines())
                began = time.time()
                done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env[tool])
                wall = time.time() - began
                time.sleep(0.1)  # nginx logs a request just after its last byte
                lines = [line.split(" ", 5) for line in log.read_text().splitlines()[seen:]]
                starts = [float(msec) - float(rt) - began for _, msec, rt, _, _, _ in lines]
                ends = [float(msec) - began for _, msec, _, _, _, _ in lines]
                inner = float(done.stdout.split()[-2]) if tool == "in-process" else float("nan")
                row = (min(starts), max(starts), max(ends), wall, wall - max(ends), inner)
                figures[tool].append(row)
                print(f"round {round_} {tool:12} first request {row[0]:.3f}  last starts {row[1]:.3f}  "
                      f"last byte {row[2]:.3f}  wall {wall:.3f}  exit after {row[4]:.3f}  "
                      f"requests {len(lines)}  in-process {inner:.3f}  load {os.getloadavg()[0]:.1f}")
                for (conn, _, rt, sent, rng, pid), start in zip(lines, starts, strict=True) if args.v else ():
                    print(f"    conn {conn:>4} start {start:.3f} took {rt} s  "
                          f"{int(sent) / 2**20:6.2f} MiB  {rng}  nginx worker {pid}")
        print("\nmedians (s since start): first request, last request starts, last byte, wall, exit after, "
              "in-process total")
        for tool, rows in figures.items():
            med = [statistics.median(col) for col in zip(*rows, strict=True)]
            print(f"{tool:12} " + "  ".join(f"{m:6.3f}" for m in med))
        ideal = args.size_mib / 128   # 16 connections at 8 MiB/s
        walls = {tool: statistics.median(r[3] for r in rows) for tool, rows in figures.items()}
        for tool, wall in walls.items():
            print(f"{tool:12} wall ÷ ideal {wall / ideal:.3f}"
                  + "".join(f", ÷ {other} {wall / walls[other]:.3f}" for other in ("aria2c", "axel")
                            if other in walls and other != tool))
        if "in-process" in figures:
            print(f"in-process download ÷ ideal "
                  f"{statistics.median(r[5] for r in figures['in-process']) / ideal:.3f}")
    finally:
        nginx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
