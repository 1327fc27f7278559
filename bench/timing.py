"""Running one tool to completion and measuring it: wall time and the CPU time of it and all its
children (os.wait4's rusage). Shared by bench/run.py and bench/media.py; `before_parser` and
`compiled_trees` are the start every script with a `--before` paxel shares (wire.py, startup.py)."""

from __future__ import annotations

import argparse
import compileall
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def run_timed(argv: Sequence[str], timeout: float, stdin: int | None = None,
              env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Run `argv` in its own session (environment `env`, default ours); its whole group is killed
    after `timeout` s. Returns (wall s, CPU s of it and its children, exit code, stderr)."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    deadline = began + timeout
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
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), err


def before_parser(doc: str | None, rounds: int) -> argparse.ArgumentParser:
    """A script's parser with `--rounds` and `--before DIR` (an older paxel run beside this one)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=rounds)
    p.add_argument("--before", type=Path, metavar="DIR",
                   help="also run an older paxel: DIR holds its `paxel` package (git archive OLD host/paxel)")
    return p


def compiled_trees(before: Path | None) -> None:
    """Compile this paxel's bytecode (and `before`'s): an installed paxel has it compiled, and with
    PYTHONDONTWRITEBYTECODE=1 an editable checkout would otherwise recompile it on every start."""
    import paxel

    compileall.compile_dir(Path(paxel.__file__).parent, quiet=1)
    if before is not None:
        compileall.compile_dir(before / "paxel", quiet=1)
