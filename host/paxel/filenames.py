"""Choosing a safe, unique file name (pure: the existence test is passed in).

A name from a server or a URL is hostile input: it may carry path separators, `..`, control or
bidi characters, Windows device names, or be absurdly long. The result is always a single,
non-empty path component that is valid on Linux, macOS and Windows.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from paxel.errors import DiskError

FALLBACK = "download"
MAX_BYTES = 200  # below every common filesystem's 255-byte limit, leaving room for " (99).part"

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                     *(f"COM{i}" for i in "123456789¹²³"), *(f"LPT{i}" for i in "123456789¹²³")}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
# paxel's own files beside a download NAME are NAME.part, NAME.part.paxel and NAME.part.paxel.tmp:
# a server naming its file like one of them would have it taken later for another download's
# helper file (resumed, replaced, deleted). Such a name keeps its text with the last dot as "_".
_HELPER_ENDINGS = (".part.paxel.tmp", ".part.paxel", ".part")


class NoFreeName(DiskError):
    """Every numbered variant of a name is taken in the folder."""


def _drop_char(ch: str) -> bool:
    # Cc: control (incl. NUL), Cf: format (RTL override U+202E, zero-width), Cs/Co/Cn: unusable
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _spellable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def safe_filename(raw: str | None, fallback: str = FALLBACK, encoding: str | None = None) -> str:
    """One safe path component from `raw`, or `fallback` when nothing usable remains.
    `encoding`: the file system's (default: this process's); a character it cannot spell (an
    ASCII locale without UTF-8) becomes "_", or no name would ever be created."""
    if not raw:
        return fallback
    encoding = codecs.lookup(encoding or sys.getfilesystemencoding()).name
    name = unicodedata.normalize("NFC", re.sub(r"[\t\n\r\v\f]", " ", raw.replace("\\", "/")))
    name = name.rsplit("/", 1)[-1]  # basename only: no directories, no absolute paths
    name = "".join("_" if _FORBIDDEN.match(ch) or (encoding != "utf-8" and not _spellable(ch, encoding))
                   else ch for ch in name if not _drop_char(ch))
    name = re.sub(r"\s+", " ", name).strip().rstrip(". ")
    name = name.lstrip(".") if set(name) <= {"."} else name
    if not name:
        return fallback
    if name.partition(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    name = _cap(name) or fallback
    if name.lower().endswith(_HELPER_ENDINGS):
        stem, _, ext = name.rpartition(".")
        name = f"{stem}_{ext}"
    return name


def _cap(name: str) -> str:
    """Shorten to MAX_BYTES of UTF-8, keeping a short extension."""
    if len(name.encode()) <= MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode()) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = MAX_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode(errors="ignore").rstrip(". ")
    return stem + suffix


def name_from_url(url: str) -> str | None:
    """The last non-empty path segment, percent-decoded (UTF-8, falling back to Latin-1)."""
    path = urlsplit(url).path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if not last:
        return None
    try:
        return unquote(last, errors="strict")
    except UnicodeDecodeError:
        return unquote(last, encoding="latin-1")


def choose_name(disposition_name: str | None, url: str, fallback: str = FALLBACK) -> str:
    """RFC 6266 name if any, else the URL's path, else the fallback; always safe."""
    for candidate in (disposition_name, name_from_url(url)):
        name = safe_filename(candidate, fallback="")
        if name:
            return name
    return fallback


def unique_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `stem (1).ext`, `stem (2).ext`, ... the first one `taken` says is free."""
    if not taken(name):
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    for i in range(1, 10000):
        candidate = f"{stem} ({i}){dot}{ext}"
        if not taken(candidate):
            return candidate
    raise NoFreeName(f"no free name like {name!r} in the folder: it and (1) to (9999) are all taken")
