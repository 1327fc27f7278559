"""A site rule for a host in its own script (`bücher.example`, `*.пример.рф`) was refused as not
a host name (only punycode was taken, which no one types); it is now stored as the ASCII host a
URL carries, so it matches downloads from that site."""

from __future__ import annotations

import pytest

from paxel import rules


def test_a_site_in_its_own_script_is_stored_as_its_ascii_host_and_matches() -> None:
    parsed = rules.parse({"sites": [{"host": "Bücher.example", "folder": "B"},
                                    {"host": "*.пример.рф", "folder": "R"}]})
    assert [s.host for s in parsed.sites] == ["xn--bcher-kva.example", "*.xn--e1afmkfd.xn--p1ai"]
    assert rules.folder_for("https://xn--bcher-kva.example/a.zip", None, parsed) == "B"
    assert rules.folder_for("https://www.xn--e1afmkfd.xn--p1ai/a.zip", None, parsed) == "R"
    # a URL given with the host in its own script (`paxel add https://bücher.example/…`) too
    assert rules.folder_for("https://BÜCHER.example/a.zip", None, parsed) == "B"


@pytest.mark.parametrize("host", ["a b", "exa_mple.org", "*.", "x..org", "bü cher.example", "\u200b.example"])
def test_what_is_no_host_name_stays_refused(host: str) -> None:
    with pytest.raises(ValueError, match=r"sites\[0\]"):
        rules.parse({"sites": [{"host": host, "folder": "B"}]})
