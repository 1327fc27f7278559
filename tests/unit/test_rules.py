"""Folder rules (paxel.rules): by site, by file type, and their settings form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.rules import (
    DEFAULT_CATEGORIES,
    FolderRules,
    SiteRule,
    category_of,
    extension_of,
    folder_for,
    host_matches,
    parse,
    to_raw,
)

ON = FolderRules(by_type=True)


def test_default_categories_as_idm() -> None:
    assert list(DEFAULT_CATEGORIES) == ["Compressed", "Documents", "Music", "Programs", "Video"]
    cases = {"a.zip": "Compressed", "linux.tar.gz": "Compressed", "R.PDF": "Documents",
             "song.flac": "Music", "setup.exe": "Programs", "clip.mkv": "Video", "x.tar.xz": "Compressed"}
    for name, folder in cases.items():
        assert folder_for("https://h.test/get?id=1", name, ON) == folder, name
    assert folder_for("https://h.test/movie.mp4?sig=abc", None, ON) == "Video", "the URL's name"
    assert folder_for("https://h.test/a.zip", None, FolderRules()) is None, "by type is off by default"
    for nothing in ("README", ".bashrc", "data.unknownext", ""):
        assert folder_for("https://h.test/", nothing, ON) is None, nothing


def test_site_rules_match_the_host_and_below_and_beat_the_type() -> None:
    sites = (SiteRule("example.org", "/dl/ex"), SiteRule("*.cdn.example.org", "mirror"))
    rules = FolderRules(True, ON.categories, sites)
    assert folder_for("https://example.org/a.zip", None, rules) == "/dl/ex"
    assert folder_for("https://www.Example.org./a.zip", None, rules) == "/dl/ex"
    assert folder_for("https://x.cdn.example.org/a.zip", None, rules) == "mirror", "the longest pattern wins"
    assert folder_for("https://badexample.org/a.zip", None, rules) == "Compressed"
    assert not host_matches("*.example.org", "example.org")


@given(st.text(alphabet="abcXYZ09-_", min_size=1, max_size=12), st.sampled_from(sorted(
    {e for exts in DEFAULT_CATEGORIES.values() for e in exts})), st.booleans())
def test_any_name_with_a_known_extension_finds_its_category(stem: str, ext: str, upper: bool) -> None:
    name = f"{stem}.{ext.upper() if upper else ext}"
    category = category_of(name, ON.categories)
    assert category is not None and ext in category.extensions
    assert extension_of(name)[0] == ext or extension_of(name)[-1] == ext.split(".")[-1]


@given(st.text(max_size=40), st.text(max_size=40))
def test_folder_for_never_raises(url: str, name: str) -> None:
    folder = folder_for(url, name, ON)
    assert folder is None or folder in DEFAULT_CATEGORIES


def test_settings_form_reads_back_and_bad_entries_name_themselves() -> None:
    raw = {"by_type": True, "categories": {"Images": {"extensions": ["PNG", ".jpg"], "folder": "/p"}},
           "sites": [{"host": "Example.ORG", "folder": "ex"}]}
    rules = parse(raw)
    assert parse(to_raw(rules)) == rules
    assert rules.categories[0].extensions == frozenset({"png", "jpg"})
    assert parse(None) == FolderRules()
    for bad, where in (({"by_type": 1}, "by_type"), ({"sites": [{"host": "a b", "folder": "x"}]}, "sites[0]"),
                       ({"categories": {"X": {"extensions": ["a/b"]}}}, "categories.X"),
                       ({"sites": [{"host": "h.test", "folder": ""}]}, "sites[0].folder"),
                       ({"other": 1}, "folder_rules")):
        with pytest.raises(ValueError, match=where.replace("[", r"\[").replace("]", r"\]")):
            parse(bad)
