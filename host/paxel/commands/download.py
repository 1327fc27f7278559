"""`paxel URL` / `paxel get URL`: download one file now, with a live progress bar.

Exit statuses are paxel.errors.ErrorCode values (0 success, 1 internal, 2 usage, 3 network,
4 HTTP status, 5 checksum mismatch, 6 disk, 7 cancelled, 8 server misbehaved) plus 130 when
interrupted with Ctrl-C (the download is paused: run the same command again to resume).
The table lives in docs/engine.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from paxel import interrupts
from paxel.commands import background, media
from paxel.commands.background import run_in_background
from paxel.controls import escape_controls
from paxel.cookies import Cookie, parse_netscape
from paxel.engine import MAX_CONNECTIONS, Download, DownloadOptions, Progress, Result
from paxel.errors import PaxelError, UsageError
from paxel.humanize import format_duration, format_size
from paxel.media.detect import is_playlist_file, kind_from_url
from paxel.ratelimit import parse_rate

if TYPE_CHECKING:
    from paxel.commands.livebar import LiveBar

INTERRUPTED = 130
LAST_WAIT = 1.0  # seconds a second Ctrl-C still gives the pause to save the newest resume state
BAR_WAIT = 0.3   # seconds the progress bar waits for the first answer before it shows anyway


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so main() owns the exit status."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{escape_controls(message)}\n{self.format_usage().strip()}")


def _parser() -> _Parser:
    p = _Parser(prog="paxel", description="Download URL over several connections at once.",
                epilog="Run the same command again to resume an interrupted download. "
                       "Exit status: 0 ok, 2 usage, 3 network, 4 HTTP error, 5 checksum mismatch, "
                       "6 disk, 7 cancelled, 8 server misbehaved, 130 interrupted (resumable).")
    p.add_argument("url")
    p.add_argument("-n", "--connections", type=int, default=8, metavar="N",
                   help=f"connections at once, 1..{MAX_CONNECTIONS} (default 8)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, metavar="FILE", help="exact file to write")
    where.add_argument("-d", "--dir", type=Path, metavar="DIR", help="folder to save into (default: here)")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                   help="extra request header (repeatable), e.g. Referer or User-Agent")
    p.add_argument("--cookies", type=Path, metavar="cookies.txt", help="Netscape cookies.txt to send")
    p.add_argument("--max-speed", type=parse_rate, metavar="RATE", help="total limit, e.g. 500K, 2M")
    p.add_argument("--checksum", metavar="ALG=HEX", help="verify, e.g. sha-256=abc... (md5, sha-1, sha-512)")
    p.add_argument("--proxy", metavar="URL", help="HTTP(S) proxy (default: from the environment)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--media-quality", type=int, metavar="H",
                   help="HLS/DASH: the best variant at most H pixels tall (default: the highest bandwidth)")
    return p


def parse_headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or any(c in line for c in "\r\n\0") or " " in name:
            raise UsageError(f"bad header {line!r}: use 'Name: value'")
        headers[name] = value.strip()
    return headers


def load_cookies(path: Path) -> list[Cookie]:
    try:
        return parse_netscape(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise UsageError(f"cannot read cookies file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def options_from(argv: list[str]) -> tuple[DownloadOptions, bool, int | None]:
    """Parse the command line into DownloadOptions (UsageError on anything wrong), --quiet and
    --media-quality."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help printed its text
        raise _HelpShown(int(exc.code or 0)) from None
    opts = DownloadOptions(
        url=args.url, folder=args.dir, output=args.output, connections=args.connections,
        headers=parse_headers(args.header), cookies=load_cookies(args.cookies) if args.cookies else (),
        max_speed=args.max_speed, checksum=args.checksum, proxy=args.proxy)
    return opts, bool(args.quiet), args.media_quality


