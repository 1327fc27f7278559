"""A download onto a filesystem without user xattrs (ramfs, mounted in a private mount namespace)
completes: its mark of origin is lost, never the download. The real scheduler (engine, SQLite,
nginx) runs in a child process inside the namespace, since the mount exists only there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.nginx import Nginx

CHILD = """
import json, sys, time
from pathlib import Path
from paxel.service.request import DownloadRequest
from paxel.service.scheduler import Scheduler
from paxel.service.settings import from_mapping
from paxel.service.store import Store

root, db, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
raw = {"roots": [str(root)], "after_completion": None}
scheduler = Scheduler(Store(db), from_mapping(raw), lambda name, data: None,
                      settings_path=db.with_name("settings.json"))
scheduler.start()
ident = scheduler.add(DownloadRequest.from_fields({"url": url, "connections": 4}))["download_id"]
deadline = time.monotonic() + 30
while scheduler.get(ident)["state"] not in ("completed", "failed") and time.monotonic() < deadline:
    time.sleep(0.05)
view = scheduler.get(ident)
path = Path(view["path"]) if view["path"] else None
import os
print(json.dumps({"state": view["state"], "error": view.get("error"),
                  "size": path.stat().st_size if path and path.exists() else None,
                  "xattrs": os.listxattr(path) if path and path.exists() else None}))
scheduler.stop()
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs a mount namespace")
def test_a_download_onto_a_filesystem_without_user_xattrs_completes(nginx: Nginx, tmp_path: Path) -> None:
    nginx.add_file("ram.bin", 6 << 20)
    mount = tmp_path / "ramfs"
    mount.mkdir()
    child = tmp_path / "child.py"
    child.write_text(f"import sys; sys.path[:0] = {sys.path!r}\n" + CHILD)
    shell = 'mount -t ramfs none "$0" && exec "$1" "$2" "$0" "$3" "$4"'
    argv = [str(mount), sys.executable, str(child), str(tmp_path / "q.sqlite"), nginx.url("ram.bin")]
    done = subprocess.run(["unshare", "-m", "sh", "-c", shell, *argv], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"state": "completed", "error": None, "size": 6 << 20, "xattrs": []}, result
