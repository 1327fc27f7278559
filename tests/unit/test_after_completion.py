"""after_completion's settings form and the argument list it runs (paxel.service.aftercompletion)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.service.aftercompletion import AfterCompletion, argv, parse, to_raw


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=12), min_size=1,
                max_size=6), st.text(alphabet=st.characters(blacklist_characters="\x00/"), min_size=1,
                                     max_size=20))
def test_the_path_is_substituted_inside_arguments_and_never_splits_them(command: list[str],
                                                                      name: str) -> None:
    path = Path("/dl") / name
    out = argv(tuple(command), path)
    assert len(out) == len(command), "one argument stays one argument, whatever the name holds"
    for before, after in zip(command, out, strict=True):
        assert after == before.replace("{path}", str(path))


def test_parse_and_its_errors() -> None:
    after = parse({"action": "command", "command": ["scan", "{path}"], "timeout": 5})
    assert after == AfterCompletion("command", ("scan", "{path}"), 5.0)
    assert parse(to_raw(after)) == after
    assert parse(None) == AfterCompletion() and parse({"action": "open"}).action == "open"
    for bad, words in (({"action": "shell"}, "action"), ({"action": "command"}, "command"),
                       ({"action": "command", "command": "rm -rf /"}, "command"),
                       ({"action": "open", "timeout": 0}, "timeout"), ({"cmd": []}, "after_completion")):
        with pytest.raises(ValueError, match=words):
            parse(bad)
