"""The CLI's words follow the popup's and panel's: the golden examples both test suites read
(tests/support/format_golden.json; extension/test/format.test.mjs checks extension/lib/format.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paxel import humanize

GOLDEN: dict[str, list[Any]] = json.loads(
    (Path(__file__).resolve().parent.parent / "support" / "format_golden.json").read_text("utf-8"))


@pytest.mark.parametrize(("size", "text"), GOLDEN["size"])
def test_size(size: int, text: str) -> None:
    assert humanize.format_size(size) == text


@pytest.mark.parametrize(("pair", "text"), GOLDEN["pair"])
def test_pair(pair: list[int], text: str) -> None:
    assert humanize.format_pair(*pair) == text


@pytest.mark.parametrize(("rate", "text"), GOLDEN["rate"])
def test_rate(rate: float, text: str) -> None:
    assert humanize.format_rate(rate) == text


@pytest.mark.parametrize(("seconds", "text"), GOLDEN["duration"])
def test_duration(seconds: float, text: str) -> None:
    assert humanize.format_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), GOLDEN["eta"])
def test_eta(seconds: float | None, text: str) -> None:
    assert humanize.format_eta(seconds) == text


@pytest.mark.parametrize(("url", "text"), GOLDEN["name_from_url"])
def test_name_from_url(url: str, text: str) -> None:
    assert humanize.name_from_url(url) == text


@pytest.mark.parametrize(("args", "text"), GOLDEN["shorten_middle"])
def test_shorten_middle(args: tuple[str, int], text: str) -> None:
    assert humanize.shorten_middle(*args) == text
