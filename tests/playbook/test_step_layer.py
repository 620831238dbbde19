"""Step types sit below the playbook engine: they reach it only through `glassdome.steps.base`.

Every import in the source counts, at module level, inside a function, or under
TYPE_CHECKING, since any of them would tie the packages into a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "glassdome"
# Each lower part, and the packages above it that it must never import.
ABOVE = {
    "steps": ("glassdome.playbook", "glassdome.commands", "glassdome.cli"),
    "plugins.py": ("glassdome.",),
}


def imported(path: Path) -> set[str]:
    """Every module *path* imports, wherever the import statement is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("part", sorted(ABOVE))
def test_a_lower_layer_imports_nothing_above_it(part: str):
    root = PACKAGE / part
    modules = sorted(root.rglob("*.py")) if root.is_dir() else [root]
    assert modules
    found = {
        f"{path.relative_to(REPO)} imports {name}"
        for path in modules
        for name in imported(path)
        if name.startswith(ABOVE[part])
    }
    assert sorted(found) == []