class _HelpShown(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def main(command: str, argv: list[str], stderr: IO[str] | None = None) -> int:
    err = stderr or sys.stderr
    try:
        opts, quiet, max_height = options_from(argv)
    except _HelpShown as shown:
        return shown.code
    except PaxelError as exc:
        err.write(f"paxel: {exc.message}\n")
        return int(exc.code)
    in_terminal = not quiet and err.isatty()
    streamed = kind_from_url(opts.url) is not None   # a playlist/manifest: download the stream
    bar = _live_bar(err, opts.url) if in_terminal and streamed else None
    held = _HeldLog(err) if in_terminal and not streamed else None   # until _download makes the bar
    handler: logging.Handler
    if bar is not None:
        from paxel.commands.livebar import BarLogHandler

        handler = BarLogHandler(bar, logging.WARNING)
    elif held is not None:
        handler = held
    else:
        handler = _plain_handler(err)
    logger = logging.getLogger("paxel")
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    try:
        if streamed:
            return media.run(opts, max_height, quiet, err, bar)
        return _download(opts, quiet, err, held, max_height)
    finally:
        logger.removeHandler(handler)
        if held is not None:
            held.to_plain()
        if bar is not None:
            bar.close()


def _plain_handler(err: IO[str]) -> logging.Handler:
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("paxel: %(message)s"))
    return handler


class _HeldLog(logging.Handler):
    """Warnings from before the progress bar exists (see _download), handed to the bar when it
    comes, or printed as plain lines by `to_plain()` when it never does."""

    def __init__(self, err: IO[str]) -> None:
        super().__init__(logging.WARNING)
        self._plain = _plain_handler(err)
        self._held: list[logging.LogRecord] = []
        self._to: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:   # under self.lock (Handler.handle)
        if self._to is not None:
            self._to.handle(record)
        else:
            self._held.append(record)

    def to_bar(self, bar: LiveBar) -> None:
        from paxel.commands.livebar import BarLogHandler

        self._send_held(BarLogHandler(bar, logging.WARNING))

    def to_plain(self) -> None:   # not `release`: that is Handler's own (its lock)
        """No bar (any more): what is held, and what comes, goes out as plain lines."""
        self._send_held(self._plain)

    def _send_held(self, to: logging.Handler) -> None:
        with self.lock or contextlib.nullcontext():
            for record in self._held:
                to.handle(record)
            self._held.clear()
            self._to = to


def _live_bar(err: IO[str], url: str) -> LiveBar:
    from paxel.commands.livebar import LiveBar

    return LiveBar(err, url)


