"""Which pywebview backend the panel asks for, per platform (pure)."""

from __future__ import annotations

import pytest

from paxel.panel.app import choose_gui


@pytest.mark.parametrize(
    ("platform", "has_gtk", "expected"),
    [
        ("linux", False, "qt"),
        ("freebsd14", False, "qt"),
        ("linux", True, None),  # pywebview prefers GTK where the user has it
        ("darwin", False, None),  # Cocoa
        ("win32", False, None),  # Edge WebView2
    ],
)
def test_choose_gui(platform: str, has_gtk: bool, expected: str | None) -> None:
    assert choose_gui(platform, has_gtk) == expected
