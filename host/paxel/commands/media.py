"""`paxel URL` when URL is an HLS playlist or a DASH manifest: the stream becomes one file.

Same exit statuses and Ctrl-C rule as a download (130: paused, the same command resumes), except
for a live stream, where Ctrl-C ends the recording and the file is made from what was recorded.
The progress line is the download's (`livebar`), its name field showing `MediaProgress.label()`.
"""

from __future__ import annotations

import signal
import time
from typing import IO, TYPE_CHECKING

from paxel import interrupts
from paxel.commands import background
from paxel.commands.background import run_in_background
from paxel.engine import DownloadOptions
from paxel.errors import PaxelError

if TYPE_CHECKING:
    from paxel.commands.livebar import LiveBar

INTERRUPTED = 130


def run(opts: DownloadOptions, max_height: int | None, quiet: bool, err: IO[str], bar: LiveBar | None) -> int:
    from paxel.commands.download import mark_origin, saved_line
    from paxel.media.job import MediaJob, MediaResult

    started = time.monotonic()
    job = MediaJob(opts, max_height=max_height, on_progress=bar.update if bar is not None else None)
    outcome, finished = run_in_background(job.run, "paxel-media")
    try:
        interrupts.arm()  # Ctrl-C is only remembered until here (paxel.interrupts)
        finished.wait()
    except KeyboardInterrupt:
        # first press: a live recording stops and is muxed; anything else pauses (resumable)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        job.stop() if job.live else job.pause()
        finished.wait()
    if bar is not None:
        bar.close()
    if "error" in outcome:
        error: PaxelError = outcome["error"]
        err.write(f"paxel: {error.message}\n")
        return int(error.code)
    result: MediaResult = background.result(outcome)
    if result.paused:
        err.write(f"paxel: interrupted; {result.segments} segments kept beside {result.path} - "
                  "run the same command again to resume\n")
        return INTERRUPTED
    mark_origin(result.path, opts.url, opts.headers)   # the playlist's URL, as the service marks a stream
    if result.note:
        err.write(f"paxel: {result.note}\n")
    if not quiet:
        line = saved_line(result.path, result.size, time.monotonic() - started, result.fetched)
        err.write(line.replace(")", f", {result.segments} segments)", 1) if result.segments else line)
    return 0
