"""Build step pyproject.toml cannot say: the panel's copies of the extension's shared files.

The popup and the panel use one formatter and one stylesheet, kept once in extension/lib/
(`paxel.panel.assets.SHARED`). A wheel has no extension/ next to it, so the build copies them
into paxel/panel_assets/ (a copy, not a symlink: a Windows checkout has no symlinks).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# = paxel.panel.assets.SHARED (tests/unit/test_panel_assets.py checks it)
SHARED = (
    "units.js", "names.js", "advice.js", "states.js", "speedgraph.js",
    "listing.js", "rowkeys.js", "presshold.js", "servicesettings.js",
    "formfields.js", "controls.css",
)  # fmt: skip
LIB = Path(__file__).resolve().parent / "extension" / "lib"


class BuildPyWithSharedAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads extension/lib itself (assets.py)
            return
        target = Path(self.build_lib) / "paxel" / "panel_assets"
        target.mkdir(parents=True, exist_ok=True)
        for name in SHARED:
            shutil.copyfile(LIB / name, target / name)


setup(cmdclass={"build_py": BuildPyWithSharedAssets})
