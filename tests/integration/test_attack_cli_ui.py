"""The CLI as a strange server would attack it: text that reaches the user's terminal.

A terminal acts on what it is sent: ESC ] 0 ; ... BEL retitles the window, ESC [ 2 J clears the
screen, and longer sequences can do worse. Whatever a server chose (a redirect's Location, a
name) must reach the terminal as visible text, never as raw control characters.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.faultserver import FaultServer
from support.paxel_env import PaxelEnv
from support.rawserver import raw_server

PAXEL = [sys.executable, "-m", "paxel.cli"]
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x9b31m"   # retitle, clear the screen, an 8-bit CSI


@pytest.mark.timeout(60)
def test_a_redirect_to_a_location_with_escape_sequences_never_reaches_the_terminal_raw(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("start.bin", location=f"/{HOSTILE}x.bin?status=404&status_times=99")
    run = subprocess.run([*PAXEL, url, "-o", str(tmp_path / "x.bin")], capture_output=True,
                         timeout=30, check=False)  # fmt: skip
    assert run.returncode != 0
    text = run.stderr.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert not any(c in text for c in "\x1b\x07\x9b"), repr(text)
    assert "start.bin" in text, text   # still says which link went wrong


@pytest.mark.timeout(60)
def test_a_link_with_control_characters_is_refused_before_anything_is_asked(
        paxel_env: PaxelEnv, faultserver: FaultServer, tmp_path: Path) -> None:
    """Typed or pasted from a hostile page: no URL holds a raw control character (a browser
    sends them percent-encoded). `paxel URL` and the service's `download` refuse it, and the
    refusal shows the characters escaped."""
    url = faultserver.url(f"{HOSTILE}y.bin")
    direct = subprocess.run([*PAXEL, url, "-o", str(tmp_path / "y.bin")], capture_output=True,
                            timeout=30, check=False)  # fmt: skip
    queued = paxel_env.paxel("add", url, check=False)
    for run in (direct, queued):
        text = run.stderr if isinstance(run.stderr, str) else run.stderr.decode("utf-8", "replace")
        assert run.returncode != 0, text
        assert not any(c in text for c in "\x1b\x07\x9b"), repr(text)
        assert "Traceback" not in text, text
    assert faultserver.requests() == []


@pytest.fixture
def babbler() -> Iterator[str]:
    """A server that answers every request with a status line of escape sequences, not HTTP."""
    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(f"{HOSTILE} garbage\r\n\r\n".encode("latin-1"))

    with raw_server(answer) as port:
        yield f"http://127.0.0.1:{port}/file.bin"


@pytest.mark.timeout(90)
def test_a_status_line_of_escape_sequences_never_reaches_the_terminal_raw(
        babbler: str, tmp_path: Path) -> None:
    """http.client's BadStatusLine carries the server's line as it came: the network error's
    reason ("cannot reach URL: LINE") printed it raw, in every retry warning and the last line."""
    env = {**os.environ, "PAXEL_RETRY_BASE_S": "0.05"}  # 6 tries, backoffs of 0.05-0.8 s (not 0.5-8)
    run = subprocess.run([*PAXEL, babbler, "-o", str(tmp_path / "file.bin")], capture_output=True,
                         timeout=80, env=env, check=False)  # fmt: skip
    text = run.stderr.decode("utf-8", "replace")
    assert run.returncode != 0, text
    assert "Traceback" not in text, text
    assert not any(c in text for c in "\x1b\x07\x9b"), repr(text)
    assert "cannot reach" in text and "garbage" in text, text
    assert text.count("retrying in") == 5 and "gave up after 6 tries" in text, text  # all checked above


@pytest.mark.timeout(60)
def test_a_name_the_locale_cannot_spell_is_saved_under_one_it_can(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """An ASCII locale without Python's UTF-8 coercion (PYTHONCOERCECLOCALE=0, LC_ALL=C): the
    file system takes only ASCII names. A server naming its file `日本.bin` made paxel try 10000
    numbered names, each refused, and fail with "it and (1) to (9999) are all taken"."""
    url = faultserver.url("n.bin", size=4096, cd="attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.bin")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    run = subprocess.run([*PAXEL, url], capture_output=True, timeout=50, cwd=tmp_path, env=env, check=False)
    text = run.stderr.decode("ascii", "replace")
    assert run.returncode == 0, text
    assert [p.name for p in tmp_path.iterdir()] == ["__.bin"], text
    assert "saved __.bin" in text, text


@pytest.mark.timeout(60)
def test_a_name_a_page_chose_is_made_safe_before_anyone_shows_it(
        paxel_env: PaxelEnv, faultserver: FaultServer) -> None:
    """A request's `filename` comes from the page (a media find is named after the tab's title,
    a context-menu link after its decoded path): it was kept and shown as sent until the engine
    named the file, so a download failing first showed `ESC ] 0 ; …` raw in `paxel list` and a
    right-to-left override ("evil‮gpj.exe" reads "evilexe.jpg") in the popup and the panel."""
    host = paxel_env.host("chrome")
    host.hello()
    hostile = f"{HOSTILE}evil\u202egpj.exe"
    view = host.add(2, url=faultserver.url("named.bin", status=404, status_times=99), filename=hostile)
    assert view["filename"] == "]0;PWNED[2J31mevilgpj.exe", view["filename"]
    junk_url = faultserver.url("junk.bin", status=404, status_times=99)
    only_junk = host.add(3, url=junk_url, filename="\x1b\u202e")
    assert only_junk["filename"] == "", only_junk   # nothing usable: the server or the URL names it
    host.wait_event("failed", view["download_id"])
    listed = paxel_env.paxel("list").stdout
    assert not any(c in listed for c in "\x1b\x07\x9b\u202e"), repr(listed)
    assert "evilgpj.exe" in listed, listed


@pytest.mark.timeout(90)
def test_a_command_never_echoes_its_own_argument_raw_to_the_terminal(paxel_env: PaxelEnv) -> None:
    """`paxel pause $'\\e]0;X\\a'`: the service answers "no download ID" with the id as typed,
    and the CLI printed that answer raw (a pasted id can retitle the window or clear it)."""
    paxel_env.paxel("queue")   # starts the service
    runs = [paxel_env.paxel(*words, check=False) for words in (
        ("pause", HOSTILE), ("resume", HOSTILE), ("cancel", HOSTILE), ("remove", HOSTILE),
        ("retry", HOSTILE), ("limit", HOSTILE, "2M"), ("queue", "assign", HOSTILE, "main"),
        ("queue", "move", HOSTILE, "up"), ("queue", "start", HOSTILE),
        # argparse repeats a word it did not expect ("unrecognized arguments: WORD")
        ("pause", "d-1", HOSTILE), ("add", "http://127.0.0.1:9/x", HOSTILE), ("limit", "--global", HOSTILE),
        ("http://127.0.0.1:9/x", HOSTILE), ("service", HOSTILE), ("doctor", HOSTILE))]
    for run in runs:
        text = run.stdout + run.stderr
        assert run.returncode != 0, text
        assert "Traceback" not in text, text
        assert not any(c in text for c in "\x1b\x07\x9b"), repr(text)
        assert "PWNED" in text, text   # still says which id it did not find


@pytest.mark.timeout(30)
def test_a_negative_limit_says_what_a_limit_is() -> None:
    """`paxel limit --global -2M`: argparse took -2M for an option and said "the following
    arguments are required: ID SPEED" (or "unrecognized arguments: -2M" with an id)."""
    for words in (["--global", "-2M"], ["abc123", "-2M"], ["--global", "-2"], ["abc", "--", "-1.5G"]):
        run = subprocess.run([*PAXEL[:-1], "paxel", "limit", *words], capture_output=True,
                             text=True, timeout=20, check=False)  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert "a limit must be a positive speed like 2M, or off for none" in run.stderr, (words, run.stderr)
