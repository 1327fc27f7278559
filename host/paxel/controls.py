"""Control characters in text paxel shows: a terminal acts on them (ESC ] 0 ; retitles the window,
ESC [ 2 J clears it), so text a user, a page or a server chose is shown with them escaped.

A module of its own with no imports: the protocol, the CLI's commands and the transport use it,
and none of them should load the others to get it.
"""

from __future__ import annotations


def has_controls(text: str) -> bool:
    """Whether `text` holds a C0 or C1 control or DEL: no URL holds one raw (a browser sends them
    percent-encoded), and printed to a terminal it is a command (ESC ] 0 ; retitles the window)."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def escape_controls(text: str) -> str:
    """`text` with each control character written as an escape (`\\x1b`): server text in a
    message must not act on the terminal it is printed to."""
    return "".join(repr(c)[1:-1] if has_controls(c) else c for c in text)
