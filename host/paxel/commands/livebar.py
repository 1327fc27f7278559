"""The live progress line of `paxel URL` on a terminal, and the engine's warnings above it.

rich's Live redraws one line (laid out by `barline.layout` for the terminal's current width)
eight times a second from its own thread; `update()` only stores the newest Progress, so the
engine's threads never wait for the terminal. Log records arrive on engine threads too: they are
printed through the Live's console, which puts them above the line instead of into it. A retry
("...; retrying in 0.7s") adds to the line's counter; its reason is printed the first time and
when it changes, at most RETRY_LINES times, so a flaky server cannot scroll the screen away.
The line is transient: it disappears at the end, and the caller prints one summary line.

rich is imported here only, when a bar is shown (start-up time counts for small files).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import IO
from urllib.parse import urlsplit

from rich.console import Console
from rich.live import Live
from rich.text import Text

from paxel.commands.barline import LineView, layout
from paxel.engine import Progress
from paxel.humanize import name_from_url
from paxel.media.progress import MediaProgress

RETRY = re.compile(r"; retrying in [0-9.]+ ?s$")
RETRY_LINES = 3


class LiveBar:
    """One download's line; `close()` removes it (call once, from the thread that made it)."""

    def __init__(self, err: IO[str], url: str) -> None:
        self._url, self._host = url, urlsplit(url).netloc or url
        self._console = Console(file=err, highlight=False, soft_wrap=False)
        self._lock = threading.Lock()
        self._url_name = name_from_url(url)
        self._progress: Progress | None = None
        self._retries = 0
        self._retry_lines = 0
        self._last_reason: str | None = None
        self._last_message: str | None = None
        self._live = Live(console=self._console, get_renderable=self._render, refresh_per_second=8,
                          transient=True, redirect_stdout=False, redirect_stderr=False)  # fmt: skip
        self._live.start()

    def update(self, progress: Progress) -> None:
        with self._lock:
            self._progress = progress

    def view(self) -> LineView:
        with self._lock:
            p, retries = self._progress, self._retries
        if p is None:
            return LineView(self._url_name, True, None, 0, 0.0, None, 0, retries)
        name = p.label() if isinstance(p, MediaProgress) else p.filename or self._url_name
        return LineView(name, p.state == "probing", p.total, p.done, p.speed,
                        p.eta, p.connections, retries)  # fmt: skip

    def _render(self) -> Text:
        text = Text.assemble(*layout(self.view(), self._console.width))
        text.no_wrap, text.overflow = True, "crop"
        return text

    def warn(self, message: str) -> None:
        """A warning above the line; a retry counts, and its reason shows when new (see above)."""
        message = message.replace(self._url, self._host)  # the user gave it: the host is enough
        match = RETRY.search(message)
        with self._lock:
            if match:
                self._retries += 1
                reason = message[: match.start()]
                if reason == self._last_reason or self._retry_lines >= RETRY_LINES:
                    return
                self._last_reason = reason
                self._retry_lines += 1
                message = f"{reason}; retrying"
            elif message == self._last_message:
                return
            self._last_message = message
        self._console.print(Text(f"paxel: {message}", style="yellow"))

    @property
    def retries(self) -> int:
        with self._lock:
            return self._retries

    def close(self) -> None:
        self._live.stop()


class BarLogHandler(logging.Handler):
    """Routes the engine's log records to `LiveBar.warn`."""

    def __init__(self, bar: LiveBar, level: int) -> None:
        super().__init__(level)
        self._bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._bar.warn(record.getMessage())
        except Exception:
            self.handleError(record)


__all__ = ["RETRY", "RETRY_LINES", "BarLogHandler", "LiveBar"]
