"""Which pywebview backend the panel uses, decided from what is installed, without importing it.

The installer puts one toolkit next to pywebview (installer/install.sh says which and why):
- Linux/BSD: the system's GTK WebKit when the distribution's PyGObject and WebKit2GTK typelibs
  are visible (the venv is made from the system Python with `--system-site-packages`), else Qt
  (PyQt6 + PyQt6-WebEngine, the `panel-qt` extra). GTK is preferred: ~70 MB less for the
  window's process tree, and nothing to download.
- macOS (Cocoa WebKit through pyobjc) and Windows (Edge WebView2 through pythonnet): pywebview
  brings the toolkit itself, so pywebview chooses.

`choose()` is pure (the platform and what was found are parameters); `installed()` looks at this
interpreter: `importlib.util.find_spec` for pywebview and Qt, `gi.require_version` for the GTK
typelibs, which reads the typelib repository but loads no toolkit and needs no display.
`PYWEBVIEW_GUI` (pywebview's own override) is honoured as given.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

Gui = Literal["gtk", "qt"]  # the ones paxel asks for; elsewhere pywebview chooses (gui=None)

# The WebKit2GTK API versions pywebview's GTK backend accepts, newest first (webview/platforms/gtk.py).
WEBKIT_VERSIONS = ("4.1", "4.0")
GTK_PACKAGES = "python3-gi gir1.2-webkit2-4.1 gir1.2-gtk-3.0"
REINSTALL = "run paxel's installer again (installer/install.sh) to add it"


@dataclass(frozen=True)
class Found:
    """What this interpreter can import: pywebview's version, the WebKit2GTK version, Qt."""

    pywebview: str | None
    webkit2gtk: str | None
    qt: bool


@dataclass(frozen=True)
class Backend:
    """`gui` is what webview.start(gui=...) gets (None: pywebview's own choice); `label` names the
    toolkit for people; `ok` False means no panel can open, `detail` says why or what was found."""

    ok: bool
    gui: Gui | None
    label: str
    detail: str


def _unix_like(platform: str) -> bool:
    return not (platform == "darwin" or platform.startswith(("win", "cygwin")))


def choose(platform: str, found: Found, env: Mapping[str, str]) -> Backend:
    """The backend the panel will use on `platform` given what is installed (pure)."""
    if found.pywebview is None:
        return Backend(False, None, "none", f"pywebview is not installed; {REINSTALL}")
    forced = env.get("PYWEBVIEW_GUI", "").strip().lower()
    if forced:
        # pywebview reads the variable itself when gui is None
        return Backend(True, None, forced, f"pywebview {found.pywebview}, PYWEBVIEW_GUI={forced}")
    if platform == "darwin":
        return Backend(True, None, "Cocoa WebKit", f"pywebview {found.pywebview} with pyobjc")
    if not _unix_like(platform):
        return Backend(True, None, "Edge WebView2", f"pywebview {found.pywebview} with pythonnet")
    if found.webkit2gtk is not None:
        return Backend(True, "gtk", "GTK WebKit",
                       f"pywebview {found.pywebview}, the system's WebKit2GTK {found.webkit2gtk}")
    if found.qt:
        return Backend(True, "qt", "Qt WebEngine",
                       f"pywebview {found.pywebview}, PyQt6-WebEngine (the system's GTK WebKit is not "
                       "visible to this Python)")
    return Backend(False, None, "none",
                   f"pywebview {found.pywebview} has no toolkit here: neither the system's GTK WebKit "
                   f"(Debian: {GTK_PACKAGES}) nor PyQt6-WebEngine is importable; {REINSTALL}")


def _webkit2gtk() -> str | None:
    """The WebKit2GTK API version PyGObject offers this interpreter, or None."""
    if importlib.util.find_spec("gi") is None:
        return None
    try:
        import gi

        gi.require_version("Gtk", "3.0")
    except (ImportError, ValueError):
        return None
    for version in WEBKIT_VERSIONS:
        try:
            gi.require_version("WebKit2", version)
        except ValueError:
            continue
        return version
    return None


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that is missing or broken
        return False


def installed() -> Found:
    """What this interpreter has (see the module docstring: nothing is started or shown)."""
    try:
        pywebview: str | None = metadata.version("pywebview")
    except metadata.PackageNotFoundError:
        pywebview = None
    if pywebview is not None and not _module_exists("webview"):
        pywebview = None
    qt = _module_exists("qtpy") and _module_exists("PyQt6.QtWebEngineWidgets")
    return Found(pywebview, _webkit2gtk(), qt)


def current(platform: str, env: Mapping[str, str] | None = None) -> Backend:
    """The backend for this interpreter on `platform` (normally sys.platform)."""
    return choose(platform, installed(), os.environ if env is None else env)


__all__ = ["Backend", "Found", "choose", "current", "installed"]
