"""The request router: one handler per message type, as browserpass has one file per action.

`HANDLERS` maps every request type in `paxel.schema.SCHEMA` to one function taking the
router's context, the caller and the validated fields, and returning the reply's `result`.
`Router.reply` turns that into the envelope: a PaxelError becomes its error reply, any other
exception an INTERNAL one (logged with its traceback), so a bug in one handler never takes the
connection down. The router holds no socket: the server reads, authenticates and sends; the
router only decides what a request does.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from paxel import __version__, deadlines, filenames, takeover
from paxel.engine.options import FirstReply
from paxel.errors import ErrorCode, PaxelError, ProtocolError
from paxel.media.detect import kind_from_type
from paxel.protocol import PROTOCOL_VERSION, fit_downloads, reply_error, reply_ok
from paxel.retry import RetryPolicy
from paxel.sameness import FileFacts
from paxel.schema import Request
from paxel.service import aftercompletion, lifecycle
from paxel.service import settings as settings_mod
from paxel.service.announce import Starters
from paxel.service.desktop import Desktop
from paxel.service.probing import first_take, probe
from paxel.service.request import DownloadRequest
from paxel.service.scheduler import Scheduler
from paxel.service.settings import Settings

log = logging.getLogger(__name__)
CAPABILITIES = ("download", "take", "probe", "pause", "resume", "cancel", "remove", "retry", "open",
                "show_panel", "events", "lifecycle", "limit", "refresh", "media", "queues",
                "settings", "queue_rename")
# Callers the service trusts with local-only requests (`after_completion`): the CLI and the panel.
# Every browser's connection is named by its native host (`chrome-extension://ID/`, `firefox:ID`),
# which a browser cannot change (docs/protocol.md, "Caller check").
LOCAL_CLIENTS = frozenset({"cli", "panel"})
# Requests that may wait on the network or the display (XOpenDisplay blocks on an X server that
# never answers): the server answers them off the client's reader thread.
SLOW = frozenset({"probe", "media_probe", "take", "show_panel", "open"})
PROBE_RETRY = RetryPolicy(attempts=2, cap=2.0)   # a popup waits for media_probe: fail fast
# s for media_probe's playlists as a whole (a body may trickle)
MEDIA_PROBE_DEADLINE = deadlines.seconds("MEDIA_PROBE_DEADLINE", 15.0)


class Caller(Protocol):
    """The connected client a request came from; `hello` names it (the panel gets show_panel)."""

    name: str


@dataclass(frozen=True)
class Context:
    """What the handlers act on; `shutdown` asks the service to stop (SIGTERM to itself)."""

    scheduler: Scheduler
    settings: Settings
    desktop: Desktop
    shutdown: Callable[[], None]
    starters: Starters = field(default_factory=Starters)  # who announces the outcome (announce.py)


Fields = Mapping[str, Any]
Handler = Callable[[Context, Caller, Fields], dict[str, Any]]


def on_hello(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    caller.name = str(fields["client"])
    return {
        "version": PROTOCOL_VERSION, "capabilities": list(CAPABILITIES),
        "roots": [str(r) for r in ctx.settings.roots],
        "default_folder": str(ctx.settings.default_folder),
        "default_connections": ctx.scheduler.settings.default_connections,
        "max_speed": ctx.scheduler.limits.global_speed,
        "service_pid": os.getpid(), "paxel_version": __version__,
        "lifecycle": lifecycle.describe(),
    }


def on_download(ctx: Context, caller: Caller, fields: Fields,
                facts: FileFacts | None = None, first_reply: FirstReply | None = None) -> dict[str, Any]:
    added, duplicate = ctx.scheduler.add_checked(DownloadRequest.from_fields(fields), facts, first_reply)
    ctx.starters.note(added["download_id"], caller)
    if ctx.scheduler.settings.open_panel_on_add is not False:
        ctx.desktop.show_panel_soon()
    return {"download": added, **({"duplicate": duplicate} if duplicate else {})}


def on_take(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """The two-phase hand-over (docs/protocol.md): paxel makes the download's first request and
    queues the download only when the answer is plausibly what the browser got (paxel.takeover);
    otherwise nothing is queued and the browser keeps its own download. A take that could not be
    answered within the extension's deadline is declined too: nobody reads a later `taken`, so
    nobody would let go of the browser's copy. The answer judged is the one saved: its open reply
    is the engine's first request when the download starts at once (probing.first_take)."""
    opened: list[FirstReply] = []
    try:
        result, unused = _take(ctx, caller, fields, opened)
    except BaseException:
        for first in opened:
            first.reply.close()
        raise
    if unused is not None:   # not handed to a download (declined, attached, a stream): done
        unused.reply.close()
    return result


