"""`paxel list`'s text lines: sizes in binary units, the name from the URL until the server names it."""

from __future__ import annotations

from typing import Any

from paxel.commands.queue import _line


def view(**changes: Any) -> dict[str, Any]:
    return {"download_id": "d1", "state": "running", "total": 5 << 30, "done": 1288490188,
            "filename": "ubuntu.iso", "url": "https://example.org/ubuntu.iso", **changes}  # fmt: skip


def test_running_download_with_a_size() -> None:
    assert _line(view()) == "d1  running    24.0%      1.2/5.0 GiB  ubuntu.iso"


def test_unknown_size_and_no_name_yet() -> None:
    line = _line(view(total=None, done=2048, filename=None, url="https://example.org/a%20b.zip?x=1"))
    assert line == "d1  running       ?          2.0 KiB  a b.zip"
