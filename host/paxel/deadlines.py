"""Deadlines paxel keeps for someone else's sake, each overridable from the environment.

A browser waits 10 s for a take, a popup 15 s for a media probe, a client that never reads is
dropped after 5 s: these are promises to others, and their values are the defaults here; the
engine's first retry backoff (0.5 s, doubling to 30 s) is one more such wait. A test of "the
deadline happens, and then this" need not wait the real seconds, so each can be set by
`PAXEL_<NAME>_S` (seconds, a positive number) in the environment of the process that keeps it;
the test suite sets it for the service it starts. Anything else there (empty, not a number,
zero or less, not finite) is ignored and the default applies: a stray variable can only give
the documented value, never switch a deadline off.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping


def seconds(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """`PAXEL_{name}_S` from `environ` (os.environ) when it is a positive finite number of
    seconds, else `default`."""
    raw = (os.environ if environ is None else environ).get(f"PAXEL_{name}_S", "")
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


__all__ = ["seconds"]
