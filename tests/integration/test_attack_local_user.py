"""The service against another local user (`nobody`; the tests run as root): reading its files,
reaching its socket or port, guessing its secret, flooding its port, or making its folders first
in a shared place. Real service processes, real uids."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from support.paxel_env import PaxelEnv
from support.wire import NOBODY, as_nobody, open_up, start_service


def test_after_a_real_run_every_file_is_private_and_another_user_reads_nothing(
        paxel_env: PaxelEnv, nginx: Any) -> None:
    open_up(paxel_env)
    host = paxel_env.host("chrome")
    host.hello()
    nginx.add_file("attack-private.bin", size=1 << 20)
    view = host.add(2, url=nginx.url("attack-private.bin") + "?token=QUERYSECRET",
                    headers={"Cookie": "sid=COOKIESECRET", "Authorization": "Bearer AUTHSECRET"})
    host.wait_event("completed", view["download_id"])
    host.send({"id": 3, "type": "download", "url": "http://127.0.0.1:1/nothing-listens"})
    host.reply(3)
    host.close()
    paxel_env.stop_service()
    private = [paxel_env.root / "data" / "paxel", paxel_env.state_dir, paxel_env.paxel_runtime]
    seen = []
    for top in private:
        for path in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            seen.append(path.name)
            if path.is_dir():
                assert mode == 0o700, f"{path} is {oct(mode)}"
            else:
                assert mode == 0o600, f"{path} is {oct(mode)}"
    assert {"paxel.sqlite3", "service.log", "host.log", "secret"} <= set(seen), seen
    snoop = as_nobody(f"""
import os, sys
leaks = []
for top in {[str(p) for p in private]!r}:
    for where, dirs, files in os.walk(top):
        for name in files:
            try:
                with open(os.path.join(where, name), 'rb') as f:
                    leaks.append((name, f.read(64)))
            except OSError:
                pass
    try:
        os.listdir(top)
        leaks.append((top, 'listed'))
    except OSError:
        pass
print(leaks)
""")
    assert snoop.returncode == 0, snoop.stderr
    assert snoop.stdout.strip() == "[]", snoop.stdout
    for log_file in paxel_env.state_dir.glob("*.log*"):
        text = log_file.read_text(errors="replace")
        for secret in ("QUERYSECRET", "COOKIESECRET", "AUTHSECRET"):
            assert secret not in text, f"{secret} in {log_file.name}"


def test_another_user_cannot_use_the_socket_even_when_it_can_reach_it(paxel_env: PaxelEnv) -> None:
    """Even with the runtime folders opened up by a careless admin, the socket itself is 0600."""
    start_service(paxel_env)
    paxel_env.runtime.chmod(0o711)
    paxel_env.paxel_runtime.chmod(0o711)  # the service heals modes only at start; this is a test
    try:
        attempt = as_nobody(f"""
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect({str(paxel_env.paxel_runtime / 'paxel.sock')!r})
    print('connected')
except OSError as exc:
    print('refused', exc.errno)
""")
    finally:
        paxel_env.paxel_runtime.chmod(0o700)
        paxel_env.runtime.chmod(0o700)
    assert attempt.stdout.startswith("refused"), attempt.stdout + attempt.stderr


def _kill_env_processes(marker: bytes) -> None:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if marker in environ.read().split(b"\0"):
                    os.kill(int(entry), 9)
        except OSError:
            continue


@pytest.mark.parametrize("trap", ["foreign-folder", "symlink"])
def test_a_runtime_folder_another_user_made_in_tmp_is_refused(paxel_env: PaxelEnv, trap: str) -> None:
    """No XDG_RUNTIME_DIR and no /run/user/UID (a cron job, ssh without pam_systemd): paxel falls
    back to the shared temporary folder, where another user can make the folder first. Using it
    would let them swap the socket for theirs and receive every cookie the browser sends."""
    shared = Path(tempfile.mkdtemp(prefix="pxl-tmp-"))
    shared.chmod(0o1777)
    env = {k: v for k, v in paxel_env.env.items() if k != "XDG_RUNTIME_DIR"}
    env["TMPDIR"] = str(shared)
    uid = os.getuid()
    as_nobody(f"""
import os
shared = {str(shared)!r}
os.mkdir(os.path.join(shared, 'runtime-{uid}'), 0o777)
os.mkdir(os.path.join(shared, 'attacker'), 0o777)
os.chmod(os.path.join(shared, 'runtime-{uid}'), 0o777)
os.chmod(os.path.join(shared, 'attacker'), 0o777)
target = os.path.join(shared, 'paxel-{uid}')
if {trap!r} == 'symlink':
    os.symlink(os.path.join(shared, 'attacker'), target)
else:
    os.mkdir(target, 0o777)
    os.chmod(target, 0o777)
