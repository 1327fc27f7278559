"""`kill -9` the CLI at random moments, many times, then let it finish: the file must be exact.

Runs against nginx's /capped/ location (8 MiB/s per connection) so each run is cut mid-transfer.
After every kill the resume state is checked against the disk: every byte it calls durable must
already be the right byte in the .part. The nginx access log tells how much was sent again.
Set PAXEL_CRASH_SEED to replay a failing sequence of kill moments.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from paxel import resume
from support.nginx import Nginx

MIB = 1 << 20
PAXEL_CLI = str(Path(sys.executable).parent / "paxel")
SIZE = 384 * MIB  # ~12 s of transfer at 4 × 8 MiB/s: 20 kills (0.15–1 s each) rarely finish it
CONNECTIONS = 4
KILLS = 20
REDOWNLOAD_PER_CONNECTION = MIB  # the bound, per connection per kill
SLACK = 4 * MIB  # socket buffers: bytes nginx counted as sent that never reached the process


def check_state_against_disk(out: Path, source: Path, url: str) -> int:
    """Every range the state calls durable holds the source's bytes; return the durable total."""
    state_file = resume.state_path(out)
    if not state_file.exists():
        return 0
    state = resume.decode(state_file.read_bytes())  # never torn: it is replaced atomically
    assert state.size == SIZE and state.url == url
    with resume.part_path(out).open("rb") as part, source.open("rb") as src:
        for start, _end, done in state.ranges:
            at = start
            while at < start + done:
                n = min(8 * MIB, start + done - at)
                part.seek(at)
                src.seek(at)
                assert part.read(n) == src.read(n), f"state claims bytes {at}..{at + n} the .part lacks"
                at += n
    return state.done


def test_sigkill_at_random_moments_then_finish(nginx: Nginx, tmp_path: Path) -> None:
    seed = int(os.environ.get("PAXEL_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    name = f"crash-{seed}.bin"
    expected = nginx.add_file(name, SIZE)
    url = nginx.url(name, "capped")
    out = tmp_path / name
    argv = [PAXEL_CLI, url, "-n", str(CONNECTIONS), "-o", str(out), "--quiet"]

    kills, durable = 0, []
    began = time.monotonic()
    for _ in range(KILLS):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, err = proc.communicate(timeout=rng.uniform(0.15, 1.0))
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL: no handler, no cleanup, mid-write if it so happens
            proc.communicate()
            kills += 1
        else:
            assert proc.returncode == 0, f"seed {seed}: exited {proc.returncode}: {err.decode()}"
            break
        if out.exists():  # the kill landed after the final rename: the download was complete
            break          # (running the command again would rightly refuse to overwrite it)
        durable.append(check_state_against_disk(out, nginx.data / name, url))
    assert kills >= 15, f"seed {seed}: the download ended after only {kills} kills; make it longer"
    assert durable == sorted(durable), f"seed {seed}: durable bytes went backwards: {durable}"
    assert durable[-1] > 0, f"seed {seed}: no progress survived the kills"

    if not out.exists():
        final = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert final.returncode == 0, f"seed {seed}: {final.stderr}"
        assert not resume.state_path(out).exists()
    # else a kill after the rename may leave the state file (removed just after the rename)
    elapsed = time.monotonic() - began
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest == expected, f"seed {seed}: the file differs from the source after {kills} kills"
    assert not resume.part_path(out).exists()

    time.sleep(0.1)  # nginx logs a request just after its last byte
    sent = sum(line.bytes_sent for line in nginx.log() if line.request.endswith(f"/{name}"))
    again = sent - SIZE
    budget = kills * CONNECTIONS * REDOWNLOAD_PER_CONNECTION + SLACK
    print(f"\ncrash: seed {seed}, {kills} kills in {elapsed:.1f} s, re-downloaded {again / MIB:.2f} MiB "
          f"({again / kills / CONNECTIONS / 1024:.0f} KiB per connection per kill)")
    assert again <= budget, f"seed {seed}: re-downloaded {again / MIB:.1f} MiB after {kills} kills"
    (nginx.data / name).unlink()
