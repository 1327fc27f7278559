"""The final rename never replaces a file (storage.place), on a real folder, with the platform
and the file system's hard-link support as parameters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paxel.storage import PartFile, place

PLATFORMS = [("linux", True), ("linux", False), ("darwin", True), ("win32", True)]


@pytest.mark.parametrize(("platform", "hardlinks"), PLATFORMS)
def test_place_moves_onto_a_free_name(tmp_path: Path, platform: str, hardlinks: bool) -> None:
    src, dst = tmp_path / "x.bin.part", tmp_path / "x.bin"
    src.write_bytes(b"data")
    place(src, dst, platform, hardlinks)
    assert dst.read_bytes() == b"data" and not src.exists() and dst.stat().st_nlink == 1


@pytest.mark.parametrize(("platform", "hardlinks"), PLATFORMS)
@pytest.mark.parametrize("existing", ["file", "dangling-symlink"])
def test_place_refuses_a_taken_name(tmp_path: Path, platform: str, hardlinks: bool, existing: str) -> None:
    src, dst = tmp_path / "x.bin.part", tmp_path / "x.bin"
    src.write_bytes(b"data")
    if existing == "file":
        dst.write_bytes(b"mine")
    else:
        dst.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        place(src, dst, platform, hardlinks)
    assert src.read_bytes() == b"data"
    if existing == "file":
        assert dst.read_bytes() == b"mine"
    else:
        assert dst.is_symlink() and not (tmp_path / "nowhere").exists()


def _open(path: Path, platform: str) -> PartFile:
    """A `.part` as the engine holds it (claim's Windows lock cannot run here: no msvcrt)."""
    return PartFile(path, os.open(path, os.O_RDWR | os.O_CREAT), True, platform)


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_a_part_moves_without_replacing(tmp_path: Path, platform: str) -> None:
    """Windows cannot rename an open file: move_to closes it first there (and the engine's
    retry under another name works on the closed file too)."""
    part = _open(tmp_path / "y.bin.part", platform)
    part.write_at(memoryview(b"new"), 0)
    (tmp_path / "y.bin").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        part.move_to(tmp_path / "y.bin")
    assert (part.fd < 0) == (platform == "win32")
    part.move_to(tmp_path / "y (1).bin")
    part.close()
    assert (tmp_path / "y.bin").read_bytes() == b"old" and (tmp_path / "y (1).bin").read_bytes() == b"new"
