"""An extension in two file types is refused where the settings are read, as the panel and the
options page refuse it: the service took `{"A": ["zip"], "B": ["ZIP"]}` from `paxel settings
set` or the file and silently sent every .zip to whichever type came first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel import rules


def test_an_extension_in_two_types_is_refused_naming_both() -> None:
    raw = {"by_type": True,
           "categories": {"A": {"extensions": ["zip"]}, "B": {"extensions": [".ZIP", "rar"]}}}
    with pytest.raises(ValueError, match=r"folder_rules\.categories\.B\.extensions: zip is in A already"):
        rules.parse(raw)


def test_a_type_without_extensions_is_refused() -> None:
    with pytest.raises(ValueError, match=r"categories\.A\.extensions"):
        rules.parse({"categories": {"A": {"extensions": []}}})


def test_the_default_types_do_not_overlap() -> None:
    parsed = rules.parse(rules.to_raw(rules.FolderRules()))
    assert parsed.categories == rules.FolderRules().categories


@given(st.lists(st.sets(st.sampled_from(["zip", "iso", "pdf", "tar.gz", "gz", "mp4"]), min_size=1),
                min_size=1, max_size=4))
def test_parsed_types_never_share_an_extension(groups: list[set[str]]) -> None:
    raw = {"categories": {f"T{i}": {"extensions": sorted(g)} for i, g in enumerate(groups)}}
    try:
        parsed = rules.parse(raw)
    except ValueError:
        assert any(a & b for i, a in enumerate(groups) for b in groups[i + 1:])
        return
    seen = [e for c in parsed.categories for e in c.extensions]
    assert len(seen) == len(set(seen))