""")
    try:
        done = subprocess.run([sys.executable, "-m", "paxel", "list"], env=env, capture_output=True,
                              text=True, timeout=30, check=False)
        planted = [p for p in shared.rglob("*") if p.lstat().st_uid == uid]
        assert planted == [], f"wrote into another user's folder: {planted}"
        assert done.returncode != 0
        assert "Traceback" not in done.stderr, done.stderr
        assert "paxel-" in done.stderr or "runtime" in done.stderr, done.stderr
    finally:
        _kill_env_processes(f"TMPDIR={shared}".encode())
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def test_a_log_folder_another_user_made_is_refused_and_its_symlink_not_followed(paxel_env: PaxelEnv) -> None:
    """A careless setup shares XDG_STATE_HOME (1777): another user makes `paxel/` there first,
    with `service.log` and `host.log` pointing at the victim's ~/.bashrc. Logging through them
    would append to (and chmod) the victim's file: paxel refuses the folder instead."""
    open_up(paxel_env)
    shared = paxel_env.root / "shared-state"
    shared.mkdir()
    shared.chmod(0o1777)
    bashrc = paxel_env.home / ".bashrc"
    bashrc.write_text("# the user's own\n")
    bashrc.chmod(0o644)
    planted = as_nobody(f"""
import os
folder = os.path.join({str(shared)!r}, 'paxel')
os.mkdir(folder, 0o777)
os.chmod(folder, 0o777)
for name in ('service.log', 'host.log'):
    os.symlink({str(bashrc)!r}, os.path.join(folder, name))
""")
    assert planted.returncode == 0, planted.stderr
    paxel_env.env["XDG_STATE_HOME"] = str(shared)
    done = paxel_env.paxel("service", "start", check=False, timeout=60)
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "hello", "client": "test", "version": 1})
    with suppress(AssertionError, EOFError, TimeoutError):
        host.recv(15)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert bashrc.read_text() == "# the user's own\n"
    assert stat.S_IMODE(bashrc.stat().st_mode) == 0o644


def test_another_user_on_the_tcp_transport_cannot_authenticate(paxel_env: PaxelEnv) -> None:
    """Windows' transport: any local user can connect to the loopback port. `nobody` finds the
    port, reads the greeting, guesses secrets and floods: UNAUTHORIZED, hung up, the user gets in."""
    paxel_env.use_tcp()
    service = start_service(paxel_env)
    port = int(paxel_env.port_file.read_text())
    attack = as_nobody(f"""
import json, socket, struct
def frame(m):
    b = json.dumps(m).encode()
    return struct.pack('=I', len(b)) + b
def recv(s):
    h = s.recv(4, socket.MSG_WAITALL)
    if len(h) < 4:
        return None
    return json.loads(s.recv(struct.unpack('=I', h)[0], socket.MSG_WAITALL))
answers = []
for guess in ['', '0' * 64, 'a' * 256, {{'x': 1}}]:
    s = socket.create_connection(('127.0.0.1', {port}), timeout=10)
    greeting = recv(s)
    s.sendall(frame({{'id': 1, 'type': 'auth', 'secret': guess}}))
    reply = recv(s)
    answers.append((greeting['event'], reply['error']['name'] if reply else None, s.recv(1)))
    s.close()
s = socket.create_connection(('127.0.0.1', {port}), timeout=10)
recv(s)
s.sendall(frame({{'id': 1, 'type': 'list'}}))
answers.append(('list', recv(s)['error']['name'], s.recv(1)))
flood = [socket.create_connection(('127.0.0.1', {port}), timeout=10) for _ in range(200)]
print(json.dumps([[a, b, c.decode()] for a, b, c in answers]))
""")
    assert attack.returncode == 0, attack.stderr
    answers = json.loads(attack.stdout)
    assert answers[:3] == [["service", "UNAUTHORIZED", ""]] * 3
    assert answers[3][1] in ("BAD_FIELD", "UNAUTHORIZED") and answers[3][2] == ""
    assert answers[4] == ["list", "UNAUTHORIZED", ""]
    assert paxel_env.paxel("list").returncode == 0 and service.is_running()


def test_another_user_flooding_the_tcp_port_does_not_keep_the_user_out(paxel_env: PaxelEnv) -> None:
    """Windows' transport: `nobody` opens connections as fast as it can for 20 s (each evicts
    the oldest waiting one from the gate); the user's `paxel list` still gets in."""
    paxel_env.use_tcp()
    service = start_service(paxel_env)
    port = int(paxel_env.port_file.read_text())
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    floods = [subprocess.Popen([*as_nobody, sys.executable, "-I", "-c", f"""
import socket, time, collections
held = collections.deque()
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        held.append(socket.create_connection(('127.0.0.1', {port}), timeout=1))
    except OSError:
        pass
    while len(held) > 300:
        held.popleft().close()
"""], env={"PATH": "/usr/bin:/bin"}) for _ in range(3)]
    try:
        time.sleep(2)
        assert all(flood.poll() is None for flood in floods)
        accepted = len(service.net_connections("tcp"))  # the gate's 64, give or take
        started = time.monotonic()
        done = paxel_env.paxel("list", check=False, timeout=60)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        print(f"paxel list under the flood: {took:.2f} s ({accepted} connections held)")
        assert took < 10, f"paxel list took {took:.1f} s under the flood"
    finally:
        for flood in floods:
            flood.kill()
            flood.wait()
