"""Where a media job's file goes when no `-o` was given: the name asked for (the popup sends
the page's title) or the playlist's (percent-decoded, as a plain download's), made safe, never
hidden (no leading dot) and free in the folder.

A name is free when no file has it, or when its work folder (`NAME.paxel-media`) is this
stream's own (a rerun resumes it). A work folder whose state names another stream is taken, so
a second stream with the same title never reuses (and deletes) the first one's segments; so is a
name whose work folder's place holds a file (the user's), and a name in `busy` (locked a moment
ago by a job that has written no state yet: the caller retries with the next name). Reads at
most one small state file per candidate name.
"""

from __future__ import annotations

import json
from pathlib import Path

from paxel import filenames
from paxel.engine import DownloadOptions

MEDIA_EXTENSIONS = ("mp4", "ts", "m3u8", "m3u", "mpd", "mkv")


def stem(name: str) -> str:
    """A requested name without a media extension (the output's own is added): "Show.mp4" and
    "Show" give "Show"; "Ep. 1.0" stays."""
    base, dot, ext = name.rpartition(".")
    return base if dot and base and ext.lower() in MEDIA_EXTENSIONS else name


def foreign(state: Path, source: str) -> bool:
    """The work folder's state belongs to another stream."""
    try:
        obj = json.loads(state.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(obj, dict) and isinstance(obj.get("source"), str) and obj["source"] != source


def output_path(options: DownloadOptions, ext: str, work_suffix: str, state_name: str,
                busy: frozenset[str] = frozenset()) -> Path:
    if options.output is not None:
        return options.output
    folder = options.folder or Path.cwd()
    if options.filename:
        wanted = stem(options.filename)
    else:   # the URL's last part without its extension (`.m3u8` alone leaves nothing)
        from_url = filenames.name_from_url(options.url) or ""
        base, dot, _ = from_url.replace("\\", "/").rsplit("/", 1)[-1].rpartition(".")
        wanted = base if dot else from_url
    # no leading dot (a hidden file the user would not find), nothing but the extension
    base = filenames.safe_filename(wanted, "").lstrip(". ") or "stream"
    name = filenames.safe_filename(base + ext, "stream" + ext)

    def taken(n: str) -> bool:
        work = folder / (n + work_suffix)
        if n in busy or foreign(work / state_name, options.url):
            return True
        if (work.exists() or work.is_symlink()) and not work.is_dir():   # a file of the user's
            return True
        return (folder / n).exists() and not work.exists()
    return folder / filenames.unique_name(name, taken)


__all__ = ["foreign", "output_path", "stem"]
