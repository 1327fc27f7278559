"""`paxel panel`: open the progress window, after checking that a display exists.

The probe imports no GUI toolkit: without a display Qt would abort the whole process (exit 134)
before Python could say anything useful. With none we explain and exit with NO_DISPLAY; the
service and its downloads are untouched.
"""

from __future__ import annotations

import sys

from paxel.errors import ErrorCode
from paxel.panel.display import probe_display

USAGE = """usage: paxel panel

Open the paxel progress window (downloads, speed, ETA, per-connection segments, history).
Closing the window only closes the window: downloads go on in the paxel service.
"""


def main(command: str, argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv:
        sys.stderr.write(f"paxel panel: unexpected argument {argv[0]!r}\n{USAGE}")
        return int(ErrorCode.USAGE)
    probe = probe_display()
    if not probe.available:
        sys.stderr.write(
            f"paxel panel: cannot open the panel: {probe.detail}.\n"
            "Downloads go on in the paxel service; follow them with `paxel list` or the browser "
            "extension's popup.\n"
        )
        return int(ErrorCode.NO_DISPLAY)
    from paxel.panel.app import run  # imports pywebview/Qt: only after the probe

    return run()
