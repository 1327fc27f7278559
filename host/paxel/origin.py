"""Marks of origin: tell the operating system a finished file came from the internet, as browsers do.

- Linux: the freedesktop xattrs `user.xdg.origin.url` and `user.xdg.referrer.url` (what
  Chromium and Firefox write; `getfattr -d FILE` shows them, file managers read them).
- macOS: `com.apple.quarantine` (Gatekeeper checks the file at its first open) and
  `com.apple.metadata:kMDItemWhereFroms` (a binary plist of [url, referrer]: Finder's "Where from").
- Windows: the `Zone.Identifier` alternate data stream with ZoneId=3 (Internet), ReferrerUrl and
  HostUrl (SmartScreen and Office's Protected View read it).

`marks(...)` is pure: what to write for a platform. `mark(...)` writes it through a writer chosen
by platform (the seam tests drive with the platform as a parameter) and never fails a download:
a filesystem without user xattrs (vfat, ramfs, some network mounts) or without streams costs the
mark only, logged once per call.

Credentials never go into a mark: URLs pass through `paxel.redact` (userinfo dropped, query and
fragment values masked), since the marks outlive the download and travel with copies of the file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import plistlib
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paxel.redact import MASK, redact

log = logging.getLogger(__name__)

Writer = Callable[[Path, str, bytes], None]  # (file, attribute or stream name, value)
ZONE_STREAM = "Zone.Identifier"
QUARANTINE_AGENT = "paxel"


@dataclass(frozen=True)
class Mark:
    name: str     # an xattr name, or the stream name on Windows
    value: bytes


def clean_url(url: str | None) -> str | None:
    """`url` fit for a mark: redacted as in logs (query and fragment values masked), and the
    userinfo dropped rather than masked (a mark is read by people and programs, not for debugging)."""
    if not url:
        return None
    cleaned = redact(url)
    scheme, sep, rest = cleaned.partition("://")
    if sep and rest.startswith(MASK + "@"):
        cleaned = f"{scheme}://{rest[len(MASK) + 1:]}"
    return cleaned


def marks(platform: str, url: str, referrer: str | None = None, now: float | None = None,
          ident: str | None = None) -> list[Mark]:
    """What marks a file from `url` (found on `referrer`) on `platform` (`sys.platform` values)."""
    source, page = clean_url(url), clean_url(referrer)
    assert source is not None
    if platform.startswith("linux") or platform.startswith("freebsd"):
        out = [Mark("user.xdg.origin.url", source.encode())]
        if page:
            out.append(Mark("user.xdg.referrer.url", page.encode()))
        return out
    if platform == "darwin":
        when = int(time.time() if now is None else now)
        # flags;hex seconds;agent;event id: 0081 = downloaded, not yet opened (as Safari writes it)
        quarantine = f"0081;{when:08x};{QUARANTINE_AGENT};{ident or str(uuid.uuid4()).upper()}"
        where = [source, *([page] if page else [])]
        return [Mark("com.apple.quarantine", quarantine.encode()),
                Mark("com.apple.metadata:kMDItemWhereFroms", plistlib.dumps(where, fmt=plistlib.FMT_BINARY))]
    if platform == "win32":
        lines = ["[ZoneTransfer]", "ZoneId=3", *([f"ReferrerUrl={page}"] if page else []),
                 f"HostUrl={source}"]
        return [Mark(ZONE_STREAM, ("\r\n".join(lines) + "\r\n").encode())]
    return []


def set_xattr(path: Path, name: str, value: bytes) -> None:
    os.setxattr(path, name, value, follow_symlinks=False)  # type: ignore[attr-defined,unused-ignore]  # Linux only


def set_xattr_darwin(path: Path, name: str, value: bytes) -> None:
    """macOS's setxattr(2) (Python's os has no xattr calls there): XATTR_NOFOLLOW = 1."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setxattr(os.fsencode(path), name.encode(), value, len(value), 0, 1) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(path))


def write_stream(path: Path, name: str, value: bytes) -> None:
    """An NTFS alternate data stream `path:name` (on other filesystems Windows refuses it)."""
    with open(f"{path}:{name}", "wb") as stream:
        stream.write(value)


def writer_for(platform: str) -> Writer | None:
    if platform == "darwin":
        return set_xattr_darwin
    if platform == "win32":
        return write_stream
    if platform.startswith("linux") or platform.startswith("freebsd"):
        return set_xattr
    return None


def mark(path: Path, url: str, referrer: str | None = None, platform: str = sys.platform,
         writer: Writer | None = None) -> bool:
    """Write the marks for `path`; True when all were written. Never raises for the filesystem's
    sake: a download is complete whether or not its file can carry a mark."""
    write = writer or writer_for(platform)
    if write is None:
        return False
    for item in marks(platform, url, referrer):
        try:
            write(path, item.name, item.value)
        except OSError as exc:
            log.info("%s: no mark of origin (%s): %s", path, item.name, exc.strerror or exc)
            return False
    return True


__all__ = ["Mark", "clean_url", "mark", "marks", "writer_for"]
