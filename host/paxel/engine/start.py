"""The start of an attempt: claim the `.part`, check what may be resumed, probe, choose the name.

`start()` returns a Plan: what the server said (the probe), the resume state that may be trusted
(or None: start clean) and the probe's reply when its body feeds the first segment. On return
`Shared.path` and `Shared.part` (the claimed, locked `.part`) are set. Runs on the job thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from paxel import resume, storage
from paxel.engine.rules import raise_status, retry_or_raise
from paxel.engine.shared import AlreadyComplete, Reply, RetryableStatus, Shared, Transport
from paxel.errors import DiskError, NetworkError, UsageError
from paxel.filenames import choose_name, safe_filename, unique_name
from paxel.probe import ProbeResult, interpret, range_validator


@dataclass(frozen=True)
class Plan:
    probe: ProbeResult
    state: resume.ResumeState | None   # trusted bytes already on disk (None: start clean)
    reply: Reply | None                # the probe's reply when its body feeds the first segment
    path: Path


def start(s: Shared, main: Transport) -> Plan:
    opts = s.options
    state: resume.ResumeState | None = None
    if opts.output is not None and s.part is None:
        path = check_output(s)
        with s.lock:
            s.path = path
        s.part = claim_output(s, path)
    if s.path is not None and s.part is not None and not s.part.created:
        state = trusted(s, load_state(s, s.path))   # (a state beside a .part we just made is void)
    reply, probe = probe_request(s, main, state)
    try:
        if state is not None and not resume.same_file(state, probe, same_url=state.url == opts.url):
            s.say("the file on the server changed since the last run; starting over")
            state = None
            if probe.first != 0 or probe.status == 200:  # ask again without If-Range
                reply.close()
                reply, probe = probe_request(s, main, None)
        if s.path is None:
            path, state = choose_path(s, probe)
            with s.lock:
                s.path = path
    except BaseException:
        reply.close()
        raise
    first_reply: Reply | None = reply
    if probe.status == 416 or (state is not None and probe.first != resume.first_missing(state)):
        reply.close()  # nothing useful in this body: no bytes or bytes already on disk
        first_reply = None
    with s.lock:
        s.probe = probe
        s.state = "running"
        path = s.path
    s.emit()   # the path is known from here: say so at once
    return Plan(probe, state, first_reply, path)


def probe_request(s: Shared, transport: Transport,
                  state: resume.ResumeState | None) -> tuple[Reply, ProbeResult]:
    """The first request (with retries): its answer is the probe and feeds the first segment.

    It asks for a bounded range (the first min_split bytes, or of the first missing range when
    resuming): the 206's Content-Range still tells the size, a small file is still one request,
    and a large one does not stream past what its first segment needs."""
    if_range = first = last = None
    if state is not None:
        if_range = range_validator(state.etag, state.last_modified)
    if not s.no_ranges:
        first, end = resume.resume_bounds(state) if state is not None else (0, None)
        last = first + s.options.min_split - 1
        if end is not None:
            last = min(last, end - 1)
    # a state from an earlier URL of this download (refreshed link): its final URL is stale
    url = state.final_url if state is not None and state.url == s.options.url else s.options.url
    handed: Reply | None = None   # the caller's `take` already asked: its answer is this request's
    given = s.handed_reply()
    if given is not None:
        if if_range is None and (given.first, given.last) == (first, last) and url == s.options.url:
            handed = given.reply
        else:
            given.reply.close()    # it asked for other bytes than this start needs
    failures = 0
    while True:
        s.check_stop()
        try:
            reply, handed = handed or transport.get(url, first, last, if_range), None
            if reply.status in (200, 206, 416):
                try:
                    probe = interpret(reply.url, reply.status, reply.headers, first, last)
                except BaseException:
                    reply.close()
                    raise
                if probe.status == 200 and first:
                    probe = replace(probe, first=0)
                if probe.status == 206 and probe.size is not None and last is not None:
                    reply.body_end = min(last + 1, probe.size)
                else:
                    reply.body_end = probe.size
                return reply, probe
            reply.close()
            raise_status(reply, first_request=True)
        except (NetworkError, RetryableStatus) as exc:
            failures += 1
            retry_or_raise(s, exc, failures)


def check_output(s: Shared) -> Path:
    assert s.options.output is not None
    path = s.options.output.expanduser().absolute()
    try:   # (pathlib raises what it does not expect: a path over PATH_MAX, a loop of symlinks)
        folder, exists = path.is_dir(), path.exists()
    except OSError as exc:
        raise storage.disk_error("use", path, exc) from None
    if folder:
        raise UsageError(f"{path} is a folder; give a file name or use the folder option")
    if exists and not s.options.overwrite:
        state = stale_finish(s, path)
        if state is not None:
            raise AlreadyComplete(path, state)
        raise UsageError(f"{path} already exists; not overwriting it")
    why = None if os.path.lexists(resume.part_path(path)) else foreign_state(path)
    if why is not None:   # the pair's name is fixed by -o: refuse rather than take the user's file
        raise UsageError(f"{resume.state_path(path).name} beside {path.name} is not paxel's resume "
                         f"state ({why}); paxel never overwrites it: move it away or choose another "
                         "output name")
    make_folder(path.parent)
    s.hold_folder(path.parent)
    return path


def claim_output(s: Shared, path: Path) -> storage.PartFile:
    """Claim `-o FILE`'s `.part`. A symlink there (dangling or not) is removed, never followed
    (the link only: its target is untouched), and the download starts clean."""
    part_path = resume.part_path(path)
    at = s.at(path)
    for _ in range(3):
        try:
            part = storage.PartFile.claim(part_path, folder=at)
        except storage.NotAPart:
            if not at.is_symlink(part_path):
                raise
            s.say(f"{part_path.name} was a symlink; removed it (not its target), starting clean")
            at.remove_quietly(part_path, resume.state_path(path))
            continue
        if part is None:
            raise UsageError(f"{path} is being downloaded by another paxel right now")
        return part
    raise DiskError(f"cannot claim {part_path}: something keeps replacing it")


def trusted(s: Shared, state: resume.ResumeState | None) -> resume.ResumeState | None:
    """The part of `state` the claimed `.part` can be trusted with (resume.trusted). When it can
    be trusted with nothing, the `.part` is deleted (its name only: a file it is hard-linked to
    keeps its data) and, with -o, a fresh one is claimed in its place; in a folder s.part is None
    afterwards and the caller chooses again."""
    part, path = s.part, s.path
    if state is None or part is None or path is None:
        return None
    kept, why = resume.trusted(state, part.identity(), part.read_at, part.data_end)
    if why:
        s.say(f"{part.path.name}: {why}" + ("" if kept else "; starting clean"))
    if kept is None:
        discard_part(s)
        s.at(path).remove_quietly(resume.state_path(path))
        if s.options.output is not None:
            s.part = claim_output(s, path)
    return kept


def accepts(s: Shared, state: resume.ResumeState) -> bool:
    """A state of this download: written for its URL or for the earlier one it replaces."""
    return state.url in (s.options.url, s.options.replaces_url)


def choose_path(s: Shared, probe: ProbeResult) -> tuple[Path, resume.ResumeState | None]:
    """Safe unique name in the folder; an unfinished `.part` of this same download is resumed."""
    opts = s.options
    folder = (opts.folder or Path.cwd()).expanduser().absolute()
    make_folder(folder)
    at = s.hold_folder(folder)
    wanted = safe_filename(opts.filename) if opts.filename else choose_name(probe.filename, probe.url)
    found: dict[str, resume.ResumeState] = {}
    busy: set[str] = set()   # names whose `.part` another running download holds
    stale = stale_finish(s, folder / wanted)
    if stale is not None:
        if resume.same_file(stale, probe, same_url=stale.url == opts.url):
            raise AlreadyComplete(folder / wanted, stale)
        drop_stale(s, folder / wanted)  # its file is complete: junk

    def taken(name: str) -> bool:
        final = folder / name
        if name in busy:
            return True
        if not os.path.lexists(resume.part_path(final)):
            # (foreign_state: a user's file named like our state)
            return os.path.lexists(final) or foreign_state(final) is not None
        state = load_state(s, final)
        if state is not None and resume.same_file(state, probe, same_url=state.url == opts.url):
            # resumed even when a file took NAME meanwhile: the finish then picks `NAME (1).ext`
            # (place), instead of fetching it all again and leaving this `.part` for ever
            found[name] = state
            return False
        return os.path.lexists(final) or state is None or not accepts(s, state)

    while True:
        name = unique_name(wanted, taken)
        try:
            part = storage.PartFile.claim(resume.part_path(folder / name), folder=at)
        except storage.NotAPart as exc:  # e.g. a dangling symlink: not ours, leave it be
            s.say(f"{exc}; choosing another name")
            busy.add(name)
            continue
        resuming = name in found and part is not None and not part.created
        if part is not None and (resuming or not os.path.lexists(folder / name)):
            if part.created:
                s.part = part
                return folder / name, None
            s.part, s.path = part, folder / name
            state = trusted(s, found.get(name))
            s.path = None
            if s.part is not None:   # trusted, or no state to check
                return folder / name, state
            continue                 # discarded: the name is free again, claimed afresh
        if part is not None:  # finished by another download since we looked: not ours
            if part.created:
                part.discard()
            part.close()
        busy.add(name)


def load_state(s: Shared, path: Path) -> resume.ResumeState | None:
    try:
        data = storage.read_state(resume.state_path(path))   # never a FIFO, symlink, ...
        if not resume.part_path(path).exists():
            return None
        state = resume.decode(data)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        s.say(f"ignoring unreadable resume state of {path.name}: {exc}")
        return None
    except OSError as exc:
        raise storage.disk_error("read", resume.state_path(path), exc) from None
    return state if accepts(s, state) else None


def stale_finish(s: Shared, final: Path) -> resume.ResumeState | None:
    """The resume state of this download left beside its finished file `final` by a run killed
    between the final rename and the state's removal (`final` is the very file the state
    describes: resume.completed), or between the rename's `link` and unlinking the `.part`
    (then the `.part` is that file's second name); else None."""
    linked = storage.second_name(resume.part_path(final), final)
    if (os.path.lexists(resume.part_path(final)) and not linked) \
            or not os.path.lexists(resume.state_path(final)):
        return None
    try:
        state = resume.decode(storage.read_state(resume.state_path(final)))
    except (FileNotFoundError, ValueError):
        return None
    if not accepts(s, state):
        return None

    def judge(now: resume.PartNow, read: Callable[[int, int], bytes]) -> bool:
        # its one other name is the `.part` it was: that link is ours, not someone else's
        return resume.completed(state, replace(now, links=now.links - 1) if linked else now, read)

    return state if storage.examine(final, judge) else None


def drop_stale(s: Shared, final: Path) -> None:
    """Remove the stale state beside the finished `final`, and the `.part` too when it is only
    that file's second name (the data stays under `final`)."""
    at = s.at(final)
    if storage.second_name(resume.part_path(final), final):
        at.remove_quietly(resume.part_path(final))
    at.remove_quietly(resume.state_path(final))


def foreign_state(final: Path) -> str | None:
    """Why the file at `final`'s state name is not a paxel resume state (the user's own file,
    a symlink, another format...), or None when there is none or it is one. paxel never
    overwrites or deletes such a file: the download takes another name instead."""
    try:
        resume.decode(storage.read_state(resume.state_path(final)))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        return str(exc) or "not a resume state"
    return None


def discard_part(s: Shared) -> None:
    """Delete our `.part` through the handle we hold (Windows cannot delete an open file)."""
    part, s.part = s.part, None
    if part is not None:
        part.discard()
    elif s.path is not None:
        s.at(s.path).remove_quietly(resume.part_path(s.path))


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage.disk_error("create folder", folder, exc) from None
    storage.check_writable(folder)
