"""Who announces an outcome (service/announce.py): pure."""

from __future__ import annotations

from dataclasses import dataclass

from paxel.service.announce import Starters, announcer


@dataclass(eq=False)
class Client:
    name: str


CHROME, FIREFOX = Client("chrome-extension://abc/"), Client("firefox:paxel@example")
CLI, PANEL = Client("cli"), Client("panel")


def test_the_browser_that_started_it_announces_when_connected() -> None:
    assert announcer(CHROME, [CHROME, FIREFOX, PANEL]) is CHROME
    assert announcer(FIREFOX, [CHROME, FIREFOX]) is FIREFOX


def test_else_the_desktop() -> None:
    assert announcer(CHROME, [FIREFOX, PANEL]) is None, "the starter is gone"
    assert announcer(CLI, [CLI, CHROME]) is None, "the CLI cannot show a notification"
    assert announcer(PANEL, [PANEL]) is None
    assert announcer(None, [CHROME, FIREFOX]) is None, "not known (a restarted service)"


def test_starters_remember_per_download() -> None:
    starters = Starters()
    starters.note("d-1", CHROME)
    starters.note("d-2", FIREFOX)
    starters.note("d-1", FIREFOX)  # a retry by another browser: it hears how it ends
    assert starters.get("d-1") is FIREFOX
    starters.forget("d-1")
    assert starters.get("d-1") is None and starters.get("d-2") is FIREFOX
