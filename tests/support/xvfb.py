"""A real Xvfb on a free display number, started and stopped by PID (panel tests)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from types import TracebackType

XVFB = shutil.which("Xvfb") or "/usr/bin/Xvfb"


class Xvfb:
    """`Xvfb -displayfd`: the server picks a free display and writes its number once ready."""

    def __init__(self, screen: str = "1280x800x24", timeout: float = 10.0,
                 number: int | None = None) -> None:
        """`number`: this display and no other (Xvfb fails if it is taken); by default the
        lowest free one, which the next Xvfb anyone starts takes again once this one stops."""
        read_fd, write_fd = os.pipe()
        explicit = [] if number is None else [f":{number}"]
        try:
            self.process = subprocess.Popen(
                [XVFB, *explicit, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            os.close(write_fd)
            number = b""
            while not number.endswith(b"\n"):
                ready, _, _ = select.select([read_fd], [], [], timeout)
                chunk = os.read(read_fd, 16) if ready else b""
                if not chunk:
                    self.stop()
                    raise RuntimeError(f"Xvfb did not report a display within {timeout}s")
                number += chunk
        finally:
            os.close(read_fd)
        self.display = f":{int(number)}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Xvfb:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
