"""The service's and hosts' log files rotate instead of growing without bound."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from paxel import logs

WRITE_TWO_MIB = """
import logging
from paxel import logs
logs.log_to_file("host.log", "%(message)s")
for i in range(2100):
    logging.getLogger("paxel.test").info("line %05d %s", i, "x" * 1000)
"""


def test_log_file_rotates_at_its_size_limit_and_keeps_the_newest_lines(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    subprocess.run([sys.executable, "-c", WRITE_TWO_MIB], env=env, check=True, timeout=60)
    folder = tmp_path / "state" / "paxel"
    current, previous = folder / "host.log", folder / "host.log.1"
    assert current.stat().st_size <= logs.MAX_BYTES and previous.stat().st_size <= logs.MAX_BYTES
    assert not (folder / f"host.log.{logs.BACKUPS + 1}").exists()
    assert current.read_text().splitlines()[-1].startswith("line 02099 ")
