"""Imports flow one way: web → directory → federation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each layer must never import.
FORBIDDEN = {"federation": {"directory", "web"}, "directory": {"web"}, "web": set()}


def _imported_top_levels(path: Path) -> set[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def _violations() -> list[str]:
    problems = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            for line, name in sorted(_imported_top_levels(path)):
                if name in forbidden:
                    problems.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return problems


def test_layers__imports_flow_from_web_to_directory_to_federation() -> None:
    assert _violations() == []


def test_layers__the_walker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from web.app import create_app\nimport directory.spaces\n")
    assert _imported_top_levels(bad) == {(1, "web"), (2, "directory")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers__every_layer_exists(layer: str) -> None:
    assert (ROOT / layer / "__init__.py").is_file()
