"""The folder the panel's page is loaded from: its own files plus the extension's shared ones.

The popup and the panel share one formatter (in parts) and one stylesheet (`SHARED`), each kept
as ONE source file in `extension/lib/` and never edited twice. A wheel carries copies of them in
`panel_assets/` (setup.py copies them at build time: no symlink in git, so a Windows checkout
without symlinks builds the same wheel). A checkout has no copies there: the page is then put
together in a folder of the user's state dir named by a digest of its contents (made once per
change of any file, by a rename, so two panels opening at once never see half a folder), and
the page always loads exactly what the extension loads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

PACKAGE_ASSETS = Path(__file__).resolve().parent.parent / "panel_assets"
# host/paxel/panel_assets -> the checkout's extension/lib (absent in an installed wheel)
EXTENSION_LIB = PACKAGE_ASSETS.parents[2] / "extension" / "lib"
# the extension's files the panel page loads, by name: the formatter's parts (extension/lib/format.js
# gathers the same for the extension; index.html loads them in this order), then the others
SHARED = (
    "units.js", "names.js", "advice.js", "states.js", "speedgraph.js",
    "listing.js", "rowkeys.js", "presshold.js", "servicesettings.js",
    "formfields.js", "controls.css",
)  # fmt: skip


def sources(assets: Path = PACKAGE_ASSETS, lib: Path = EXTENSION_LIB) -> dict[str, Path]:
    """Where each file of the page is: the page's own files, then the shared ones (the wheel's
    copies if it has them, else the checkout's extension/lib). Raises FileNotFoundError naming
    what is missing from both."""
    files = {p.name: p for p in sorted(assets.iterdir()) if p.is_file() and p.name not in SHARED}
    for name in SHARED:
        for candidate in (assets / name, lib / name):
            if candidate.is_file():
                files[name] = candidate
                break
        else:
            raise FileNotFoundError(f"the panel's {name} is in neither {assets} nor {lib}")
    return files


def page_dir(cache: Path, assets: Path = PACKAGE_ASSETS, lib: Path = EXTENSION_LIB) -> Path:
    """A folder holding the whole page: `assets` itself when it has everything (a wheel), else a
    folder below `cache` (the user's own state dir: the page may call the panel's API)."""
    files = sources(assets, lib)
    if all(path.parent == assets for path in files.values()):
        return assets
    contents = {name: path.read_bytes() for name, path in files.items()}
    digest = hashlib.sha256()
    for name, data in sorted(contents.items()):
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    target = cache / f"page-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".page-", dir=cache))
    for name, data in contents.items():
        (staging / name).write_bytes(data)
    try:
        os.rename(staging, target)
    except OSError:  # another panel made it first: the same bytes
        shutil.rmtree(staging, ignore_errors=True)
    for old in cache.glob("page-*"):  # earlier versions of the page
        if old != target:
            with contextlib.suppress(OSError):
                shutil.rmtree(old)
    return target


__all__ = ["EXTENSION_LIB", "PACKAGE_ASSETS", "SHARED", "page_dir", "sources"]