def _take(ctx: Context, caller: Caller, fields: Fields,
          opened: list[FirstReply]) -> tuple[dict[str, Any], FirstReply | None]:
    """on_take's reply, and the first reply when nobody took it over (`opened`: it, as soon as
    it exists, for on_take to close should anything fail)."""
    started = time.monotonic()
    expect = fields["expect"]
    seen = takeover.Seen(expect.get("size"), expect.get("content_type"), expect.get("filename"),
                         expect.get("min_size"))
    request = DownloadRequest.from_fields(fields)
    reply: FirstReply | None = None
    try:
        taking = first_take(request)
        answer, info, reply = taking.answer, taking.info, taking.reply
        opened.extend([reply] if reply is not None else [])
        if request.media is None and kind_from_type(answer.content_type) and "media" not in fields:
            # a playlist by its content type (no .m3u8/.mpd in the URL): the stream, not its text
            fields = {**fields, "media": {"quality": None}}
            request = DownloadRequest.from_fields(fields)
        if request.media is not None:   # a playlist is small: the size rules are the file's
            seen, info = takeover.Seen(None, None, None, None), None   # and never attached to a file
        verdict = takeover.judge(seen, answer)
    except PaxelError as exc:
        verdict = takeover.Verdict(False, takeover.Declined.FAILED, f"paxel's request failed: {exc}")
    if time.monotonic() - started > takeover.TAKE_LIMIT:   # whatever the answer: nobody reads it
        verdict = takeover.Verdict(False, takeover.Declined.TIMEOUT,
                                   f"paxel's first request took over {takeover.TAKE_LIMIT:g} s")
    if not verdict.taken:
        log.info("declined %s: %s", fields["url"], verdict.message)
        return {"outcome": "declined", "reason": str(verdict.reason), "message": verdict.message}, reply
    facts = None
    if info is not None:  # the same file as an unfinished download: continue that one (relink.py)
        name = request.filename or filenames.choose_name(info.filename, info.url)
        facts = FileFacts(name, info.size, info.etag, info.last_modified)
        attached = ctx.scheduler.attach(request, facts, info.url)
        if attached is not None:   # (its engine resumes the .part: it asks for other bytes)
            ctx.starters.note(attached["download_id"], caller)
            return {"outcome": "taken", "download": attached, "attached": True}, reply
        running = ctx.scheduler.running_same(request, facts, info.url)
        if running is not None:    # clicked again while it downloads: it is the answer
            return {"outcome": "taken", "download": running, "attached": True, "already": True}, reply
    if request.media is not None:   # a stream's job reads its playlist its own way
        return {"outcome": "taken", **on_download(ctx, caller, fields, facts)}, reply
    # the link worked just now: a refusal before any byte means it expired (the scheduler notes
    # the facts as it adds the download, before the engine can have tried); add_checked owns
    # the reply from here (the engine's, or closed)
    return {"outcome": "taken", **on_download(ctx, caller, fields, facts, reply)}, None


