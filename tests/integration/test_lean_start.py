"""`paxel URL` imports only what its first request needs before sending it (issue 9: start-up is
most of a small download's time and what the CLI adds to a capped one; bench/startup.py).

No timing here: the tests look at which modules a real `paxel` process has loaded when its first
request leaves, so a heavy import added at the top of a module on that path fails them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from support.faultserver import FaultServer

# Not needed before a plain download's first request: the progress display (rich), the service
# and its store, settings and paths, the panel and its toolkits, media jobs, the installer.
HEAVY = ("rich", "sqlite3", "webview", "gi", "PyQt6", "platformdirs", "watchdog", "difflib", "asyncio",
         "paxel.service", "paxel.panel", "paxel.client", "paxel.paths", "paxel.installer",
         "paxel.media.job", "paxel.engine.units", "paxel.commands.livebar", "paxel.commands.barline")

# Runs the real program (paxel.entry, as `python -m paxel` does) and writes sys.modules to a file
# when the first request is about to be sent: a spy on the real transport, nothing replaced.
AT_FIRST_REQUEST = """
import json, sys
import paxel.entry
from paxel import transport
record, send = sys.argv.pop(1), transport.HttpTransport._send
def spy(self, url, headers):
    if not hasattr(spy, "done"):
        spy.done = True
        with open(record, "w") as f:
            json.dump(sorted(sys.modules), f)
    return send(self, url, headers)
transport.HttpTransport._send = spy
sys.argv[0] = "paxel"
sys.exit(paxel.entry.main())
"""


def no_proxy() -> dict[str, str]:
    """Our environment without proxy variables (a proxy brings requests in: paxel.transport)."""
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


def loaded_after(code: str) -> list[str]:
    listing = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", f"{code}\n{listing}"], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])  # after what the code printed
    return modules


def test_the_cli_path_imports_nothing_heavy() -> None:
    """What `paxel URL` imports before it parses its arguments (entry, cli, the download command)."""
    modules = loaded_after("import paxel.entry, paxel.cli, paxel.commands.download")
    assert "paxel.engine.job" in modules  # the path was really imported
    assert heavy_in(modules) == []
    assert "requests" not in modules and "urllib3" not in modules  # with the first transport


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_no_engine(argv: list[str]) -> None:
    modules = loaded_after(f"import sys, paxel.cli; sys.argv[1:] = {argv!r}; paxel.cli.main()")
    assert not [m for m in modules if m.startswith(("paxel.engine", "paxel.commands"))]
    assert heavy_in(modules) == [] and "requests" not in modules


def test_nothing_heavy_is_loaded_when_the_first_request_leaves(faultserver: FaultServer,
                                                                tmp_path: Path) -> None:
    url = faultserver.url("lean.bin", size=3000)
    record, out = tmp_path / "modules.json", tmp_path / "lean.bin"
    done = subprocess.run([sys.executable, "-c", AT_FIRST_REQUEST, str(record), url, "-o", str(out)],
                          capture_output=True, text=True, timeout=60, env=no_proxy())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size == 3000
    assert "saved" in done.stderr  # said before the quick exit (paxel.entry.leave flushes stderr)
    modules: list[str] = json.loads(record.read_text())
    assert "urllib3" in modules  # the spy saw the moment the request was sent
    assert heavy_in(modules) == []
    # without a proxy the first request goes out on urllib3 alone (paxel.directtransport)
    assert "requests" not in modules and "charset_normalizer" not in modules


def run_in_terminal(argv: list[str]) -> tuple[int, str]:
    """argv with stderr a pseudo-terminal (the progress bar's case): exit status and what it printed."""
    control, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                block = os.read(control, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not block:
                break
            shown += block
        return proc.wait(timeout=60), shown.decode(errors="replace")
    finally:
        os.close(control)


def test_in_a_terminal_the_bar_comes_after_the_first_request(faultserver: FaultServer,
                                                              tmp_path: Path) -> None:
    """The bar (rich) is made once the first answer is in: the first request does not wait for it."""
    url = faultserver.url("bar.bin", size=1 << 20, trickle=1 << 20)   # ~1 s: long enough for a bar
    record, out = tmp_path / "modules.json", tmp_path / "bar.bin"
    argv = [sys.executable, "-c", AT_FIRST_REQUEST, str(record), url, "-o", str(out)]
    status, shown = run_in_terminal(argv)
    assert status == 0, shown
    assert "━" in shown or "─" in shown, shown   # a bar was drawn
    assert "saved" in shown
    modules: list[str] = json.loads(record.read_text())
    assert "urllib3" in modules and heavy_in(modules) == []


def test_a_warning_before_a_bar_is_still_printed(faultserver: FaultServer, tmp_path: Path) -> None:
    """A retry the download got over before any bar was made is printed plainly, before the end line."""
    url = faultserver.url("quick.bin", size=1000, status=503, retry_after=0)
    status, shown = run_in_terminal([sys.executable, "-m", "paxel", url, "-o", str(tmp_path / "quick.bin")])
    assert status == 0, shown
    assert "answered 503; retrying" in shown, shown
    assert shown.index("answered 503") < shown.index("paxel: saved"), shown
