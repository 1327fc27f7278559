"""Sizes, speeds, durations and names as people read them (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from paxel.humanize import (
    format_duration,
    format_pair,
    format_rate,
    format_size,
    name_from_url,
    shorten_middle,
)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (102_400, "100 KiB"),
        (1024**2 - 1, "1.0 MiB"), (5 * 1024**3, "5.0 GiB"), (int(99.96 * 1024**2), "100 MiB"),
        (3 * 1024**4, "3.0 TiB"), (-1, "?"), (float("nan"), "?"),
    ],
)  # fmt: skip
def test_format_size(size: float, text: str) -> None:
    assert format_size(size) == text


def test_pair_shares_the_unit_when_it_can() -> None:
    assert format_pair(1.2 * 1024**3, 5 * 1024**3) == "1.2/5.0 GiB"
    assert format_pair(800 * 1024, 6 * 1024**2) == "800 KiB/6.0 MiB"
    assert format_pair(0, 6 * 1024**2) == "0 B/6.0 MiB"


def test_rate_and_duration() -> None:
    assert format_rate(81.2 * 1024**2) == "81.2 MiB/s"
    assert format_rate(0) == "" and format_rate(float("inf")) == ""
    assert [format_duration(s) for s in (0, 5.4, 62, 3725, -1)] == ["0:00", "0:05", "1:02", "1:02:05", ""]


@given(st.floats(min_value=0, max_value=2.0**59, allow_nan=False))
def test_size_text_is_short_and_binary(size: float) -> None:
    number, _, unit = format_size(size).partition(" ")
    assert unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    assert len(number) <= 4 and float(number) < 1024


@pytest.mark.parametrize(
    ("name", "width", "text"),
    [
        ("short.iso", 20, "short.iso"),
        ("ubuntu-24.04.1-desktop-amd64.iso", 20, "ubuntu-24.…amd64.iso"),
        ("backup-2026-11-30.tar.gz", 16, "backup…30.tar.gz"),
        ("日本語のとても長いファイル名.zip", 12, "日本…名.zip"),  # two cells each: 11 of 12 used
        ("x", 0, ""),
        ("abcdef", 1, "…"),
    ],
)  # fmt: skip
def test_shorten_middle_examples(name: str, width: int, text: str) -> None:
    assert shorten_middle(name, width) == text


@given(st.text(min_size=1, max_size=80), st.integers(min_value=0, max_value=100))
def test_shorten_middle_fits_and_keeps_both_ends(name: str, width: int) -> None:
    short = shorten_middle(name, width)
    assert cell_len(short) <= width
    if cell_len(name) <= width:
        assert short == name
    elif width >= 2:
        head, sep, tail = short.partition("…")
        assert sep and name.startswith(head) and name.endswith(tail)


@given(st.from_regex(r"[a-z0-9-]{20,60}\.(iso|zip|mkv)", fullmatch=True), st.integers(16, 40))
def test_a_cut_name_keeps_its_extension(name: str, width: int) -> None:
    extension = name[name.rindex(".") :]
    assert shorten_middle(name, width).endswith(extension)


def test_name_from_url() -> None:
    assert name_from_url("https://example.org/dl/my%20file.zip?token=1") == "my file.zip"
    assert name_from_url("https://example.org/") == "example.org"
    assert name_from_url("https://example.org/a%0Ab.bin") == "ab.bin"
