"""One playable file from the fetched segments: `ffmpeg -c copy` (the system's ffmpeg, found
on PATH) reading each track through a pipe, so the segments are read once from disk and never
copied into an intermediate file; without ffmpeg, MPEG-TS segments are joined into a `.ts`.

Threads: `Muxer.start` launches ffmpeg and one feeder thread per track; a feeder asks `ready(name)`
for each piece in play order (it blocks until the fetch has it, or raises to abort) and writes
it into its pipe, so muxing runs while later segments are still being fetched. `wait()` joins
them and checks ffmpeg's status; `abort()` kills ffmpeg (used on pause, cancel and failure).
A track with discontinuities (several runs) is joined with the concat demuxer instead, which
restarts timestamps per run (`mux_runs`).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from paxel import storage
from paxel.disk import disk_error
from paxel.errors import PaxelError, ServerMisbehaved
from paxel.media.model import MediaUnsupported
from paxel.media.plan import Plan, TrackPlan

INSTALL_HINT = ("install ffmpeg (Debian/Ubuntu: apt install ffmpeg; Fedora: dnf install ffmpeg; "
                "macOS: brew install ffmpeg; Windows: winget install ffmpeg)")
CHUNK = 1 << 20

Ready = Callable[[str], Path]     # blocks until the named piece is on disk; raises to abort


def find_ffmpeg(which: Callable[[str], str | None] = shutil.which) -> str | None:
    return which("ffmpeg")


def needs_ffmpeg(tracks: Sequence[TrackPlan]) -> bool:
    """Anything but one track of MPEG-TS segments needs a muxer to become one playable file."""
    return len(tracks) != 1 or any(i is not None for i in tracks[0].inits)


CONTAINERS = {".mkv": "matroska", ".ts": "mpegts", ".m2ts": "mpegts", ".mov": "mov"}


def container_for(output: Path) -> str:
    """The container ffmpeg writes for a file of this name: the one its extension says
    (`-o clip.mkv` is Matroska), MP4 for any other name."""
    return CONTAINERS.get(output.suffix.lower(), "mp4")


def mux_command(ffmpeg: str, inputs: Sequence[str], output: Path, fmt: str = "mp4") -> list[str]:
    """`ffmpeg` reading `inputs` (pipe:N or files), copying every audio and video stream into
    one file of container `fmt` (data streams such as timed ID3 cannot go into MP4 and are
    left out)."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for spec in inputs:
        cmd += ["-i", spec]
    for n in range(len(inputs)):
        cmd += ["-map", f"{n}:v?", "-map", f"{n}:a?"]
    return [*cmd, "-c", "copy", "-f", fmt, str(output)]


def track_order(track: TrackPlan) -> list[str]:
    """The pieces whose bytes, joined, are the track: an init section each time it changes."""
    out: list[str] = []
    last_init: str | None = None
    for name, init in zip(track.names, track.inits, strict=True):
        if init is not None and init != last_init:
            out.append(init)
            last_init = init
        out.append(name)
    return out


def _copy_into(fd: int, path: Path) -> None:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]


class Muxer:
    def __init__(self, ffmpeg: str, tracks: Sequence[TrackPlan], output: Path, ready: Ready,
                 fmt: str = "mp4") -> None:
        self._ffmpeg = ffmpeg
        self._fmt = fmt
        self._tracks = tracks
        self._output = output
        self._ready = ready
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._aborted = False

    def start(self) -> None:
        pipes = [os.pipe() for _ in self._tracks]
        inputs = [f"pipe:{r}" for r, _ in pipes]
        try:
            self._proc = subprocess.Popen(mux_command(self._ffmpeg, inputs, self._output, self._fmt),
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, pass_fds=[r for r, _ in pipes])
        finally:
            for r, _ in pipes:
                os.close(r)
        for track, (_, w) in zip(self._tracks, pipes, strict=True):
            t = threading.Thread(target=self._feed, args=(track, w), name="paxel-mux-feed", daemon=True)
            t.start()
            self._threads.append(t)

    def _feed(self, track: TrackPlan, fd: int) -> None:
        try:
            for name in track_order(track):
                _copy_into(fd, self._ready(name))
        except BrokenPipeError:
            pass      # ffmpeg ended early: its status says why
        except BaseException as exc:
            self._error = self._error or exc
            self.abort()
        finally:
            os.close(fd)

    def abort(self) -> None:
        self._aborted = True
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()

    def wait(self) -> None:
        for t in self._threads:
            t.join()
        assert self._proc is not None
        _, stderr = self._proc.communicate()
        if self._error is not None:
            raise self._error
        if self._aborted:
            raise PaxelError("mux aborted")
        check(self._proc.returncode, stderr, self._output)


# ffmpeg 5.1 exits 0 after these (a full disk at the trailer left a third of an MP4, "saved")
_WRITE_FAILED = ("Error writing trailer", "Error closing file", "No space left on device",
                 "Disk quota exceeded")


# ...and after this on an input it could not read at all (an MP4 without a stream, "saved")
_READ_FAILED = "Invalid data found when processing input"


