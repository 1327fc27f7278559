"""The engine against paxel's misbehaving server: exact bytes, or a clear PaxelError, never a mixed file.

Each test names one fault of tests/support/faultserver.py. Whatever happens, a file under its
final name must hold exactly the bytes the server serves; failures must carry the right ErrorCode.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

import pytest

import paxel
from paxel import resume
from paxel.cookies import Cookie
from paxel.errors import ErrorCode, PaxelError
from paxel.retry import RetryPolicy
from support.faultserver import FaultServer

MIB = 1 << 20
PAXEL_CLI = str(Path(sys.executable).parent / "paxel")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def get(url: str, out: Path, **options: object) -> Path:
    """Download through the Python API with an exact output path; return the path written."""
    return paxel.download(url, output=out, **options)


def exact_or_error(fs: FaultServer, url: str, out: Path, version: int = 0,
                   **options: object) -> PaxelError | None:
    """Run a download that may legitimately fail; either way the final file is never mixed."""
    try:
        path = get(url, out, **options)
    except PaxelError as exc:
        assert not out.exists(), "a failed download left a file under the final name"
        return exc
    assert sha(path.read_bytes()) == fs.sha256(url, version)
    return None


def assert_exact(fs: FaultServer, url: str, path: Path, version: int = 0) -> None:
    data = path.read_bytes()
    assert len(data) == len(fs.content(url, version))
    assert sha(data) == fs.sha256(url, version), "bytes differ from what the server serves"
    assert not leftovers(path.parent), "a successful download left .part/state files"


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PAXEL_CLI, *args, "--quiet"], capture_output=True, text=True,
                          timeout=timeout, check=False)


# -- connections that break -------------------------------------------------------------------


def test_dropped_mid_stream_resumes_to_exact_bytes(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("drop.bin", size=4 * MIB, drop=300_000, drop_times=3)
    assert_exact(faultserver, url, get(url, tmp_path / "drop.bin", connections=4))
    gets = faultserver.requests("GET")
    assert sum(r.sent for r in gets) < 4 * MIB + 3 * 300_000 + 4 * MIB // 2, "re-fetched far too much"


def test_drop_on_every_request_still_progresses(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("alwaysdrop.bin", size=2 * MIB, drop=250_000, drop_times=1000)
    assert_exact(faultserver, url, get(url, tmp_path / "alwaysdrop.bin", connections=2))


@pytest.mark.parametrize("policy", [RetryPolicy(attempts=3, base=0.01),
                                    RetryPolicy(attempts=100, base=0.01, restarts=2)],
                         ids=["no-new-ground", "restart-cap"])
@pytest.mark.timeout(30)
def test_no_ranges_drops_at_varying_points_end_in_a_network_error(
        faultserver: FaultServer, tmp_path: Path, policy: RetryPolicy) -> None:
    """Without ranges each retry starts at byte 0: getting past the last drop is no progress
    unless it gets past the furthest byte ever reached, and restarts are bounded in all."""
    url = faultserver.url("seesaw.bin", size=2 * MIB, norange=1, drop=200_000, drop_alt=400_000,
                          drop_times=1_000_000)
    began = time.monotonic()
    with pytest.raises(PaxelError) as caught:
        get(url, tmp_path / "seesaw.bin", retry=policy)
    assert caught.value.code == ErrorCode.NETWORK, caught.value
    assert "gave up" in str(caught.value)
    assert time.monotonic() - began < 20
    # the probe, then at most two retries that reached new ground, then the policy's limit
    assert len(faultserver.requests("GET")) <= min(policy.attempts, policy.restarts) + 3
    assert not (tmp_path / "seesaw.bin").exists()


@pytest.mark.parametrize("delta", [+5000, -5000])
def test_wrong_content_length(faultserver: FaultServer, tmp_path: Path, delta: int) -> None:
    url = faultserver.url("cl.bin", size=2 * MIB, cl_delta=delta, cl_times=2)
    assert_exact(faultserver, url, get(url, tmp_path / "cl.bin", connections=4))


def test_slow_connection_gives_up_its_tail(faultserver: FaultServer, tmp_path: Path) -> None:
    """One connection at 25 kB/s must not leave a long tail: even 1 MiB of it would take 42 s."""
    url = faultserver.url("slow.bin", size=8 * MIB, trickle=25_000, trickle_times=1)
    began = time.monotonic()
    path = get(url, tmp_path / "slow.bin", connections=4)
    elapsed = time.monotonic() - began
    assert_exact(faultserver, url, path)
    timeline = [(round(r.time - began, 2), r.range, r.sent) for r in faultserver.requests("GET")]
    assert elapsed < 15, f"slow connection left a tail: {elapsed:.1f} s: {timeline}"  # 2 shared cores


# -- statuses and retries ---------------------------------------------------------------------


def test_503_then_success(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("busy.bin", size=MIB, status=503, status_times=2)
    assert_exact(faultserver, url, get(url, tmp_path / "busy.bin"))
    statuses = [r.status for r in faultserver.records]
    assert statuses[:2] == [503, 503] and statuses[-1] in (200, 206)


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_obeys_retry_after(faultserver: FaultServer, tmp_path: Path, form: str) -> None:
    # An HTTP date has whole seconds: "2 s from now" means a wait of more than 1 s.
    retry_after, least = ("1", 0.95) if form == "seconds" else (formatdate(time.time() + 2, usegmt=True), 0.9)
    url = faultserver.url("limited.bin", size=MIB, status=429, retry_after=retry_after)
    assert_exact(faultserver, url, get(url, tmp_path / "limited.bin"))
    first, second = faultserver.records[:2]
    assert first.status == 429
    waited = second.time - first.time
    assert least <= waited < 3.5, f"retried {waited:.2f} s after Retry-After: {retry_after}"


def test_persistent_503_is_a_clear_final_error(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("down.bin", status=503, status_times=1000, retry_after="0")
    exc = exact_or_error(faultserver, url, tmp_path / "down.bin")
    assert exc is not None and exc.code == ErrorCode.HTTP_STATUS
    assert "503" in str(exc)
    assert 1 < len(faultserver.records) <= 40, "gave up at once or retried without end"


@pytest.mark.parametrize("status", [404, 403, 410])
def test_4xx_on_first_request_is_final(faultserver: FaultServer, tmp_path: Path, status: int) -> None:
    url = faultserver.url("missing.bin", status=status, status_times=1000)
    exc = exact_or_error(faultserver, url, tmp_path / "missing.bin")
    assert exc is not None and exc.code == ErrorCode.HTTP_STATUS
    assert getattr(exc, "status", None) == status and str(status) in str(exc)
    # The probe is the first GET itself (no HEAD); nothing is retried after a 4xx.
    assert [r.method for r in faultserver.records] == ["GET"]
    assert leftovers(tmp_path) == []


def test_garbled_retry_after_on_a_later_request(faultserver: FaultServer, tmp_path: Path) -> None:
    """Retry-After: byte 0xB2 ("²" in Latin-1) on the connection's second request is just no hint."""
    url = faultserver.url("garbled.bin", size=3 * MIB, status=503, status_from=1, retry_after="\u00b2")
    assert_exact(faultserver, url, get(url, tmp_path / "garbled.bin", connections=1))
    assert [r.status for r in faultserver.records][:2] == [206, 503]


