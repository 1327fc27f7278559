"""A command's job run in a daemon thread, so the main thread stays free to take Ctrl-C and
pause (or stop) the job cleanly; a daemon, so a second Ctrl-C can leave without the interpreter
waiting for it. Shared by `paxel URL` (commands.download) and `paxel PLAYLIST_URL` (commands.media).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from paxel.errors import PaxelError


def run_in_background(run: Callable[[], Any], name: str) -> tuple[dict[str, Any], threading.Event]:
    """Start `run` in a daemon thread named `name`. Returns the outcome, which gets "result" (what
    `run` returned), "error" (the PaxelError it raised) or "crash" (any other exception: take
    the result with `result()`), and the Event set when it ended.

    An Event, not Thread.join(): in Python 3.11 a join cut short by Ctrl-C can mark a thread that
    is still running as stopped (bpo-45274)."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = run()
        except PaxelError as exc:
            outcome["error"] = exc
        except BaseException as exc:   # a bug: raised again by the caller (result()), where one
            outcome["crash"] = exc     # traceback names it, not a KeyError after the thread's own
        finally:
            finished.set()

    threading.Thread(target=work, name=name, daemon=True).start()
    return outcome, finished


def result(outcome: dict[str, Any]) -> Any:
    """What the job returned; an exception that was not a PaxelError is raised here."""
    if "crash" in outcome:
        raise outcome["crash"]
    return outcome["result"]
