"""`paxel service run|start|status|stop`: the per-user service's life cycle."""

from __future__ import annotations

import sys
import time

from paxel.client import ServiceClient
from paxel.commands.argparsing import Parser
from paxel.errors import ErrorCode, PaxelError
from paxel.service import ipc

NOT_RUNNING = 3  # like `systemctl status` for a stopped unit


def main(command: str, argv: list[str]) -> int:
    parser = Parser(prog="paxel service", description="the per-user paxel service")
    parser.add_argument("action", choices=("run", "start", "status", "stop"),
                        help="run: in the foreground; start: detached; status; stop")
    args = parser.parse_args(argv)
    if args.action == "run":
        from paxel.service.server import run

        return run()
    try:
        if args.action == "start":
            client = ServiceClient.connect("cli", start=True)
            print(f"paxel service running (pid {client.hello['service_pid']})")
            client.close()
            return 0
        try:
            client = ServiceClient.connect("cli", start=False)
        except PaxelError as exc:
            if exc.code != ErrorCode.SERVICE_UNAVAILABLE:
                raise
            print("paxel service is not running")
            return NOT_RUNNING if args.action == "status" else 0
        pid = int(client.hello["service_pid"])
        if args.action == "status":
            downloads = client.request("list")["downloads"]
            active = sum(1 for d in downloads if d["state"] in ("queued", "running"))
            print(f"paxel service running (pid {pid}): {active} active, {len(downloads)} in history")
            client.close()
            return 0
        client.request("shutdown")
        client.close()
        return _wait_gone(pid)
    except PaxelError as exc:
        sys.stderr.write(f"paxel service: {exc.message}\n")
        return exc.exit_status


def _wait_gone(pid: int, timeout: float = 15.0) -> int:
    """Wait for the service to finish shutting down: it removes its pid file as its last act.

    (A pid check alone would wait forever on a zombie whose parent has not reaped it yet.)
    """
    pid_file = ipc.pid_path()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            current = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            current = None
        if current != pid:
            print("paxel service stopped")
            return 0
        time.sleep(0.05)
    sys.stderr.write(f"paxel service: pid {pid} is still running after {timeout:.0f} s\n")
    return 1
