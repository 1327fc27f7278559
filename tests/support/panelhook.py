"""Evaluating JavaScript in the live panel page through its test hook (paxel.panel.testhook), for
tests/e2e/test_panel*.py and bench/panel.py."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


def page_js(hook: Path, expression: str) -> Any:
    """What `expression` evaluates to in the page; AssertionError with the hook's answer when the
    page threw or the request was refused (raised, not asserted, so `python -O` keeps it)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(str(hook))
        stream = sock.makefile("rwb")
        stream.write(json.dumps({"js": expression}).encode() + b"\n")
        stream.flush()
        answer = json.loads(stream.readline())
    if not answer["ok"]:
        raise AssertionError(answer)
    return answer["result"]
