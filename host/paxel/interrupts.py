"""Ctrl-C while `paxel` starts up: remembered, then acted on where paxel is ready for it.

Python raises KeyboardInterrupt wherever the main thread happens to be: at the very start of a
function call (before any `try` in it), inside a library's import, inside an `eval` of source
text (CPython then also ends the process with SIGINT even when the exception was caught), or
inside a weakref callback (where it is printed as "Exception ignored" and lost). So the program's
entry point (`paxel.entry`) calls `install()` first, which makes a press only set a flag; each
command calls `arm()` once it is inside its own `try` and its imports are done, which puts
Python's handler back and raises KeyboardInterrupt right there if a press came meanwhile.
Without `install()` (paxel used as a library, or in tests) `arm()` changes nothing that matters.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_pressed = threading.Event()


def _remember(_signum: int, _frame: FrameType | None) -> None:
    _pressed.set()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install() -> None:
    """From now on until `arm()`, Ctrl-C is only remembered (main thread only: signals are)."""
    if _main_thread():
        signal.signal(signal.SIGINT, _remember)


def arm() -> None:
    """Ctrl-C raises KeyboardInterrupt again; raises it now if it was pressed since `install()`."""
    if _main_thread() and signal.getsignal(signal.SIGINT) is _remember:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if _pressed.is_set():
        _pressed.clear()
        raise KeyboardInterrupt


__all__ = ["arm", "install"]
