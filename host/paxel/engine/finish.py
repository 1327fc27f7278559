"""The finish: every byte is on disk; fsync, verify digests, move the `.part` to its final name
without ever replacing a file, forget the resume state. Returns the Result."""

from __future__ import annotations

import hashlib
from pathlib import Path

from paxel import resume, storage
from paxel.engine.options import Result
from paxel.engine.shared import Shared
from paxel.engine.start import drop_stale
from paxel.errors import ChecksumMismatch
from paxel.filenames import unique_name
from paxel.probe import ProbeResult


def finish(s: Shared, part: storage.PartFile, probe: ProbeResult,
           expected: tuple[str, str] | None) -> Result:
    wanted = s.path
    assert wanted is not None
    part.sync()
    sha256 = verify(s, part, probe, expected, wanted)
    # still locked (POSIX): nobody takes the name for a leftover meanwhile
    path = place(part, wanted, replace=s.options.overwrite and s.options.output is not None)
    part.folder.remove_quietly(resume.state_path(wanted))
    if s.state_saved:  # the data was fsync'd above; this makes the rename durable too
        part.folder.sync()
    now = part.folder.where()   # the folder moved meanwhile: the file is where it went
    if now != path.parent:
        path, wanted = now / path.name, now / wanted.name
    size = probe.size if probe.size is not None else s.streamed
    if path != wanted:
        s.say(f"{wanted.name} was taken meanwhile by another file; saved as {path.name}")
    with s.lock:
        s.path = path
        s.state = "completed"
    return Result(path, size, False, sha256, wanted if path != wanted else None)


def already_complete(s: Shared, path: Path, state: resume.ResumeState,
                     expected: tuple[str, str] | None) -> Result:
    """The earlier run finished `path` and was killed before removing its resume state: check
    the user's checksum if one was given, remove the stale state, report the file as done."""
    sha256 = None
    if expected is not None:
        name, want = expected
        try:
            with path.open("rb") as f:
                got = hashlib.file_digest(f, name).hexdigest()
        except OSError as exc:
            raise storage.disk_error("read", path, exc) from None
        if got != want:
            raise ChecksumMismatch(f"{name} of {path} is {got} but expected {want}")
        sha256 = got if name == "sha256" else None
    drop_stale(s, path)
    note = (f"{path.name} was already complete (an earlier run ended between its final rename "
            "and removing its resume state); removed that state")
    s.say(note)
    with s.lock:
        s.path = path
        s.state = "completed"
    return Result(path, state.size, False, sha256, note=note)


def place(part: storage.PartFile, wanted: Path, *, replace: bool = False) -> Path:
    """Give the finished file the name `wanted`, or `wanted (1).ext`... when a file took it
    meanwhile (storage.place: never replaces anything unless `replace`, an explicit overwrite).
    A name whose `.part` exists is skipped too: another download is heading there."""
    path, folder = wanted, wanted.parent

    def taken(name: str) -> bool:
        return part.folder.lexists(folder / name) or part.folder.lexists(resume.part_path(folder / name))

    while True:
        try:
            part.move_to(path, replace=replace)
            return path
        except FileExistsError:
            path = folder / unique_name(wanted.name, taken)


def verify(s: Shared, part: storage.PartFile, probe: ProbeResult, expected: tuple[str, str] | None,
           wanted: Path) -> str | None:
    """Check the user's and the server's digests; a mismatch moves the file aside."""
    digests: dict[str, str] = dict(probe.digests)
    if expected is not None:
        digests[expected[0]] = expected[1]
    got = part.digests(digests)   # the file we wrote, whatever its name holds by now
    for name, hexdigest in digests.items():
        if got[name] != hexdigest:
            aside = place(part, wanted.with_name(wanted.name + ".checksum-mismatch"))
            part.folder.remove_quietly(resume.state_path(wanted))
            source = "expected" if expected and expected[0] == name else "the server's digest says"
            raise ChecksumMismatch(f"{name} of the download is {got[name]} but {source} {hexdigest}; "
                                   f"kept as {aside}")
    return got.get("sha256")
