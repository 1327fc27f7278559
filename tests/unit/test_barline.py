"""The progress line of `paxel URL`: fits any width, drops the right things first (pure)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from paxel.commands.barline import NAME_MIN, LineView, layout, plain

MiB = 1 << 20
LONG = "ubuntu-24.04.1-desktop-amd64-with-a-rather-long-release-name.iso"


def running(name: str = LONG, retries: int = 0, **changes: object) -> LineView:
    fields: dict[str, object] = dict(name=name, probing=False, total=6 * MiB, done=2 * MiB, speed=1.5 * MiB,
                                     eta=2.7, connections=8, retries=retries)  # fmt: skip
    fields.update(changes)
    return LineView(**fields)  # type: ignore[arg-type]


def test_at_80_columns_a_long_name_is_cut_and_everything_else_shows() -> None:
    line = plain(layout(running(), 80))
    assert cell_len(line) <= 80
    assert line.startswith("ubuntu-") and "….iso" not in line and ".iso ━" in line
    assert "2.0/6.0 MiB" in line and " 33%" in line and "1.5 MiB/s" in line and "0:03 left" in line
    assert "8 conn" in line


def test_with_retries_the_connection_count_goes_before_the_name_gets_shorter() -> None:
    line = plain(layout(running(retries=3), 80))
    assert line.endswith("retry 3") and "conn" not in line and "0:03 left" in line
    assert cell_len(line.split(" ━")[0]) >= NAME_MIN


def test_probing_shows_no_bar_and_no_size() -> None:
    line = plain(layout(running(probing=True, total=None, done=0, retries=1), 80))
    assert line.endswith("probing… retry 1")
    assert not any(c in line for c in "━─/%")


def test_unknown_total_shows_bytes_and_speed_but_no_bar_percent_or_eta() -> None:
    line = plain(layout(running(total=None, eta=None), 80))
    assert "2.0 MiB" in line and "1.5 MiB/s" in line
    assert not any(c in line for c in "━─%") and "left" not in line


def test_the_bar_starts_in_the_same_column_as_numbers_change() -> None:
    columns = {re.search("[━─]", plain(layout(running(name="a.iso", done=d, speed=s), 100))).start()  # type: ignore[union-attr]
               for d, s in ((1, 10.0), (2 * MiB, 2e6), (6 * MiB, 9e8))}  # fmt: skip
    assert len(columns) == 1


views = st.builds(
    LineView,
    name=st.text(min_size=1, max_size=120),
    probing=st.booleans(),
    total=st.none() | st.integers(0, 2**50),
    done=st.integers(0, 2**50),
    speed=st.floats(0, 2**40, allow_nan=False),
    eta=st.none() | st.floats(0, 10**7, allow_nan=False),
    connections=st.integers(0, 32),
    retries=st.integers(0, 10**4),
)


@given(views, st.integers(60, 300))
def test_any_view_fits_and_keeps_speed_and_eta(view: LineView, width: int) -> None:
    line = plain(layout(view, width))
    assert cell_len(line) <= width
    if not view.probing and view.speed > 0:
        assert "/s" in line
    if not view.probing and view.total is not None and view.eta is not None:
        assert " left" in line


def test_at_40_columns_through_retries_speed_and_eta_stay_and_the_line_fits() -> None:
    """A 40-column terminal: the fields alone (43 cells with `retry 3`) were wider than the
    screen, the name went to nothing and the terminal cropped the line's end."""
    line = plain(layout(running(retries=3), 40))
    assert cell_len(line) <= 40, line
    assert "1.5 MiB/s" in line and "0:03 left" in line, line
    assert line[0] not in " ━─", line   # some of the name is still there


@given(views, st.integers(0, 59))
def test_a_narrow_terminal_never_gets_a_line_wider_than_itself(view: LineView, width: int) -> None:
    assert cell_len(plain(layout(view, width))) <= width
