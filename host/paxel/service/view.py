"""A DownloadView (docs/protocol.md): what clients see of a download, from its stored Record
plus, while it runs, the engine's live Progress. Pure."""

from __future__ import annotations

from typing import Any

from paxel import engine
from paxel.media.progress import MediaProgress
from paxel.redact import without_userinfo, without_userinfo_in
from paxel.service.lifecycle import State
from paxel.service.phase import Phase
from paxel.service.store import Record

IDLE = Phase("", 0, 0).fields() | {"phase": None}


def view(record: Record, progress: engine.Progress | None = None, phase: Phase | None = None,
         queue_position: int | None = None, waiting: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DownloadView (docs/protocol.md) from what is stored plus the live engine snapshot and
    phase (a running download not polled yet is connecting), and, while it is queued, its place
    in its queue and what it waits for (the scheduler knows those)."""
    live = progress is not None and record.state == State.RUNNING
    # Paused, its engine still winding down: the store's count is up to a second old (0 B in the
    # first second) until the engine stores where it stopped; its live bytes are the truth.
    stopping = progress is not None and record.state == State.PAUSED
    running = record.state == State.RUNNING
    detail = (phase or Phase("connecting")).fields() if running else IDLE
    total = progress.total if live and progress else record.total
    final_url = (progress.final_url if live and progress else None) or record.final_url
    referer = next((v for k, v in record.headers.items() if k.lower() == "referer"), None)
    if referer is not None and not referer.lower().startswith(("http://", "https://")):
        referer = None   # "Open page" opens it: a sender's javascript:, file: or data: is no page
    return {
        "download_id": record.id,
        # A URL's password goes to its server only, not to every client (docs/protocol.md).
        "url": without_userinfo(record.url),
        "final_url": without_userinfo(final_url),
        "filename": (progress.filename if live and progress else None) or record.filename or "",
        "folder": record.folder,
        "path": (str(progress.path) if live and progress and progress.path else None) or record.path,
        "state": str(record.state),
        "stop_reason": record.stop_reason,
        "total": total,
        "done": progress.done if (live or stopping) and progress else record.done,
        "speed": progress.speed if live and progress else 0.0,
        "eta": progress.eta if live and progress else None,
        "connections": record.connections,
        "max_speed": record.max_speed,  # its own limit, bytes/s (null: none; a global one may apply)
        "segments": [list(s) for s in progress.segments] if live and progress else [],
        "error": {**record.error, "message": without_userinfo_in(str(record.error.get("message", "")))}
        if record.error else None,
        # The page the link was found on (the browser's Referer): "Open page" for an expired link.
        "page": without_userinfo(referer),
        "media": media_view(record, progress if live else None),
        **detail,
        "queue": record.queue,
        "queue_position": queue_position if record.state == State.QUEUED else None,
        "waiting": waiting if record.state == State.QUEUED else None,
        "duplicate": record.duplicate,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
    }


def media_view(record: Record, progress: engine.Progress | None) -> dict[str, Any] | None:
    """A stream's own fields (docs/protocol.md): null for a plain file; segment counts while it
    runs (null when it is not running: the counts live in its work folder, not the store)."""
    if record.media is None and not isinstance(progress, MediaProgress):
        return None
    quality = (record.media or {}).get("quality")
    if isinstance(progress, MediaProgress):
        return {"quality": quality, "segments_done": progress.segments_done,
                "segments_total": progress.segments_total, "live": progress.live}
    return {"quality": quality, "segments_done": None, "segments_total": None, "live": None}


__all__ = ["media_view", "view"]
