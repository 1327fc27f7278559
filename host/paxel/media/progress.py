"""A media job's progress: the engine's Progress plus what only a stream has (pure).

The segment counts and the muxing step are fields of their own, not words in `filename`, so
the CLI bar, the service's DownloadView (`media`, `phase: "muxing"`) and the panel read the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from paxel.engine import Progress


@dataclass(frozen=True)
class MediaProgress(Progress):
    segments_done: int = 0
    segments_total: int = 0          # 0 until the playlist is read (a live one grows)
    muxing: bool = False             # every segment is in; ffmpeg is making the file
    live: bool = False

    def label(self) -> str:
        """`NAME 12/60 seg` (or `NAME muxing`) for a one-line display."""
        name = self.filename or "stream"
        return f"{name} muxing" if self.muxing else f"{name} {self.segments_done}/{self.segments_total} seg"


__all__ = ["MediaProgress"]
