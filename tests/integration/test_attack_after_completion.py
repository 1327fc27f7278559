"""After completion runs a program: only a local user may set it. A hostile page or extension that
controls a browser speaks through the real native host (`paxel-host`) and must not be able to
set or trigger a command; the CLI can, and the command runs as an argument list (no shell)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from paxel.service.aftercompletion import AfterCompletion, run_command
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.wire import authenticated, frame, reply


def _completed(paxel_env: PaxelEnv, ident: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = json.loads(paxel_env.paxel("list", "--json").stdout)
        view: dict[str, Any] = next(v for v in views if v["download_id"] == ident)
        if view["state"] == "completed":
            return view
        time.sleep(0.2)
    raise AssertionError(f"{ident} did not complete")


def _evil(marker: Path) -> dict[str, Any]:
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    return {"action": "command", "command": [sys.executable, "-c", code]}


def test_a_browser_cannot_set_or_trigger_a_command(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    marker = paxel_env.root / "pwned"
    evil = _evil(marker)
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "hello", "client": "cli", "version": 2})  # posing as the CLI
    assert host.reply(1, timeout=20.0)["ok"]
    attempts: list[dict[str, Any]] = [
        {"type": "after_completion", "set": evil},
        {"type": "after_completion"},
        {"type": "settings", "set": {"after_completion": evil}},
        {"type": "settings", "set": {"roots": ["/"]}},
        {"type": "settings", "set": {"extension_ids": ["evil"]}},
    ]
    for number, message in enumerate(attempts, start=2):
        host.send({"id": number, **message})
        answer = host.reply(number)
        assert not answer["ok"], (message, answer)
        assert answer["error"]["name"] in ("UNKNOWN_TYPE", "BAD_FIELD"), answer
    # what a browser may change (the options page) it can: not a way around the above
    host.send({"id": 20, "type": "settings", "set": {"duplicates": "ask"}})
    allowed = host.reply(20)
    assert allowed["ok"] and "after_completion" not in allowed["result"]["settings"]

    settings = json.loads(paxel_env.settings_file.read_text())
    assert "after_completion" not in settings and settings.get("roots") is None
    nginx.add_file("bait.bin", 4096)
    view = host.add(21, url=nginx.url("bait.bin"))
    _completed(paxel_env, view["download_id"])
    time.sleep(1.0)  # a command would have run by now
    assert not marker.exists(), "a browser made paxel run a program"


def test_a_connection_named_as_a_browser_is_refused_by_the_service_too(paxel_env: PaxelEnv) -> None:
    """The second wall: were the native host's filter ever bypassed, the service itself refuses
    `after_completion` from any connection not named `cli` or `panel`."""
    paxel_env.paxel("service", "start")
    marker = paxel_env.root / "pwned"
    evil = _evil(marker)
    for name in ("chrome-extension://ndedhmmbihgfnaoijdppbfijdeleggmn/", "firefox:paxel@paxel.io", "?"):
        sock = authenticated(paxel_env)
        try:
            if name != "?":  # "?": no hello at all
                sock.sendall(frame({"id": 2, "type": "hello", "client": name, "version": 2}))
                assert reply(sock, 2)["ok"]
            sock.sendall(frame({"id": 3, "type": "after_completion", "set": evil}))
            answer = reply(sock, 3)
            assert not answer["ok"] and answer["error"]["name"] == "UNKNOWN_TYPE", (name, answer)
        finally:
            sock.close()
    written = json.loads(paxel_env.settings_file.read_text()) if paxel_env.settings_file.exists() else {}
    assert "after_completion" not in written


def test_the_cli_sets_a_command_that_runs_as_an_argument_list(paxel_env: PaxelEnv, nginx: Nginx) -> None:
    out = paxel_env.root / "after-out.json"
    script = ("import json, os, sys; json.dump({'argv': sys.argv[1:], 'cwd': os.getcwd(), "
              "'env': os.environ.get('PAXEL_PATH')}, open(sys.argv[-1], 'w'))")
    shown = paxel_env.paxel("after", "command", "--timeout", "20", sys.executable, "-c", script,
                            "file={path}", str(out)).stdout
    assert shown.startswith("command [") and "20 s" in shown
    assert paxel_env.paxel("after").stdout == shown
    name = "a b; touch x $(id).bin"
    nginx.add_file(name, 2048)
    added = json.loads(paxel_env.paxel("add", nginx.url(name.replace(" ", "%20").replace(";", "%3B")
                                                         .replace("$", "%24").replace("(", "%28")
                                                         .replace(")", "%29")), "--json").stdout)
    view = _completed(paxel_env, added["download_id"])
    deadline = time.monotonic() + 15
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    ran = json.loads(out.read_text())
    assert ran["argv"] == [f"file={view['path']}", str(out)], "one argument, the path as it is"
    assert ran["cwd"] == view["folder"] and ran["env"] == view["path"]
    assert not (Path(view["folder"]) / "x").exists(), "no shell ran the name"
    assert paxel_env.paxel("after", "none").stdout == "none\n"
    bad = paxel_env.paxel("after", "frobnicate", check=False)
    assert bad.returncode == 2 and "unknown command" in bad.stderr


def test_a_command_past_its_timeout_is_killed_with_what_it_started(tmp_path: Path) -> None:
    """A hung command (and a child it left behind) must not live on in the service."""
    pids = tmp_path / "pids"
    script = ("import os, subprocess, sys, time; "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}'); time.sleep(60)")
    began = time.monotonic()
    thread = run_command(AfterCompletion("command", (sys.executable, "-c", script), 1.0), tmp_path / "f.bin",
                         "https://h.test/f.bin", "d-1")
    thread.join(15)
    assert not thread.is_alive() and time.monotonic() - began < 10
    for pid in (int(p) for p in pids.read_text().split()):
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
            assert time.monotonic() < deadline, f"{pid} still runs"
            time.sleep(0.05)


def test_a_command_that_prints_without_end_does_not_fill_the_service_memory(tmp_path: Path) -> None:
    """Only the first 64 KiB of a command's output go to the log; a command printing hundreds of
    MiB (`cat` of the downloaded file, a verbose scanner) must not be held in the service whole."""
    flood = "import sys; [sys.stdout.buffer.write(b'x' * (1 << 20)) for _ in range(300)]"
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it carried the forking pytest's own size
    # (153 MiB late in a full run) into this fresh process's figure.
    runner = ("import sys; from pathlib import Path; "
              "from paxel.service.aftercompletion import AfterCompletion, run_command; "
              f"run_command(AfterCompletion('command', (sys.executable, '-c', {flood!r}), 60.0), "
              f"Path({str(tmp_path / 'f.bin')!r}), 'https://h.test/f.bin', 'd-1').join(60); "
              "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))")
    done = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, timeout=90,
                          check=True)
    peak_mib = int(done.stdout.split()[-1]) >> 10  # VmHWM is in kB
    assert peak_mib < 150, f"the service held {peak_mib} MiB for 300 MiB of a command's output"


def test_a_file_named_like_an_option_with_newlines_and_shell_is_one_absolute_argument(tmp_path: Path) -> None:
    """A name chosen by a server: `-rf`, a newline, `$(...)`, backquotes and `;`. The command gets
    it as one argument, absolute (so never taken for an option), and nothing of it runs."""
    path = tmp_path / "-rf\n$(touch pwned1); `touch pwned2`; x.bin"
    path.write_bytes(b"x")
    seen = tmp_path / "argv.json"
    code = (f"import json, os, sys; open({str(seen)!r}, 'w')"
            ".write(json.dumps([sys.argv[1:], os.environ['PAXEL_PATH']]))")
    thread = run_command(AfterCompletion("command", (sys.executable, "-c", code, "{path}", "--file={path}")),
                         path, "https://h.test/x.bin", "d-1")
    thread.join(15)
    args, env_path = json.loads(seen.read_text())
    assert args == [str(path), f"--file={path}"] and env_path == str(path)
    assert args[0].startswith("/")
    assert not list(tmp_path.glob("pwned*")) and not list(Path.cwd().glob("pwned*"))
