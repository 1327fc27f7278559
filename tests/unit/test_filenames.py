"""Filename safety against a corpus of hostile names, and never-overwrite uniqueness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.errors import DiskError
from paxel.filenames import MAX_BYTES, choose_name, name_from_url, safe_filename, unique_name

WINDOWS_BAD = set('<>:"/\\|?*')


def assert_safe(name: str) -> None:
    assert name and name not in (".", "..")
    assert not WINDOWS_BAD & set(name)
    assert not any(ord(c) < 32 or c in "\u202e\u202d\u200b\u2066" for c in name)
    assert name == name.rstrip(". ")
    assert len(name.encode()) <= MAX_BYTES
    assert name.partition(".")[0].strip().upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("/etc/shadow", "shadow"),
    ("C:\\Windows\\system32\\evil.dll", "evil.dll"),
    ("..", "download"),
    ("...", "download"),
    ("", "download"),
    ("a\x00b.txt", "ab.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),      # RTL override cannot disguise the extension
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("COM1.tar.gz", "_COM1.tar.gz"),
    ("lpt9", "_lpt9"),
    ("name. . .", "name"),
    ("trailing   ", "trailing"),
    ("what?.txt", "what_.txt"),
    ("tab\there.txt", "tab here.txt"),
    ("Ã©tÃ©.txt", "Ã©tÃ©.txt"),                     # mojibake is kept as text, just made safe
    ("e\u0301te.txt", "éte.txt"),                      # NFC
])
def test_corpus(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected
    assert_safe(safe_filename(raw))


def test_long_names_are_capped_keeping_the_extension() -> None:
    name = safe_filename("é" * 300 + ".tar.gz")
    assert name.endswith(".gz") and len(name.encode()) <= MAX_BYTES
    assert_safe(safe_filename("x" * 300))
    assert_safe(safe_filename("a." + "b" * 300))


@given(st.text(max_size=400))
def test_any_text_gives_a_safe_name(raw: str) -> None:
    assert_safe(safe_filename(raw))


@pytest.mark.parametrize(("url", "name"), [
    ("http://h/a/b/file.iso", "file.iso"),
    ("http://h/a/b/caf%C3%A9.txt?x=1", "café.txt"),
    ("http://h/d%E9j%E0.txt", "déjà.txt"),            # not UTF-8: Latin-1
    ("http://h/dir/", "dir"),
    ("http://h/", None),
    ("http://h/%2e%2e%2fsecret", "../secret"),        # decoded raw; safe_filename strips it
])
def test_name_from_url(url: str, name: str | None) -> None:
    assert name_from_url(url) == name


def test_choose_name_order() -> None:
    assert choose_name("from-header.bin", "http://h/from-url.bin") == "from-header.bin"
    assert choose_name(None, "http://h/from-url.bin") == "from-url.bin"
    assert choose_name("..", "http://h/%2e%2e%2fsecret") == "secret"
    assert choose_name(None, "http://h/") == "download"


def test_unique_name_never_reuses_a_taken_name() -> None:
    taken = {"a.txt", "a (1).txt", "noext"}
    assert unique_name("a.txt", taken.__contains__) == "a (2).txt"
    assert unique_name("noext", taken.__contains__) == "noext (1)"
    assert unique_name(".hidden", {".hidden"}.__contains__) == ".hidden (1)"
    assert unique_name("free.txt", taken.__contains__) == "free.txt"


@pytest.mark.parametrize(("raw", "expected"), [
    ("report.bin.part", "report.bin_part"),
    ("report.bin.part.paxel", "report.bin.part_paxel"),
    ("report.bin.PART.PAXEL.tmp", "report.bin.PART.PAXEL_tmp"),
    ("movie.part1.rar", "movie.part1.rar"),
    ("notes.paxel", "notes.paxel"),
])
def test_names_shaped_like_paxel_helper_files_are_changed(raw: str, expected: str) -> None:
    """A server's name that ends like another download's `.part` or resume state would have the
    file taken (resumed, replaced, deleted) as that helper file later."""
    assert safe_filename(raw) == expected


@given(st.text(max_size=300))
def test_no_safe_name_ends_like_a_helper_file(raw: str) -> None:
    assert not safe_filename(raw).lower().endswith((".part", ".part.paxel", ".part.paxel.tmp"))


def test_a_folder_with_every_number_taken_is_a_disk_error() -> None:
    with pytest.raises(DiskError, match="no free name"):
        unique_name("full.bin", lambda _: True)


@given(st.text(max_size=80))
def test_a_name_is_spelled_in_the_file_systems_encoding(raw: str) -> None:
    """An ASCII locale without UTF-8: what the file system cannot spell becomes "_"."""
    name = safe_filename(raw, encoding="ascii")
    assert name.isascii() and name


def test_what_an_encoding_cannot_spell_becomes_an_underscore() -> None:
    assert safe_filename("日本 café.bin", encoding="ascii") == "__ caf_.bin"
    assert safe_filename("日本 café.bin", encoding="latin-1") == "__ café.bin"
    assert safe_filename("日本 café.bin", encoding="UTF8") == "日本 café.bin"
