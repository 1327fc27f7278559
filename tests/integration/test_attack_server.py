"""A hostile server against the engine: every reply below is one a real server (or a proxy in
front of it) can send. The promise is the same each time: the exact bytes under the final name,
or a clear PaxelError and nothing under it. Faults come from tests/support/faultserver.py.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

import paxel
from paxel.errors import ErrorCode, PaxelError
from support.faultserver import FaultServer

MiB = 1 << 20


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exact_or_clear(fs: FaultServer, url: str, out: Path, version: int = 0,
                   **options: object) -> PaxelError | None:
    """Download; a failure must be a PaxelError that is not INTERNAL and leaves no final file,
    a success must hold exactly the server's bytes and leave no helper files."""
    try:
        path = paxel.download(url, output=out, **options)
    except PaxelError as exc:
        assert exc.code != ErrorCode.INTERNAL, exc
        assert not out.exists(), "a failed download left a file under the final name"
        return exc
    assert path.read_bytes() == fs.content(url, version), "bytes differ from the server's"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name], "helper files left"
    return None


@pytest.mark.timeout(60)
def test_one_connection_trickling_a_byte_a_second_never_stalls_the_end(
        faultserver: FaultServer, tmp_path: Path) -> None:
    """One of four connections sends 1 byte/s for its whole life (its segment is under the 2 MiB
    the slow-connection watch needs): the others must take its bytes on new connections."""
    url = faultserver.url("trickle1.bin", size=4 * MiB, trickle=1, trickle_conn=2)
    began = time.monotonic()
    assert exact_or_clear(faultserver, url, tmp_path / "trickle1.bin", connections=4) is None
    assert time.monotonic() - began < 20


@pytest.mark.parametrize("fault", [{"overrun": 5000}, {"cl_extra": 5000}, {"chunked_cl": 1},
                                   {"chunked_cl": 1, "cl_extra": 300}],
                         ids=["bytes-past-content-length", "content-length-past-the-range",
                              "chunked-plus-content-length", "chunked-past-the-range"])
def test_range_replies_with_more_bytes_than_the_range(faultserver: FaultServer, tmp_path: Path,
                                                     fault: dict[str, int]) -> None:
    """Bytes after the range (announced or not) are never written, and never read as the next
    reply on a kept-alive connection."""
    url = faultserver.url("overrun.bin", size=6 * MiB, **fault)
    exact_or_clear(faultserver, url, tmp_path / "overrun.bin", connections=4)


def test_content_encoding_identity_on_ranges_is_plain_bytes(faultserver: FaultServer,
                                                            tmp_path: Path) -> None:
    url = faultserver.url("identity.bin", size=6 * MiB, encode="identity")
    assert exact_or_clear(faultserver, url, tmp_path / "identity.bin", connections=4) is None
    assert all(r.range for r in faultserver.requests("GET")), "identity made paxel drop ranges"


@pytest.mark.parametrize("every", [2, 5])
def test_gzip_on_only_some_ranges(faultserver: FaultServer, tmp_path: Path, every: int) -> None:
    url = faultserver.url("somezip.bin", size=6 * MiB, encode="gzip", encode_every=every,
                          encode_full=1)
    assert exact_or_clear(faultserver, url, tmp_path / "somezip.bin", connections=4) is None


@pytest.mark.parametrize("delta", [-1, +1, -3 * MiB])
def test_size_changes_between_the_probe_and_the_ranges(faultserver: FaultServer, tmp_path: Path,
                                                       delta: int) -> None:
    url = faultserver.url("resize.bin", size=6 * MiB, resize_after=1, resize_delta=delta)
    out = tmp_path / "resize.bin"
    try:
        path = paxel.download(url, output=out, connections=4)
    except PaxelError as exc:
        assert exc.code == ErrorCode.SERVER_MISBEHAVED and not out.exists(), exc
        return
    assert path.stat().st_size == 6 * MiB + delta, "bytes of two sizes mixed"


def test_a_probe_claiming_an_exabyte_is_a_clear_error(faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("huge.bin", size=4 * MiB, badtotal=1 << 60, badrange_times=1)
    exc = exact_or_clear(faultserver, url, tmp_path / "huge.bin", connections=4)
    assert exc is None or exc.code in (ErrorCode.DISK, ErrorCode.SERVER_MISBEHAVED), exc


@pytest.mark.parametrize("validators", [{}, {"noetag": 1}], ids=["etag", "last-modified-only"])
def test_a_server_ignoring_if_range_never_mixes_two_versions(faultserver: FaultServer, tmp_path: Path,
                                                            validators: dict[str, int]) -> None:
    """The file changes after the probe and the server answers the stale If-Range with 206s of
    the new version: the only tell is the new validator on those 206s (ETag, or Last-Modified
    where the server has no ETags)."""
    url = faultserver.url("ifrange.bin", size=4 * MiB, change_after=2, ignore_if_range=1, **validators)
    out = tmp_path / "ifrange.bin"
    try:
        path = paxel.download(url, output=out, connections=4)
    except PaxelError as exc:
        assert exc.code == ErrorCode.SERVER_MISBEHAVED and not out.exists(), exc
        return
    data = path.read_bytes()
    assert data in (faultserver.content(url, 0), faultserver.content(url, 1)), "two versions mixed"


@pytest.mark.parametrize("at", [1, 3])
def test_a_200_to_one_range_mid_way(faultserver: FaultServer, tmp_path: Path, at: int) -> None:
    """One ranged GET in the middle is answered 200 with the whole body (a cache in front of the
    server that does not do ranges for this one): never its first bytes written at the offset."""
    url = faultserver.url("midway200.bin", size=6 * MiB, full_at=at)
    assert exact_or_clear(faultserver, url, tmp_path / "midway200.bin", connections=4) is None


def test_a_wrong_digest_never_replaces_a_file_named_like_the_kept_bytes(
        faultserver: FaultServer, tmp_path: Path) -> None:
    url = faultserver.url("wrongsum.bin", size=3 * MiB, digest="wrong")
    mine = tmp_path / "wrongsum.bin.checksum-mismatch"
    mine.write_bytes(b"the user's")
    with pytest.raises(PaxelError) as caught:
        paxel.download(url, folder=tmp_path)
    assert caught.value.code == ErrorCode.CHECKSUM_MISMATCH
    assert mine.read_bytes() == b"the user's" and not (tmp_path / "wrongsum.bin").exists()
    kept = [p for p in tmp_path.iterdir() if p != mine]
    assert len(kept) == 1 and kept[0].read_bytes() == faultserver.content(url), kept
