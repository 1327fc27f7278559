"""installer/install.sh and uninstall.sh end to end in an isolated HOME, against this checkout.

pip builds paxel from the checkout into the venv install.sh uses; to stay fast and offline for
dependencies, the test creates that venv first with a .pth reaching the dev venv's packages and
passes --no-deps (install.sh reuses an existing venv, as on a re-run). That venv's Python cannot
see Debian's PyGObject, so this is also the Qt fallback's choice and its one line; the GTK route
with a real pip install and the panel opening is tests/e2e/test_panel_install.py.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

from test_install_cli import launch_like_browser  # same folder (pytest puts it on sys.path)

from paxel.ids import FIREFOX_EXTENSION_ID, HOST_NAME
from support.paxel_env import PaxelEnv

TOP = Path(__file__).resolve().parents[2]


def test_install_sh_sets_up_an_isolated_paxel_and_uninstall_sh_removes_it(paxel_env: PaxelEnv) -> None:
    data = paxel_env.root / "data" / "paxel"
    venv = data / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True, timeout=60)
    pth = next(venv.glob("lib/python3*/site-packages")) / "paxel-test-deps.pth"
    # only the dev venv's own folders: a dev venv made with --system-site-packages lists Debian's too
    pth.write_text("\n".join(p for p in site.getsitepackages() if p.startswith(sys.prefix)) + "\n")
    env = {
        **paxel_env.env,
        "PAXEL_NO_PIPX": "1",
        "PAXEL_PIP_ARGS": "--no-deps",
        "PAXEL_PYTHON": str(venv / "bin" / "python"),  # no system site-packages: no gi
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        "PATH": "/usr/bin:/bin",  # not the dev venv: the script must use its own paxel
    }
    done = subprocess.run(
        ["sh", str(TOP / "installer" / "install.sh"), "--", "--browser", "firefox"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    chosen = [line for line in done.stdout.splitlines() if line.startswith("install.sh: panel: ")]
    assert len(chosen) == 1, done.stdout
    assert chosen[0].startswith("install.sh: panel: Qt WebEngine, ~211 MB of wheels (")
    assert "No module named 'gi'" in chosen[0] and "gir1.2-webkit2-4.1" in chosen[0]
    assert "installing " + str(TOP) + "[panel,panel-qt] into" in done.stdout
    manifest = paxel_env.home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json"
    launcher = json.loads(manifest.read_text())["path"]
    assert launcher == str(data / "native-host" / "paxel-host")
    assert f"exec {venv}/bin/paxel-host" in Path(launcher).read_text()
    reply = launch_like_browser(
        [launcher, str(manifest), FIREFOX_EXTENSION_ID], f"firefox:{FIREFOX_EXTENSION_ID}", paxel_env
    )
    assert reply["ok"] is True, reply
    service = paxel_env.service_pid()
    assert service is not None

    gone = subprocess.run(
        ["sh", str(TOP / "installer" / "uninstall.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not manifest.exists() and not venv.exists()
    assert paxel_env.service_pid() is None, "the service running from the removed venv was stopped"
    assert not (paxel_env.home / ".mozilla").exists()


def test_install_sh_refuses_an_unknown_panel_choice(paxel_env: PaxelEnv) -> None:
    env = {**paxel_env.env, "PAXEL_PANEL": "tk"}
    done = subprocess.run(["sh", str(TOP / "installer" / "install.sh")], env=env,
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 2 and "PAXEL_PANEL is auto, gtk, qt or none, not 'tk'" in done.stderr
    assert not (paxel_env.root / "data").exists()


def test_install_sh_refuses_an_old_python(paxel_env: PaxelEnv, tmp_path: Path) -> None:
    old = tmp_path / "python-old"
    old.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.exit(1)'\n")
    old.chmod(0o755)
    done = subprocess.run(
        ["sh", str(TOP / "installer" / "install.sh")],
        env={**paxel_env.env, "PAXEL_PYTHON": str(old)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "needs Python 3.11 or newer" in done.stderr
    assert not (paxel_env.root / "data").exists()
