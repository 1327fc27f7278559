"""The final rename never replaces a file (storage.place), on a real folder, with the platform
and the file system's hard-link support as parameters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paxel.folder import Folder
from paxel.storage import PartFile, place, write_atomic

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


@pytest.mark.parametrize("swap", ["none", "symlink", "moved-over", "hard-linked", "removed"])
@pytest.mark.parametrize("replace", [False, True])
def test_what_moves_is_the_open_file_not_its_name(tmp_path: Path, swap: str, replace: bool) -> None:
    """The `.part` name may hold something else by the end (a symlink to a file elsewhere,
    another file moved over it) or our file may be linked elsewhere too: the final name gets
    exactly the bytes written through the handle, in a file of its own; nothing else changes."""
    part_path, final = tmp_path / "z.bin.part", tmp_path / "z.bin"
    part = _open(part_path, "linux")
    part.write_at(memoryview(b"ours" * 1000), 0)
    other = tmp_path / "other.bin"
    other.write_bytes(b"not ours")
    if swap == "symlink":
        part_path.unlink()
        part_path.symlink_to(other)
    elif swap == "moved-over":
        os.replace(other, part_path)
    elif swap == "hard-linked":
        os.link(part_path, tmp_path / "linked.bin")
    elif swap == "removed":
        part_path.unlink()
    if replace:
        final.write_bytes(b"old")
    part.move_to(final, replace=replace)
    part.close()
    assert final.read_bytes() == b"ours" * 1000 and not final.is_symlink()
    assert final.stat().st_nlink == 1
    if swap == "symlink":
        assert part_path.is_symlink() and other.read_bytes() == b"not ours"
    elif swap == "moved-over":
        assert part_path.read_bytes() == b"not ours"
    else:
        assert not os.path.lexists(part_path)
    assert sorted(p.name for p in tmp_path.iterdir() if "paxel" in p.name) == []


def test_a_copied_part_never_replaces_a_taken_name(tmp_path: Path) -> None:
    """The copy (our file lost its name) goes to a temporary file first and then takes the name
    like any `.part`: a taken name is refused, no temporary file stays, another name works."""
    part_path = tmp_path / "w.bin.part"
    part = _open(part_path, "linux")
    part.write_at(memoryview(b"ours"), 0)
    part_path.unlink()
    (tmp_path / "w.bin").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        part.move_to(tmp_path / "w.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.bin"]
    part.move_to(tmp_path / "w (1).bin")
    part.close()
    assert (tmp_path / "w.bin").read_bytes() == b"mine" and (tmp_path / "w (1).bin").read_bytes() == b"ours"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w (1).bin", "w.bin"]


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_a_held_folder_keeps_its_files_when_its_path_is_swapped(tmp_path: Path, platform: str) -> None:
    """paxel.folder: POSIX resolves names against the folder it opened; Windows (no dir_fd) by name."""
    (tmp_path / "dl").mkdir()
    (tmp_path / "elsewhere").mkdir()
    held = Folder.hold(tmp_path / "dl", platform)
    try:
        part = PartFile.claim(tmp_path / "dl" / "z.bin.part", folder=held)
        assert part is not None
        part.write_at(memoryview(b"bytes"), 0)
        os.rename(tmp_path / "dl", tmp_path / "dl.old")
        (tmp_path / "dl").symlink_to(tmp_path / "elsewhere")
        write_atomic(tmp_path / "dl" / "z.bin.part.paxel", b"{}", held)
        part.move_to(tmp_path / "dl" / "z.bin")
        part.close()
    finally:
        held.close()
    inside = sorted(p.name for p in (tmp_path / "dl.old").iterdir())
    outside = sorted(p.name for p in (tmp_path / "elsewhere").iterdir())
    if platform == "win32":
        assert (held.fd, inside) == (None, ["z.bin.part"]) and outside == ["z.bin", "z.bin.part.paxel"]
    else:
        assert (inside, outside) == (["z.bin", "z.bin.part.paxel"], [])