def on_probe(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return probe(DownloadRequest.from_fields(fields))


def on_media_probe(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """A stream's qualities, duration and estimated sizes, read from its playlist with the
    request's headers and cookies (the browser's), nothing downloaded (paxel.media.probe)."""
    from paxel import engine
    from paxel.media.job import MediaJob
    from paxel.media.probe import summary

    request = DownloadRequest.from_fields(fields)
    options = engine.DownloadOptions(url=request.url, headers=request.headers, cookies=request.cookies,
                                     connections=1, retry=PROBE_RETRY,
                                     timeout=15.0)
    return summary(MediaJob(options, ffmpeg=False).resolve(within=MEDIA_PROBE_DEADLINE))


def on_list(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"downloads": ctx.scheduler.list()}


def on_pause(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"download": ctx.scheduler.pause(fields["download_id"])}


def on_resume(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"download": ctx.scheduler.resume(fields["download_id"])}


def on_cancel(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"download": ctx.scheduler.cancel(fields["download_id"])}


def on_retry(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    retried = ctx.scheduler.retry(fields["download_id"])
    ctx.starters.note(fields["download_id"], caller)  # who asked again hears how it ends
    return {"download": retried}


def on_refresh(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """Wait for a new link; `page` is where the user finds it (null: click the link again)."""
    refreshed = ctx.scheduler.refresh(fields["download_id"])
    ctx.starters.note(fields["download_id"], caller)
    return {"download": refreshed, "page": refreshed["page"]}


def on_remove(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    ctx.scheduler.remove(fields["download_id"], bool(fields.get("delete_file", False)))
    return {}


def on_open(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    view = ctx.scheduler.get(fields["download_id"])
    action = lifecycle.Action.OPEN if fields["what"] == "file" else lifecycle.Action.REVEAL
    lifecycle.move(action, view["state"], view["download_id"])
    ctx.desktop.open(view, fields["what"])
    return {}


def on_limit(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """A download's own speed limit, or (without `download_id`) the global one; null: none."""
    rate = fields["max_speed"]
    if "download_id" in fields:
        return {"download": ctx.scheduler.set_limit(fields["download_id"], rate)}
    ctx.scheduler.limits.set_global_speed(rate)
    return {"max_speed": ctx.scheduler.limits.global_speed}


def on_queues(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"queues": ctx.scheduler.queues(), **ctx.scheduler.window()}


def on_move(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"download": ctx.scheduler.move(fields["download_id"], fields["to"])}


def on_start_now(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    started = ctx.scheduler.start_now(fields["download_id"])
    ctx.starters.note(fields["download_id"], caller)
    return {"download": started}


def on_assign(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {"download": ctx.scheduler.assign(fields["download_id"], fields["queue"])}


def on_duplicate_answer(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    remaining = ctx.scheduler.answer_duplicate(fields["download_id"], fields["choice"])
    return {"download": remaining} if remaining is not None else {}


def on_settings(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """Every setting but `after_completion`; with `set`, those keys changed first (schema.SETTABLE)."""
    current = ctx.scheduler.change_settings(fields["set"], fields.get("renamed") or {},
                                            fields.get("if_revision")) if "set" in fields \
        else ctx.scheduler.settings
    return {"settings": settings_mod.to_raw(current), "revision": settings_mod.revision(current)}


def on_after_completion(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    """Local clients only: the native host never relays it, and here a browser's connection
    (whatever name it has) is refused too."""
    if caller.name not in LOCAL_CLIENTS:
        log.warning("refused after_completion from %s", caller.name)
        raise ProtocolError("after_completion is set only locally (settings file, paxel after, panel)",
                            code=ErrorCode.UNKNOWN_TYPE)
    current = ctx.scheduler.change_settings({"after_completion": fields["set"]}) if "set" in fields \
        else ctx.scheduler.settings
    return {"after_completion": aftercompletion.to_raw(current.after_completion)}


def on_show_panel(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    ctx.desktop.show_panel(quiet=False)
    return {}


def on_shutdown(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    ctx.shutdown()
    return {}


def on_auth(ctx: Context, caller: Caller, fields: Fields) -> dict[str, Any]:
    return {}  # the server checks the first `auth`; a later one changes nothing


HANDLERS: dict[str, Handler] = {
    "hello": on_hello,
    "download": on_download,
    "take": on_take,
    "probe": on_probe,
    "media_probe": on_media_probe,
    "list": on_list,
    "pause": on_pause,
    "resume": on_resume,
    "cancel": on_cancel,
    "retry": on_retry,
    "refresh": on_refresh,
    "remove": on_remove,
    "open": on_open,
    "limit": on_limit,
    "queues": on_queues,
    "move": on_move,
    "start_now": on_start_now,
    "assign": on_assign,
    "duplicate_answer": on_duplicate_answer,
    "settings": on_settings,
    "after_completion": on_after_completion,
    "show_panel": on_show_panel,
    "shutdown": on_shutdown,
    "auth": on_auth,
}


class Router:
    def __init__(self, context: Context) -> None:
        self.context = context

    def handle(self, caller: Caller, request: Request) -> dict[str, Any]:
        """The `result` of one request; raises PaxelError when it is refused."""
        handler = HANDLERS.get(request.type)
        if handler is None:
            raise ProtocolError(f"unknown message type {request.type!r}", code=ErrorCode.UNKNOWN_TYPE)
        return handler(self.context, caller, request.fields)

    def reply(self, caller: Caller, request: Request) -> dict[str, Any]:
        """The whole reply envelope; never raises."""
        try:
            result = self.handle(caller, request)
        except PaxelError as exc:
            return reply_error(request.id, exc)
        except Exception as exc:
            log.exception("request %s failed", request.type)
            return reply_error(request.id, PaxelError(f"internal error in {request.type}: {exc!r}"))
        if request.type == "list":  # the one reply that can outgrow a frame: cut to fit
            return fit_downloads(lambda items: reply_ok(request.id, {"downloads": items}),
                                 result["downloads"])
        return reply_ok(request.id, result)


__all__ = ["CAPABILITIES", "HANDLERS", "SLOW", "Caller", "Context", "Router"]
