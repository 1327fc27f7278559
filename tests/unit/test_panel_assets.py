"""The panel's page loads the extension's shared files (one formatter, one stylesheet), never a
second copy that could drift: from a checkout (assembled from extension/lib) and from a wheel
(copied by setup.py at build time)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from paxel.panel import assets

TOP = Path(__file__).resolve().parents[2]


def test_no_second_copy_is_kept_in_git() -> None:
    tracked = subprocess.run(["git", "ls-files", "host/paxel/panel_assets"], cwd=TOP, check=True,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
    assert tracked, "git ls-files found nothing (not a checkout?)"
    for name in assets.SHARED:
        assert f"host/paxel/panel_assets/{name}" not in tracked
        assert (assets.EXTENSION_LIB / name).is_file()


def test_checkout_page_is_the_extensions_files(tmp_path: Path) -> None:
    page = assets.page_dir(tmp_path / "cache")
    assert page.parent == tmp_path / "cache"
    for name in assets.SHARED:
        assert (page / name).read_bytes() == (assets.EXTENSION_LIB / name).read_bytes()
    for own in ("index.html", "panel.js", "panel.css"):
        assert (page / own).read_bytes() == (assets.PACKAGE_ASSETS / own).read_bytes()
    assert assets.page_dir(tmp_path / "cache") == page  # made once


def test_a_changed_shared_file_gives_a_new_page(tmp_path: Path) -> None:
    own, lib = tmp_path / "own", tmp_path / "lib"
    own.mkdir()
    lib.mkdir()
    (own / "index.html").write_text("<p>")
    for name in assets.SHARED:
        (lib / name).write_text("v1")
    first = assets.page_dir(tmp_path / "cache", own, lib)
    (lib / "states.js").write_text("v2")
    second = assets.page_dir(tmp_path / "cache", own, lib)
    assert second != first and (second / "states.js").read_text() == "v2"
    assert not first.exists(), "the old page is cleaned up"


def test_a_missing_shared_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>")
    with pytest.raises(FileNotFoundError, match=r"units\.js"):
        assets.page_dir(tmp_path / "cache", tmp_path, tmp_path / "nowhere")


def test_the_page_loads_the_formatters_parts_as_the_extension_does() -> None:
    """format.js is the extension's list of the formatter's parts (a module: the panel's page
    cannot load it); the page must load the same parts, in the same order, before its own
    scripts use `paxelFormat`, and the wheel must carry them."""
    parts = re.findall(r'^import "\./(\w+\.js)";$', (assets.EXTENSION_LIB / "format.js").read_text(), re.M)
    page = re.findall(r'<script src="([^"]+)"></script>', (assets.PACKAGE_ASSETS / "index.html").read_text())
    assert len(parts) >= 2 and page[: len(parts)] == parts
    assert [name for name in assets.SHARED if name in parts] == parts
    assert "format.js" not in assets.SHARED + tuple(page)


def test_setup_py_copies_the_same_names() -> None:
    tree = ast.parse((TOP / "setup.py").read_text())
    shared = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "SHARED" for t in node.targets))
    assert ast.literal_eval(shared) == assets.SHARED


def test_the_wheel_carries_copies_of_the_extensions_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(tmp_path), str(TOP)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("paxel-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for name in assets.SHARED:
            assert archive.read(f"paxel/panel_assets/{name}") == (assets.EXTENSION_LIB / name).read_bytes()
        own = (assets.PACKAGE_ASSETS / "index.html").read_bytes()
        assert archive.read("paxel/panel_assets/index.html") == own