class _Stats:
    """What the end line needs: when this run started and how much was on disk already. Also
    tells the bar each progress once it exists (`attach`), and `answered` once the download has
    reported progress or ended."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.resumed_from: int | None = None
        self.answered = threading.Event()
        self._lock = threading.Lock()
        self._last: Progress | None = None
        self._bar: LiveBar | None = None

    def on_progress(self, p: Progress) -> None:
        if self.resumed_from is None and p.total is not None:
            self.resumed_from = p.done
        with self._lock:
            self._last = p
            if self._bar is not None:
                self._bar.update(p)
        self.answered.set()

    @property
    def final_url(self) -> str | None:
        """The URL the file came from after redirects, as last reported (None: not known)."""
        with self._lock:
            return self._last.final_url if self._last is not None else None

    def attach(self, bar: LiveBar) -> None:
        with self._lock:
            self._bar = bar
            if self._last is not None:
                bar.update(self._last)


def saved_line(path: Path, size: int, seconds: float, fetched: int) -> str:
    """'saved NAME (5.0 GiB) in 1:02, 81.2 MiB/s average' (no average when nothing was fetched)."""
    shown = os.path.relpath(path)
    if shown.startswith(os.pardir):
        shown = str(path)
    line = f"paxel: saved {shown} ({format_size(size)}) in {format_duration(seconds)}"
    if fetched > 0 and seconds > 0:
        line += f", {format_size(fetched / seconds)}/s average"
    return line + "\n"


def _download(opts: DownloadOptions, quiet: bool, err: IO[str], held: _HeldLog | None,
              max_height: int | None = None) -> int:
    """Run the download; with `held` (a terminal), show the bar once its first answer is in.

    The bar is made after the download's thread has started and its first request has been
    answered (or BAR_WAIT has passed: a slow server, retries), not before: importing rich and
    starting the bar take ~20 ms, which the first request would otherwise wait for. A download
    that ends sooner never gets a bar (it would be removed at once anyway: it is transient)."""
    stats = _Stats()
    job = Download(opts, on_progress=stats.on_progress)

    def run() -> Result:
        try:
            return job.run()
        finally:
            stats.answered.set()

    # the download runs in a thread so Ctrl-C can pause it cleanly from here
    outcome, finished = run_in_background(run, "paxel-download")
    interrupted, stopped = False, True
    bar: LiveBar | None = None
    try:
        interrupts.arm()  # a Ctrl-C while starting up lands here and pauses like any other
        if held is not None:
            stats.answered.wait(BAR_WAIT)
            if not finished.is_set():
                bar = _live_bar(err, opts.url)
                stats.attach(bar)
                held.to_bar(bar)
        finished.wait()
    except KeyboardInterrupt:
        interrupted = True
        stopped = _pause(job, finished)
    elapsed = time.monotonic() - stats.started
    if bar is not None:
        bar.close()
    if held is not None:
        held.to_plain()   # warnings no bar showed come before the end line
    if not stopped:
        err.write("paxel: interrupted again; leaving without waiting - "
                  "run the same command again to resume\n")
        return INTERRUPTED
    if "error" in outcome:
        error: PaxelError = outcome["error"]
        err.write(f"paxel: {error.message}\n")
        return int(error.code)
    result: Result = background.result(outcome)
    if interrupted or result.paused:
        part = Path(f"{result.path}.part")   # (result.path is Path() when stopped before a name)
        if not result.path.name or not part.exists():   # nothing to resume from: none kept
            err.write("paxel: interrupted; nothing kept - run the same command again to start over\n")
            return INTERRUPTED
        err.write(f"paxel: interrupted; {format_size(result.size)} kept in {part} - "
                  "run the same command again to resume\n")
        return INTERRUPTED
    if is_playlist_file(result.path, result.size):   # by its content: a stream after all
        result.path.unlink()
        return media.run(opts, max_height, quiet, err, None)
    mark_origin(result.path, stats.final_url or opts.url, opts.headers)
    if result.renamed_from is not None:  # said even with --quiet: the file is not where asked
        err.write(f"paxel: {result.renamed_from} was taken meanwhile by another file; "
                  f"saved as {result.path}\n")
    if not quiet:
        if result.note:
            err.write(f"paxel: {result.note}\n")
        err.write(saved_line(result.path, result.size, elapsed, result.size - (stats.resumed_from or 0)))
    return 0


def mark_origin(path: Path, url: str, headers: Mapping[str, str]) -> None:
    """The marks of origin a browser (and the service) puts on a finished file: the URL it came
    from and the Referer given with -H, through paxel.origin's platform seam (never fails the
    download). Imported here, after the download: ctypes and plistlib cost start-up time the
    first request should not wait for."""
    from paxel import origin

    referrer = next((value for name, value in headers.items() if name.lower() == "referer"), None)
    origin.mark(path, url, referrer)


def _pause(job: Download, finished: threading.Event) -> bool:
    """After Ctrl-C: pause and wait until the resume state is saved. Another press only cuts the
    wait to LAST_WAIT (it no longer raises, nor kills the exit with SIGINT: the process is on its
    way out with 130); False when the download had not stopped by then. Leaving early is safe:
    the state on disk is replaced atomically and names only bytes already flushed, so a rerun at
    worst fetches again what came in since the last checkpoint."""
    again = threading.Event()
    signal.signal(signal.SIGINT, lambda _signum, _frame: again.set())
    job.pause()
    try:
        while not finished.wait(0.05):
            if again.is_set():
                return finished.wait(LAST_WAIT)
        return True
    finally:
        # ignored, not default, from here on: Python puts SIG_DFL back for its own handlers
        # when it shuts down, and a late press would then kill the exit
        signal.signal(signal.SIGINT, signal.SIG_IGN)
