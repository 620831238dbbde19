"""Layers are one-way at package level: no import cycle between packages, no import upwards.

The walker (`tests/layers.py`) sees every import of every module of glassdome,
wherever it stands; these tests hold glassdome to `LAYERS`, and check the walker
itself on a small package made for the purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import glassdome
from tests.layers import Import, cycles, describe_cycle, imports, modules, package_of, upward

# The layers, lowest first; packages in one tuple share a layer. A package may import
# its own layer's or a lower layer's packages, never a higher one's. docs/ARCHITECTURE.md
# shows this same list. `glassdome` is the package root (its version).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("glassdome", "glassdome.errors", "glassdome.plugins"),
    ("glassdome.primitives",),
    ("glassdome.backends",),
    ("glassdome.core",),
    ("glassdome.agent",),
    ("glassdome.ui",),
    ("glassdome.steps",),
    ("glassdome.playbook",),
    ("glassdome.commands",),
    (
        "glassdome.cli",
        "glassdome.__main__",
        "glassdome.boundary",
        "glassdome.entry",
        "glassdome.parser",
    ),
)

PACKAGE_ROOT = Path(glassdome.__file__).resolve().parent


# --- glassdome itself ------------------------------------------------------------------


def test_every_package_of_glassdome_has_exactly_one_layer():
    """A new top-level module or package must be placed in LAYERS (and docs/ARCHITECTURE.md)."""
    present = {package_of(name) for name in modules(PACKAGE_ROOT)}
    listed = [package for layer in LAYERS for package in layer]
    assert len(listed) == len(set(listed)), "a package is listed in two layers"
    assert sorted(present - set(listed)) == [], "packages in no layer: add them to LAYERS"
    assert sorted(set(listed) - present) == [], "LAYERS names packages that do not exist"


def test_docs_architecture_shows_the_same_layers():
    """docs/ARCHITECTURE.md's layers block is LAYERS, highest first."""
    text = (PACKAGE_ROOT.parent / "docs" / "ARCHITECTURE.md").read_text("utf-8")
    block = text.split("```layers\n", 1)[1].split("```", 1)[0]
    documented = []
    for line in block.splitlines():
        names = line.split("   ", 1)[0]  # the packages, then three spaces and what it holds
        documented.append(
            tuple(
                sorted(
                    "glassdome" if name == "glassdome" else f"glassdome.{name}"
                    for name in (part.strip() for part in names.split(","))
                )
            )
        )
    assert documented == [tuple(sorted(layer)) for layer in reversed(LAYERS)]


def test_no_module_imports_a_package_of_a_higher_layer():
    """Lower layers never import upper ones, not inside functions nor for type checking."""
    found = upward(imports(PACKAGE_ROOT), LAYERS)
    report = [f"{i.from_package} imports {i.to_package} (a higher layer): {i}" for i in found]
    assert report == [], "\n" + "\n".join(report)


def test_packages_import_each_other_without_cycles():
    """No chain of imports leads from a package back to itself."""
    found = imports(PACKAGE_ROOT)
    report = [describe_cycle(cycle, found) for cycle in cycles(found)]
    assert report == [], "\n" + "\n\n".join(report)


# --- the checks themselves, on a small package made for the purpose ---------------------

_TOY = {
    "__init__.py": "",
    "low/__init__.py": "",
    "low/base.py": (
        "from typing import TYPE_CHECKING\n"
        "from toy.low import helpers\n"
        "if TYPE_CHECKING:\n"
        "    from toy.high.app import App\n"
        "\n"
        "def late() -> None:\n"
        "    from ..high import app\n"
    ),
    "low/helpers.py": "import os\n",
    "low/loader.py": (
        "from importlib import import_module\n"
        "def load(name: str) -> object:\n"
        "    return import_module(f'toy.high.{name}')\n"
    ),
    "high/__init__.py": "from . import app\n",
    "high/app.py": "from toy import low\nfrom toy.low.base import late\n\nclass App: ...\n",
}
_TOY_LAYERS = (("toy", "toy.low"), ("toy.high",))


def _toy(tmp_path: Path) -> Path:
    root = tmp_path / "toy"
    for name, text in _TOY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    return root


def _seen(found: Iterable[Import]) -> set[tuple[str, int, str, str]]:
    return {(i.path, i.line, i.source, i.target) for i in found}


def test_the_walker_finds_function_level_type_checking_relative_and_dynamic_imports(
    tmp_path: Path,
):
    found = imports(_toy(tmp_path))
    assert _seen(found) == {
        ("toy/low/base.py", 2, "toy.low.base", "toy.low.helpers"),
        ("toy/low/base.py", 4, "toy.low.base", "toy.high.app"),
        ("toy/low/base.py", 7, "toy.low.base", "toy.high.app"),
        ("toy/low/loader.py", 3, "toy.low.loader", "toy.high"),
        ("toy/high/__init__.py", 1, "toy.high", "toy.high.app"),
        ("toy/high/app.py", 1, "toy.high.app", "toy.low"),
        ("toy/high/app.py", 2, "toy.high.app", "toy.low.base"),
    }
    by_line = {(i.path, i.line): i.statement for i in found}
    assert by_line["toy/low/base.py", 7] == "from ..high import app"


def test_an_import_from_a_lower_layer_upwards_is_reported_with_its_line(tmp_path: Path):
    found = upward(imports(_toy(tmp_path)), _TOY_LAYERS)
    assert sorted(str(i) for i in found) == [
        "toy/low/base.py:4: from toy.high.app import App",
        "toy/low/base.py:7: from ..high import app",
        "toy/low/loader.py:3: import_module(f'toy.high.{name}')",
    ]


def test_a_package_cycle_is_named_with_the_imports_that_form_it(tmp_path: Path):
    found = imports(_toy(tmp_path))
    assert cycles(found) == [["toy.high", "toy.low", "toy.high"]]
    assert describe_cycle(["toy.high", "toy.low", "toy.high"], found) == "\n".join(
        [
            "toy.high -> toy.low -> toy.high",
            "  toy/high/app.py:1: from toy import low",
            "  toy/high/app.py:2: from toy.low.base import late",
            "  toy/low/base.py:4: from toy.high.app import App",
            "  toy/low/base.py:7: from ..high import app",
            "  toy/low/loader.py:3: import_module(f'toy.high.{name}')",
        ]
    )


def test_a_package_in_no_layer_counts_as_lowest_importing_and_highest_imported(tmp_path: Path):
    """An unplaced package is never silently allowed: every import between packages is seen."""
    found = upward(imports(_toy(tmp_path)), (("toy",),))
    assert sorted(str(i) for i in found) == [
        "toy/high/app.py:1: from toy import low",
        "toy/high/app.py:2: from toy.low.base import late",
        "toy/low/base.py:4: from toy.high.app import App",
        "toy/low/base.py:7: from ..high import app",
        "toy/low/loader.py:3: import_module(f'toy.high.{name}')",
    ]


def test_every_edge_on_a_cycle_is_named_in_one_even_where_cycles_share_edges():
    def edge(source: str, target: str) -> Import:
        return Import(f"{source}.py", 1, f"import {target}", f"{source}.m", f"{target}.m")

    found = [edge("p.a", "p.b"), edge("p.b", "p.a"), edge("p.b", "p.c"), edge("p.c", "p.a")]
    assert cycles(found) == [["p.a", "p.b", "p.a"], ["p.b", "p.c", "p.a", "p.b"]]
    assert cycles([edge("p.a", "p.b"), edge("p.b", "p.c")]) == []