def test_a_crashing_worker_fails_the_download(faultserver: FaultServer, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a worker thread is an INTERNAL error, never a file with holes under the final name."""
    def broken(*args: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr("paxel.engine.connection.check_partial", broken)
    url = faultserver.url("bug.bin", size=3 * MIB)
    exc = exact_or_error(faultserver, url, tmp_path / "bug.bin", connections=1)
    assert exc is not None and exc.code == ErrorCode.INTERNAL and "injected bug" in str(exc)


# -- replies that cannot be trusted -----------------------------------------------------------


@pytest.mark.parametrize("norange", [1, 2], ids=["honest", "advertises-ranges"])
def test_200_instead_of_206_falls_back_to_one_stream(faultserver: FaultServer, tmp_path: Path,
                                                     norange: int) -> None:
    url = faultserver.url("whole.bin", size=3 * MIB, norange=norange)
    assert_exact(faultserver, url, get(url, tmp_path / "whole.bin", connections=8))
    full_bodies = [r for r in faultserver.requests("GET") if r.status == 200 and r.sent == 3 * MIB]
    assert len(full_bodies) == 1, "the whole body was fetched more than once (or never completely)"


@pytest.mark.parametrize("fault", [{"badrange": 1000}, {"badrange": -1}, {"badtotal": 7}],
                         ids=["shifted", "off-by-one", "other-total"])
@pytest.mark.parametrize("times", [1, 1_000_000], ids=["once", "always"])
def test_wrong_content_range_never_mixes(faultserver: FaultServer, tmp_path: Path,
                                         fault: dict[str, int], times: int) -> None:
    url = faultserver.url("cr.bin", size=2 * MIB, badrange_times=times, **fault)
    exc = exact_or_error(faultserver, url, tmp_path / "cr.bin", connections=4)
    if exc is not None:
        assert exc.code == ErrorCode.SERVER_MISBEHAVED, exc
    elif times == 1_000_000:
        # Success against a server that always lies is only possible without Range.
        assert any(r.range is None and r.status == 200 for r in faultserver.requests("GET"))


@pytest.mark.parametrize("fault", [{}, {"noetag": 1}], ids=["etag", "last-modified"])
def test_content_changed_mid_download_restarts_cleanly(faultserver: FaultServer, tmp_path: Path,
                                                       fault: dict[str, int]) -> None:
    url = faultserver.url("changing.bin", size=4 * MIB, change_after=2, **fault)
    out = tmp_path / "changing.bin"
    exc = exact_or_error(faultserver, url, out, version=1, connections=4)
    assert exc is None, f"a changed file should restart cleanly, got {exc!r}"
    validators = [r.headers.get("if-range") for r in faultserver.requests("GET") if r.range]
    assert any(validators), "ranged requests carry no If-Range"


def test_server_ignoring_if_range_is_caught(faultserver: FaultServer, tmp_path: Path) -> None:
    """The server hands new bytes to a stale If-Range; the changed ETag on the 206 must be noticed."""
    url = faultserver.url("sneaky.bin", size=4 * MIB, change_after=2, ignore_if_range=1)
    out = tmp_path / "sneaky.bin"
    try:
        path = get(url, out, connections=4)
    except PaxelError as exc:
        assert exc.code == ErrorCode.SERVER_MISBEHAVED and not out.exists()
        return
    assert sha(path.read_bytes()) == faultserver.sha256(url, version=1), "old and new bytes mixed"


def test_resume_after_the_file_changed_starts_over(faultserver: FaultServer, tmp_path: Path) -> None:
    """Paused (state kept), the file changes on the server, run again: the new file, never a mix."""
    url = faultserver.url("resumed.bin", size=4 * MIB, trickle=400_000, trickle_times=4)
    out = tmp_path / "resumed.bin"
    job = paxel.Download(paxel.DownloadOptions(url, output=out, connections=4),
                         on_progress=lambda p: job.pause() if p.done > 0 else None,
                         progress_interval=0.05)
    assert job.run().paused
    assert resume.state_path(out).exists() and resume.decode(resume.state_path(out).read_bytes()).done > 0
    faultserver.change(url)
    assert_exact(faultserver, url, get(url, out, connections=4), version=1)


@pytest.mark.parametrize("fault", [{"nolength": 1}, {"chunked": 1}], ids=["close-delimited", "chunked"])
def test_no_length_downloads_in_one_stream(faultserver: FaultServer, tmp_path: Path,
                                           fault: dict[str, int]) -> None:
    url = faultserver.url("nolen.bin", size=3 * MIB + 17, **fault)
    assert_exact(faultserver, url, get(url, tmp_path / "nolen.bin", connections=8))


@pytest.mark.parametrize("head", ["405", "403", "nolength", "wrongsize"])
def test_head_refused_or_lying(faultserver: FaultServer, tmp_path: Path, head: str) -> None:
    url = faultserver.url("head.bin", size=2 * MIB, head=head)
    exc = exact_or_error(faultserver, url, tmp_path / "head.bin", connections=4)
    assert exc is None, exc   # paxel never asks HEAD, so what HEAD says cannot matter
    assert all(r.method == "GET" for r in faultserver.records)


# -- headers and cookies ----------------------------------------------------------------------


def test_cookies_never_follow_a_redirect_to_another_host(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("moved.bin", size=2 * MIB, redirect="other")
    cookies = [Cookie("sid", "s3cret", "127.0.0.1"), Cookie("theirs", "ok", "127.0.0.2"),
               Cookie("deep", "no", "127.0.0.1", path="/elsewhere/")]
    headers = {"Referer": "http://127.0.0.1/page.html", "User-Agent": "PaxelTest/1.0 (fault)"}
    path = get(url, tmp_path / "moved.bin", connections=4, cookies=cookies, headers=headers)
    assert_exact(faultserver, url, path)
    primary = faultserver.requests(server="primary")
    other = faultserver.requests(server="other")
    assert primary and other, "the redirect was not followed"
    assert all(r.cookie == "sid=s3cret" for r in primary), [r.cookie for r in primary]
    assert all("s3cret" not in (r.cookie or "") for r in other), [r.cookie for r in other]
    # Its own cookie may reach the other host (as a browser would) or be dropped (stricter).
    assert all(r.cookie in (None, "theirs=ok") for r in other), [r.cookie for r in other]
    assert len(other) >= 2, "the other host got too few requests for 4 connections on 2 MiB"
    for r in faultserver.records:
        assert r.headers.get("user-agent") == headers["User-Agent"]
    assert all(r.headers.get("referer") == headers["Referer"] for r in primary)


def test_same_host_redirect_keeps_cookies(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("here.bin", size=MIB, redirect="same", redirect_status=301)
    path = get(url, tmp_path / "here.bin", cookies=[Cookie("sid", "s3cret", "127.0.0.1")])
    assert_exact(faultserver, url, path)
    assert all(r.cookie == "sid=s3cret" for r in faultserver.records)


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("disposition", "wanted"), [
    ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf; filename=\"resume.pdf\"",
     "résumé final.pdf"),
    ('attachment; filename="report.txt"', "report.txt"),
    ('attachment; filename="../../../etc/passwd"', None),
    ('attachment; filename="/abs/path/evil.sh"', None),
    ("attachment; filename*=UTF-8''%E2%80%AEgpj.exe", None),
    ('attachment; filename="CON.txt"', None),
    ('attachment; filename="trailing. . "', None),
    ('attachment; filename="a\\\\..\\\\b.bin"', None),
    ("attachment; filename=\"" + "x" * 300 + ".bin\"", None),
    ('attachment; filename="naïve café.txt"', None),  # raw UTF-8 bytes in the quoted form
    ("attachment; filename*=UTF-8''a%00b.bin", None),
    ('attachment; filename=""', None),
])
def test_content_disposition_names_are_safe(faultserver: FaultServer, tmp_path: Path,
                                            disposition: str, wanted: str | None) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    url = faultserver.url("dispo.bin", size=1024, cd=disposition)
    path = paxel.download(url, folder=folder)
    assert path.parent == folder, path
    assert_exact(faultserver, url, path)
    name = path.name
    if wanted is not None:
        assert name == wanted
    assert name and name not in (".", "..") and not name.startswith("..")
    assert not any(c in name for c in "/\\\0") and all(ord(c) >= 32 for c in name)
    assert "\u202e" not in name
    assert name.split(".")[0].strip().upper() not in WINDOWS_RESERVED
    assert not name.endswith((".", " "))
    assert len(name.encode()) <= 255
    assert [p.name for p in folder.iterdir()] == [name]


def test_existing_file_is_never_overwritten(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("report.txt", size=1000)
    (tmp_path / "report.txt").write_bytes(b"mine")
    first = paxel.download(url, folder=tmp_path)
    second = paxel.download(url, folder=tmp_path)
    assert (tmp_path / "report.txt").read_bytes() == b"mine"
    assert {first.name, second.name} == {"report (1).txt", "report (2).txt"}
    for path in (first, second):
        assert sha(path.read_bytes()) == faultserver.sha256(url)


# -- integrity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["digest", "legacy_digest"])
def test_server_digest_checked(faultserver: FaultServer, tmp_path: Path, kind: str) -> None:
    good = faultserver.url("good.bin", size=MIB, **{kind: "right"})
    assert_exact(faultserver, good, get(good, tmp_path / "good.bin", connections=4))
    md5 = hashlib.md5(faultserver.content(good)).hexdigest()   # the server's digest and the user's
    assert_exact(faultserver, good, get(good, tmp_path / "both.bin", checksum=f"md5={md5}"))
    exc = exact_or_error(faultserver, good, tmp_path / "nope.bin", checksum="md5=" + "0" * 32)
    assert exc is not None and exc.code == ErrorCode.CHECKSUM_MISMATCH and "md5" in str(exc)
    bad = faultserver.url("bad.bin", size=MIB, **{kind: "wrong"})
    exc = exact_or_error(faultserver, bad, tmp_path / "bad.bin", connections=4)
    assert exc is not None and exc.code == ErrorCode.CHECKSUM_MISMATCH


def test_user_checksum(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("sum.bin", size=MIB)
    digest = faultserver.sha256(url)
    assert_exact(faultserver, url, get(url, tmp_path / "ok.bin", checksum=f"sha-256={digest}"))
    wrong = "0" * 64
    exc = exact_or_error(faultserver, url, tmp_path / "no.bin", checksum=f"sha-256={wrong}")
    assert exc is not None and exc.code == ErrorCode.CHECKSUM_MISMATCH
    assert digest in str(exc) or wrong in str(exc), "the error should name the digests"
    md5 = hashlib.md5(faultserver.content(url)).hexdigest()
    assert_exact(faultserver, url, get(url, tmp_path / "md5.bin", checksum=f"md5={md5}"))


# -- the command line's exit codes --------------------------------------------------------------


def test_cli_exit_codes(faultserver: FaultServer, tmp_path: Path) -> None:
    ok = faultserver.url("cli.bin", size=MIB, drop=100_000)
    done = cli(ok, "-n", "4", "-o", str(tmp_path / "cli.bin"))
    assert done.returncode == 0, done.stderr
    assert_exact(faultserver, ok, tmp_path / "cli.bin")

    cases = [
        ([faultserver.url("gone.bin", status=404, status_times=99)], ErrorCode.HTTP_STATUS, "404"),
        ([faultserver.url("sum.bin", digest="wrong")], ErrorCode.CHECKSUM_MISMATCH, ""),
        ([faultserver.url("c.bin"), "-n", "0"], ErrorCode.USAGE, ""),
        ([faultserver.url("c.bin"), "-n", "33"], ErrorCode.USAGE, ""),
        ([faultserver.url("c.bin"), "--checksum", "crc99=00"], ErrorCode.USAGE, ""),
        (["ftp://127.0.0.1/x"], ErrorCode.USAGE, ""),
        ([faultserver.url("c.bin"), "--bogus-flag"], ErrorCode.USAGE, ""),
    ]
    for n, (args, code, needle) in enumerate(cases):
        out = tmp_path / f"case{n}.bin"
        done = cli(*args, "-o", str(out))
        assert done.returncode == code, (args, done.returncode, done.stderr)
        assert done.stderr.strip(), f"{args}: exit {code} without a message"
        assert needle in done.stderr
        assert not out.exists()


def test_cli_cookies_txt_and_headers_stay_on_their_host(faultserver: FaultServer, tmp_path: Path) -> None:
    jar = tmp_path / "cookies.txt"
    jar.write_text("# Netscape HTTP Cookie File\n"
                   "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts3cret\n"
                   "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\thttponly\tyes\n"
                   "127.0.0.1\tFALSE\t/\tTRUE\t0\tsecureonly\tno\n")
    url = faultserver.url("cli-moved.bin", size=MIB, redirect="other")
    out = tmp_path / "cli-moved.bin"
    done = cli(url, "-n", "2", "-o", str(out), "--cookies", str(jar),
               "--header", "Referer: http://127.0.0.1/from.html", "--header", "X-Extra: 1",
               "--header", "cookie: given=1")   # lower case, as browsers' devtools copy HTTP/2
    assert done.returncode == 0, done.stderr
    assert_exact(faultserver, url, out)
    primary, other = faultserver.requests(server="primary"), faultserver.requests(server="other")
    assert primary and other
    for r in primary:
        assert sorted((r.cookie or "").split("; ")) == ["given=1", "httponly=yes", "sid=s3cret"], r.cookie
        assert r.headers.get("referer") == "http://127.0.0.1/from.html"
    assert all(r.cookie is None for r in other), [r.cookie for r in other]
    assert all(r.headers.get("x-extra") == "1" for r in faultserver.records)
