"""The DownloadView of a download whose engine is still winding down after a pause (the store
says `paused` at once; the engine stores the bytes it stopped at a moment later)."""

from __future__ import annotations

from pathlib import Path

from paxel.engine import Progress
from paxel.service.lifecycle import State
from paxel.service.store import Record
from paxel.service.view import view

MiB = 1 << 20


def engine_snapshot(done: int) -> Progress:
    return Progress("running", "http://x/f.bin", None, "f.bin", Path("/tmp/f.bin"), 64 * MiB, done,
                    12.0 * MiB, 4.0, ((0, 32 * MiB, done),), 2)


def test_a_paused_download_still_winding_down_says_the_bytes_it_has_not_the_last_stored() -> None:
    # Seen in real Firefox: a popup and `paxel list` showed a just-paused download at 0 B (the
    # count stored once a second), then 14.6 MB once the engine had stopped.
    record = Record(id="d-1", url="http://x/f.bin", folder="/tmp", connections=2, state=State.PAUSED,
                    total=64 * MiB, done=0)

    shown = view(record, engine_snapshot(14 * MiB))

    assert (shown["state"], shown["done"], shown["speed"], shown["eta"]) == ("paused", 14 * MiB, 0.0, None)


def test_a_paused_download_at_rest_says_what_is_stored() -> None:
    record = Record(id="d-1", url="http://x/f.bin", folder="/tmp", connections=2, state=State.PAUSED,
                    total=64 * MiB, done=5 * MiB)

    assert view(record)["done"] == 5 * MiB
