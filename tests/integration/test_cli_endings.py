"""How `paxel` ends when it is not paxel's fault: a reader that closed the pipe, Ctrl-C while
starting up, a first word that is neither a command nor a URL. Real processes, no traceback."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxel.cli import CLOSED_PIPE, INTERRUPTED
from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv

PAXEL = [sys.executable, "-m", "paxel"]


def run_into_closed_pipe(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """argv with stdout a pipe whose reader is gone before it writes (`paxel list | head -0`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(argv, stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [["--help"], ["doctor"]])
def test_a_closed_pipe_ends_quietly_with_141(argv: list[str], paxel_env: PaxelEnv) -> None:
    done = run_into_closed_pipe([*PAXEL, *argv], paxel_env.env)
    assert done.returncode == CLOSED_PIPE, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


def test_paxel_list_into_a_closed_pipe(paxel_env: PaxelEnv) -> None:
    paxel_env.paxel("service", "start")
    done = run_into_closed_pipe([*PAXEL, "list", "--json"], paxel_env.env)
    assert done.returncode == CLOSED_PIPE and done.stderr == ""


@pytest.mark.parametrize(("command", "delay"),
                         [("download", 0.0), ("download", 0.03), ("download", 0.08), ("download", 0.2),
                          ("doctor", 0.0)])  # the doctor is over in ~0.4 s: only a press while it imports
def test_ctrl_c_while_starting_up_prints_no_traceback(faultserver: FaultServer, paxel_env: PaxelEnv,
                                                      command: str, delay: float) -> None:  # fmt: skip
    """Ctrl-C `delay` s after paxel's entry point got control: while it imports the command
    (requests, rich, ...), starts the download or runs the doctor. (Earlier, Python itself is
    still importing `site`, where nothing of paxel's can run; -X importtime says when that is
    over.) A press is remembered until the command is ready for it (paxel.interrupts)."""
    url = faultserver.url("early.bin", size=1 << 20, trickle=64 << 10)
    argv = [url, "-d", str(paxel_env.downloads)] if command == "download" else ["doctor"]
    run = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "paxel", *argv], env=paxel_env.env,
                           stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)  # fmt: skip
    assert run.stderr is not None
    for line in run.stderr:
        if line.rstrip().endswith("paxel.entry"):
            break
    time.sleep(delay)
    run.send_signal(signal.SIGINT)
    _, rest = run.communicate(timeout=30)
    stderr = "".join(line for line in rest.splitlines(keepends=True) if not line.startswith("import time:"))
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert run.returncode == INTERRUPTED, stderr
    assert "paxel: interrupted" in stderr


@pytest.mark.parametrize("argv", [["throttle", "3", "2M"], ["lsit"]])
def test_a_word_that_is_no_command_and_no_url_lists_the_commands(argv: list[str]) -> None:
    done = subprocess.run([*PAXEL, *argv], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"paxel: unknown command {argv[0]!r}")
    assert "paxel add URL" in done.stderr and "paxel panel" in done.stderr
    assert "unrecognized arguments" not in done.stderr
    assert ("did you mean `paxel list`?" in done.stderr) == (argv[0] == "lsit")


def test_words_that_look_like_urls_still_download(faultserver: FaultServer, tmp_path: object) -> None:
    url = faultserver.url("tiny.bin", size=1000)
    done = subprocess.run([*PAXEL, "-n", "1", url, "-d", str(tmp_path)], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "saved" in done.stderr and "(1000 B)" in done.stderr


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_a_closed_stdout_or_stderr_does_not_lose_the_download(faultserver: FaultServer, tmp_path: Path,
                                                              closed: str) -> None:
    """`paxel URL >&-`: Python makes a closed stream None; the first write or flush raised
    AttributeError (exit 1, the file lost when stderr was the closed one)."""
    url = faultserver.url("closed.bin", size=5000)
    out = tmp_path / "closed.bin"
    argv = shlex.join([*PAXEL, url, "-o", str(out)])
    done = subprocess.run(["sh", "-c", f"exec {argv} {closed}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size == 5000
    assert "Traceback" not in done.stderr, done.stderr
