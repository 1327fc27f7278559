"""Fixtures shared by every test layer: a real nginx, and leak checks."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

from support.faultserver import FaultServer
from support.media import make_fixtures
from support.nginx import Nginx
from support.paxel_env import PaxelEnv
from support.scheduler import Schedulers

# CI replays the same examples every run, so it cannot fail on a case no developer has seen;
# locally hypothesis explores new ones (and keeps failures in .hypothesis/).
# No per-example time limit in either: these properties check correctness, and a 200-ms limit
# fails a right answer on a machine other processes load (speed is bench/'s job).
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("local", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

# A test run started in the background by a non-interactive shell inherits SIGINT ignored, and
# an ignored signal stays ignored across exec: every paxel a test starts would shrug off Ctrl-C
# (seen: the Ctrl-C tests' downloads ran to the end). A handler is reset to the default on exec.
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def nginx() -> Iterator[Nginx]:
    server = Nginx(rate="8m")
    yield server
    server.stop()


@pytest.fixture
def faultserver() -> Iterator[FaultServer]:
    """paxel's misbehaving HTTP server on 127.0.0.1 (+127.0.0.2 as another host); per test."""
    server = FaultServer()
    yield server
    server.stop()


@pytest.fixture
def paxel_env() -> Iterator[PaxelEnv]:
    """An isolated paxel (HOME, XDG dirs, service); stops its services afterwards."""
    env = PaxelEnv()
    yield env
    env.cleanup()


@pytest.fixture(scope="session")
def media_root() -> Iterator[Path]:
    """The ffmpeg-made media fixtures (support/media.py), made once per session, outside
    pytest's 0700 tmp (nginx's workers run as nobody)."""
    root = Path(tempfile.mkdtemp(prefix="paxel-media-"))
    try:
        make_fixtures(root / "www")
        root.chmod(0o755)
        yield root / "www"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def media(media_root: Path) -> Iterator[Nginx]:
    """nginx serving the media fixtures (8 MiB/s per connection under /capped/)."""
    server = Nginx(rate="8m", root=media_root)
    yield server
    server.stop()


@pytest.fixture
def make_scheduler(tmp_path: Path) -> Iterator[Schedulers]:
    """Started schedulers over `tmp_path` (support/scheduler.py), stopped after the test."""
    made = Schedulers(tmp_path)
    yield made
    made.stop()
