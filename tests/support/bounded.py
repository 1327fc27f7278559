"""Run an engine download that may hang, with a bound: a hang fails the test instead of the suite.

For the attacks whose whole point is that, before their fix, the download never ended (a trickling
body, trickling headers): the test must fail in seconds with the reason, never sit until CI's
timeout.
"""

from __future__ import annotations

import threading

import pytest

from paxel.engine import Download, DownloadOptions, Result
from paxel.errors import PaxelError


def run_bounded(options: DownloadOptions, bound: float, hang: str) -> Result | PaxelError:
    """The download's result or its error; cancelled and failed with `hang` after `bound` seconds."""
    job = Download(options)
    outcome: list[Result | PaxelError] = []

    def body() -> None:
        try:
            outcome.append(job.run())
        except PaxelError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(bound)
    if thread.is_alive():
        job.cancel()
        thread.join(10)
        pytest.fail(f"still downloading after {bound:.0f} s: {hang}")
    return outcome[0]
