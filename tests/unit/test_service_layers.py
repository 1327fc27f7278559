"""The service's shape: nothing in it imports what sits above it, and the router has exactly one
handler per request type of the protocol schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import paxel
from paxel.schema import SCHEMA
from paxel.service.router import HANDLERS

PACKAGE = Path(paxel.__file__).parent
ABOVE_THE_SERVICE = ("paxel.panel", "paxel.commands", "paxel.host", "paxel.cli", "paxel.client")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", sorted((PACKAGE / "service").glob("*.py")), ids=lambda p: p.name)
def test_service_never_imports_upward(module: Path) -> None:
    upward = {name for name in imported_modules(module)
              if any(name == top or name.startswith(top + ".") for top in ABOVE_THE_SERVICE)}
    assert not upward, f"{module.name} imports {sorted(upward)}"


def test_one_handler_per_request_type() -> None:
    assert set(HANDLERS) == set(SCHEMA)


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from paxel.panel.display import probe_display\nimport paxel.client\n")
    assert {"paxel.panel.display", "paxel.client"} <= imported_modules(bad)
