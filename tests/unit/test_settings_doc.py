"""docs/settings.md describes every key the settings loader reads, and no key it does not.

The keys are found by running the loader on a mapping that records what is asked of it, so a
key added to host/paxel/service/settings.py without a line in the doc fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paxel.service import settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
README = DOC.parents[1] / "README.md"


class Recording(dict[str, Any]):
    """A settings mapping that remembers every key the loader looks up."""

    def __init__(self, base: dict[str, Any]) -> None:
        super().__init__(base)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the loader must ask for keys by name (so this test sees them)")


def read_keys() -> set[str]:
    raw = Recording({"roots": ["/tmp"]})
    settings.from_mapping(raw)
    return raw.asked


def documented_keys() -> set[str]:
    """The first column of the table under '# Settings' (`| `key` | …`)."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_key_the_code_reads_is_documented_and_nothing_else() -> None:
    read = read_keys()
    assert {"roots", "default_connections", "max_concurrent", "open_panel_on_add", "extension_ids",
            "max_speed", "max_connections_per_host", "schedule"} <= read  # the recorder sees them
    assert read == documented_keys()


def test_every_dataclass_field_comes_from_a_documented_key() -> None:
    fields = set(settings.Settings.__dataclass_fields__)
    assert fields <= documented_keys()


def test_the_readme_links_the_settings() -> None:
    assert "docs/settings.md" in README.read_text(encoding="utf-8")
