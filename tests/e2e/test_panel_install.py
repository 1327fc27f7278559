"""README's command 1 in a temporary HOME, then the installed `paxel panel` under Xvfb.

Nothing is stubbed: install.sh picks the interpreter and the toolkit itself (pip resolves from
the index, its cache keeps that quick), and the window must appear on the X server and its page
load the service's list. On this machine (tools/apt-packages.txt has Debian's python3-gi and the
WebKit2GTK typelibs) the choice must be GTK WebKit: a Qt install would download ~211 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from support.panelhook import page_js
from support.paxel_env import PaxelEnv
from support.xvfb import Xvfb

pytestmark = pytest.mark.gui

TOP = Path(__file__).resolve().parents[2]


def test_install_sh_gives_a_panel_that_opens_on_the_system_webkit(paxel_env: PaxelEnv, xvfb: Xvfb) -> None:
    env = {
        **paxel_env.env,
        "PAXEL_NO_PIPX": "1",
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        "PATH": "/usr/bin:/bin",  # not the dev venv: the script must choose its own Python
        "DISPLAY": xvfb.display,
    }
    done = subprocess.run(["sh", str(TOP / "installer" / "install.sh"), "--", "--browser", "firefox"],
                          env=env, capture_output=True, text=True, timeout=280)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    chosen = [line for line in done.stdout.splitlines() if line.startswith("install.sh: panel: ")]
    assert len(chosen) == 1 and chosen[0].startswith("install.sh: panel: GTK WebKit ("), done.stdout
    venv = paxel_env.root / "data" / "paxel" / "venv"
    assert "include-system-site-packages = true" in (venv / "pyvenv.cfg").read_text()
    paxel = venv / "bin" / "paxel"

    report = json.loads(subprocess.run([str(paxel), "doctor", "--json"], env=env, capture_output=True,
                                       text=True, timeout=60).stdout)  # fmt: skip
    assert report["panel"]["backend"] == "GTK WebKit" and report["panel"]["ok"] is True, report["panel"]
    firefox = next(b for b in report["browsers"] if b["browser"] == "firefox")
    assert firefox["manifests"][0]["launcher"]["answered"] is True
    assert paxel_env.service_pid() is None, "paxel doctor started the service"

    hook = paxel_env.root / "panel-hook.sock"
    log = (paxel_env.root / "panel.log").open("wb")
    panel = subprocess.Popen([str(paxel), "panel"], env={**env, "PAXEL_PANEL_TEST_SOCKET": str(hook)},
                             stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 40
        ready = False
        while not ready and time.monotonic() < deadline:
            assert panel.poll() is None, (paxel_env.root / "panel.log").read_text()
            ready = hook.exists() and page_js(hook, "!!(window.paxel && window.paxel.ready === true)")
            time.sleep(0.1)
        assert ready, "the panel's page never loaded its snapshot"
        assert page_js(hook, "document.title") == "paxel"
        windows = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^paxel$"],
                                 env=env, capture_output=True, text=True, timeout=10)  # fmt: skip
        assert windows.stdout.split(), "no visible window named paxel on the X server"
        assert paxel_env.service_pid() is not None  # the panel started the installed service
    finally:
        panel.terminate()
        panel.wait(10)
        log.close()

    gone = subprocess.run(["sh", str(TOP / "installer" / "uninstall.sh")], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not venv.exists()