def check(status: int, stderr: bytes, output: Path) -> None:
    """Raise unless ffmpeg made `output` whole: its status, and its own words on a failed write
    or an unreadable input."""
    if status != 0 or any(w.encode() in stderr for w in (*_WRITE_FAILED, _READ_FAILED)):
        raise mux_failed(status, stderr, output)


def mux_failed(status: int, stderr: bytes, output: Path) -> PaxelError:
    """ffmpeg's failure in words: a full disk is the disk's (the segments stay for a rerun),
    anything else the stream's."""
    text = stderr.decode(errors="replace")
    for code, words in ((errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "Disk quota exceeded")):
        if words in text:
            return disk_error("write", output, OSError(code, words))
    tail = text.strip().splitlines()[-3:]
    return ServerMisbehaved(f"ffmpeg could not make an MP4 of the stream (status {status}): "
                            f"{' / '.join(tail)}")


def join(paths: Sequence[Path], output: Path) -> None:
    """Byte-join pieces into `output` (MPEG-TS is made to be joined this way)."""
    try:
        with output.open("wb") as out:
            for p in paths:
                with p.open("rb") as f:
                    shutil.copyfileobj(f, out, CHUNK)
    except OSError as exc:
        storage.remove_quietly(output)
        raise disk_error("write", output, exc) from None


def pipes_work(platform: str) -> bool:
    """ffmpeg reads extra pipes as `pipe:N` inherited through `pass_fds`, which is POSIX-only."""
    return platform != "win32"


def _run(cmd: list[str], output: Path) -> None:
    """One ffmpeg run to its end, writing `output`; its failure told as check() tells it."""
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    check(done.returncode, done.stderr, output)


def mux_files(ffmpeg: str, tracks: Sequence[Sequence[Path]], work: Path, output: Path,
              fmt: str = "mp4") -> None:
    """Without pipes (Windows): each track joined into one file, then one `ffmpeg -c copy` over
    them (a copy of the stream more on disk; only when the overlapping mux cannot run)."""
    inputs = []
    for n, pieces in enumerate(tracks):
        path = work / f"track{n}"
        join(pieces, path)
        inputs.append(str(path))
    _run(mux_command(ffmpeg, inputs, output, fmt), output)


def mux_runs(ffmpeg: str, runs: Sequence[Sequence[Path]], work: Path, output: Path,
             mixed: bool = False, fmt: str = "mp4") -> None:
    """A track with discontinuities: each run joined into one file, then ffmpeg's concat demuxer
    over the runs (each run's timestamps start again; a byte-joined whole would jump).
    `mixed`: the runs are not all of one container (MPEG-TS and fMP4): the concat demuxer takes
    the first run's stream parameters for all (ADTS audio in TS, raw AAC in MP4) and fails, so
    each run is made an MP4 of its own first (one copy more of the stream on disk)."""
    listing = work / "runs.txt"
    lines = []
    for n, run in enumerate(runs):
        path = work / f"run{n}"
        join(run, path)
        if mixed:
            alone = work / f"run{n}.mp4"
            _run(mux_command(ffmpeg, [str(path)], alone), alone)
            storage.remove_quietly(path)
            path = alone
        lines.append(f"file '{path.name}'\n")
    try:
        listing.write_text("".join(lines))
    except OSError as exc:
        raise disk_error("write", listing, exc) from None
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
           "-i", str(listing), "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", fmt, str(output)]
    _run(cmd, output)


def part_path(work: Path) -> Path:
    """Where the file is made before it is placed at its name: inside the work folder, so a
    file of the user's named `NAME.mp4.part` beside it is never overwritten."""
    return work / "output.part"


def mux_after(plan: Plan, work: Path, ffmpeg: str | None, output: Path, platform: str) -> None:
    """The file from pieces already on disk in `work` (a live recording, discontinuities, no
    pipes, no ffmpeg), written as `part_path(work)` and placed at `output`."""
    part = part_path(work)
    fmt = container_for(output)
    if ffmpeg is None:
        join([work / n for n in track_order(plan.tracks[0])], part)
    elif len(plan.tracks) == 1 and len({s.discontinuity for s in plan.tracks[0].segments}) > 1:
        track = plan.tracks[0]
        runs: dict[int, list[Path]] = {}
        last_init: dict[int, str] = {}
        for name, seg, init in zip(track.names, track.segments, track.inits, strict=True):
            run = runs.setdefault(seg.discontinuity, [])
            if init is not None and last_init.get(seg.discontinuity) != init:
                run.append(work / init)
                last_init[seg.discontinuity] = init
            run.append(work / name)
        fmp4 = {seg.discontinuity in last_init for seg in track.segments}   # per run: has an init
        mux_runs(ffmpeg, list(runs.values()), work, part, mixed=len(fmp4) > 1, fmt=fmt)
    elif not pipes_work(platform):
        mux_files(ffmpeg, [[work / n for n in track_order(t)] for t in plan.tracks], work, part, fmt)
    else:
        m = Muxer(ffmpeg, plan.tracks, part, lambda name: work / name, fmt)
        m.start()
        m.wait()
    storage.place(part, output)


def no_ffmpeg() -> MediaUnsupported:
    return MediaUnsupported(f"this stream needs ffmpeg to become one playable file: {INSTALL_HINT}")
