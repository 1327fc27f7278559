"""The progress panel's cost: memory of its process tree and time until its window is shown.

Run with `.venv/bin/python bench/panel.py` (about 15 s per round). Each round, in an isolated
paxel (the tests' PaxelEnv: temporary HOME, XDG dirs, its own service) on a private Xvfb:
  1. the service is started and three downloads are added from a loopback nginx capped at
     256 KiB/s per connection, so all three stay running (their progress events keep flowing);
  2. `python -m paxel panel` is started (the service already running) and timed until
     - "window": a visible window named paxel is mapped on the X server (xdotool); the CPU
       seconds the panel's process tree used by then are reported too, since on a shared
       machine the wall time mostly measures the other processes, and
     - "page": the page has rendered the service's list (window.paxel.ready, via the panel's
       test hook);
  3. after 5 s idle with the three rows shown, PSS is summed over the panel's process tree
     (/proc/PID/smaps_rollup of the panel and every descendant: the web engine's helpers).
PSS, not RSS: RSS counts each shared library once per process of the tree.

Targets (issue 12): PSS ≤ 300 MB; window shown ≤ 1.5 s after `paxel panel`.
`--python` runs the panel with another interpreter (e.g. a venv with Qt) to compare toolkits;
the backend it uses is printed. Medians and every round are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from support.nginx import Nginx  # noqa: E402 - the tests' helpers, shared on purpose
from support.panelhook import page_js  # noqa: E402
from support.paxel_env import PaxelEnv  # noqa: E402
from support.xvfb import Xvfb  # noqa: E402

MIB = 1 << 20
IDLE = 5.0
DOWNLOADS = 3
RATE = "256k"


def wait_window(env: PaxelEnv, panel: subprocess.Popen[bytes], deadline: float) -> float:
    """When a visible window named paxel was first seen, looked for every 20 ms (`xdotool search
    --sync` looks every 0.5 s, which rounded every figure up to 0.51 or 1.02 s)."""
    while True:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^paxel$"], env=env.env,
                               capture_output=True, timeout=10)  # fmt: skip
        if found.returncode == 0 and found.stdout.strip():
            return time.monotonic()
        if panel.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((env.root / "panel.log").read_text())
        time.sleep(0.02)


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        pids += [int(c) for c in children]
        frontier += [int(c) for c in children]
    return pids


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds used so far by `pid` and its descendants (load-independent,
    unlike the wall time on a shared machine)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def tree_pss(pid: int) -> dict[str, int]:
    """Pss in bytes of `pid` and each of its descendants, by "name pid" (gone ones skipped)."""
    found: dict[str, int] = {}
    for each in tree(pid):
        try:
            rollup = Path(f"/proc/{each}/smaps_rollup").read_text()
            name = Path(f"/proc/{each}/comm").read_text().strip()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                found[f"{name} {each}"] = int(line.split()[1]) * 1024
    return found


def backend_of(python: str) -> str:
    code = "import sys; from paxel.panel.backend import current; b = current(sys.platform); print(b.label)"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def one_round(python: str, nginx: Nginx, urls: list[str]) -> dict[str, float]:
    env = PaxelEnv()
    try:
        with Xvfb() as xvfb:
            hook = env.root / "panel-hook.sock"
            env.write_settings(open_panel_on_add=False)  # the panel is started (and timed) here
            env.env.update(DISPLAY=xvfb.display, PAXEL_PANEL_TEST_SOCKET=str(hook))
            env.paxel("service", "start")
            env.wait_service()
            for url in urls:
                env.paxel("add", url, "--connections", "1")
            log = (env.root / "panel.log").open("wb")
            started = time.monotonic()
            panel = subprocess.Popen([python, "-m", "paxel", "panel"], env=env.env, stdout=log,
                                     stderr=subprocess.STDOUT)  # fmt: skip
            try:
                window = wait_window(env, panel, started + 60) - started
                cpu = tree_cpu(panel.pid)
                deadline = started + 60
                while not (hook.exists() and page_js(hook, "!!(window.paxel && window.paxel.ready)")):
                    if panel.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError((env.root / "panel.log").read_text())
                    time.sleep(0.02)
                page = time.monotonic() - started
                rows = page_js(hook, "document.querySelectorAll('#active li.download').length")
                if rows != DOWNLOADS:
                    raise RuntimeError(f"the panel shows {rows} active downloads, not {DOWNLOADS}")
                time.sleep(IDLE)
                parts = tree_pss(panel.pid)
                states = {v["state"] for v in json.loads(env.paxel("list", "--json").stdout)}
                if states != {"running"}:
                    raise RuntimeError(f"downloads were {states} during the measurement, not running")
            finally:
                panel.terminate()
                panel.wait(10)
                log.close()
    finally:
        env.cleanup()
    print("  " + ", ".join(f"{name.rsplit(' ', 1)[0]} {size / MIB:.0f}" for name, size in parts.items()))
    return {"window": window, "cpu": cpu, "page": page, "pss": sum(parts.values()) / MIB}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs the panel")
    args = parser.parse_args()
    if not shutil.which("xdotool"):
        sys.exit("bench/panel.py needs xdotool and Xvfb (tools/apt-packages.txt)")
    nginx = Nginx(rate=RATE)
    try:
        urls = []
        for i in range(DOWNLOADS):
            nginx.add_file(f"panel-bench-{i}.bin", 64 * MIB)
            urls.append(nginx.url(f"panel-bench-{i}.bin", "capped"))
        print(f"panel backend: {backend_of(args.python)} ({args.python})")
        results = []
        for n in range(args.rounds):
            result = one_round(args.python, nginx, urls)
            results.append(result)
            print(f"round {n + 1}: window shown {result['window']:.2f} s ({result['cpu']:.2f} CPU s), "
                  f"page loaded {result['page']:.2f} s, PSS {result['pss']:.0f} MiB after {IDLE:.0f} s "
                  f"idle with {DOWNLOADS} downloads")
    finally:
        nginx.stop()
    med = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(f"median of {len(results)}: window shown {med['window']:.2f} s (target ≤ 1.5; "
          f"{med['cpu']:.2f} CPU s of the panel tree by then), page loaded "
          f"{med['page']:.2f} s, panel tree PSS {med['pss']:.0f} MiB = {med['pss'] * MIB / 1e6:.0f} MB "
          "(target ≤ 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
