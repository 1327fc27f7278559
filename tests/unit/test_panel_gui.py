"""Which pywebview backend the panel uses, per platform and what is installed (pure), and the real
probe of this interpreter."""

from __future__ import annotations

import sys

import pytest

from paxel.panel.backend import Found, choose, installed

NOTHING = Found(None, None, False)
GTK = Found("6.2.1", "4.1", False)
QT = Found("6.2.1", None, True)
BOTH = Found("6.2.1", "4.0", True)
BARE = Found("6.2.1", None, False)


@pytest.mark.parametrize(
    ("platform", "found", "gui", "label"),
    [
        ("linux", GTK, "gtk", "GTK WebKit"),
        ("linux", BOTH, "gtk", "GTK WebKit"),  # the system's WebKit is preferred: less memory
        ("freebsd14", QT, "qt", "Qt WebEngine"),
        ("linux", QT, "qt", "Qt WebEngine"),
        ("darwin", BARE, None, "Cocoa WebKit"),  # pywebview brings pyobjc
        ("win32", BARE, None, "Edge WebView2"),  # pywebview brings pythonnet
    ],
)
def test_the_installed_toolkit_is_chosen(platform: str, found: Found, gui: str | None, label: str) -> None:
    chosen = choose(platform, found, {})
    assert (chosen.ok, chosen.gui, chosen.label) == (True, gui, label)
    assert "6.2.1" in chosen.detail


def test_gtk_detail_names_the_webkit_version() -> None:
    assert "WebKit2GTK 4.0" in choose("linux", BOTH, {}).detail


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_without_pywebview_no_panel_and_the_fix_is_named(platform: str) -> None:
    chosen = choose(platform, NOTHING, {})
    assert not chosen.ok and "pywebview is not installed" in chosen.detail
    assert "installer/install.sh" in chosen.detail


def test_linux_without_any_toolkit_names_both_ways_out() -> None:
    chosen = choose("linux", BARE, {})
    assert not chosen.ok
    assert "gir1.2-webkit2-4.1" in chosen.detail and "PyQt6-WebEngine" in chosen.detail


def test_pywebview_gui_variable_is_left_to_pywebview() -> None:
    chosen = choose("linux", BARE, {"PYWEBVIEW_GUI": "Qt"})
    assert (chosen.ok, chosen.gui, chosen.label) == (True, None, "qt")


def test_this_interpreter_has_a_toolkit_for_the_panel() -> None:
    """The dev venv is built by tools/setup with one toolkit: GTK from a system Python that sees
    Debian's gi, else Qt. Either way the probe must find exactly what the panel will import."""
    found = installed()
    chosen = choose(sys.platform, found, {})
    assert chosen.ok, chosen.detail
    if chosen.gui == "gtk":
        import gi

        assert gi.get_required_version("WebKit2") == found.webkit2gtk
    else:
        import PyQt6.QtWebEngineWidgets  # noqa: F401
