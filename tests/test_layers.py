"""Layers are one-way at package level: no import cycle between packages, no import upwards.

Every import of every module of glassdome counts, wherever it stands: at module
level, inside a function, under ``if TYPE_CHECKING``, relative or absolute, and a
literal ``import_module("glassdome....")``. Each import is mapped to the package it
comes from and the package it reaches (``glassdome.core.secrets`` -> ``glassdome.core``).
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import glassdome

# The layers, lowest first; packages in one tuple share a layer. A package may import
# its own layer's or a lower layer's packages, never a higher one's. docs/ARCHITECTURE.md
# shows this same list. `glassdome` is the package root (its version).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("glassdome", "glassdome.errors", "glassdome.plugins"),
    ("glassdome.primitives",),
    ("glassdome.backends",),
    ("glassdome.core",),
    ("glassdome.ui",),
    ("glassdome.steps",),
    ("glassdome.playbook",),
    ("glassdome.commands",),
    ("glassdome.cli", "glassdome.__main__", "glassdome.boundary", "glassdome.parser"),
)

PACKAGE_ROOT = Path(glassdome.__file__).resolve().parent


@dataclass(frozen=True)
class Import:
    """One import of one module: where it stands and what it reaches."""

    path: str  # the file, relative to the folder holding the top package
    line: int
    statement: str  # the statement as written, on one line
    source: str  # the importing module, e.g. glassdome.backends.encrypted_file
    target: str  # the module imported, e.g. glassdome.core.secrets

    @property
    def from_package(self) -> str:
        return package_of(self.source)

    @property
    def to_package(self) -> str:
        return package_of(self.target)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.statement}"


def package_of(module: str) -> str:
    """The package a module belongs to for layering: the top package and one more part."""
    return ".".join(module.split(".")[:2])


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package in folder *root*, by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, with relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    # Relative to the package: a package's __init__ is in itself, a module in its parent.
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _literal_import_module(node: ast.Call) -> str | None:
    """The module of ``import_module("x.y")`` / ``import_module(f"x.y.{z}")``, as far as literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr) and first.values:
        head = first.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value.rstrip(".")
    return None


def _targets(
    node: ast.Import | ast.ImportFrom | ast.Call, module: str, is_package: bool, known: set[str]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _resolve_from(module, is_package, node)
        # `from glassdome import errors` imports the module glassdome.errors.
        return [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    literal = _literal_import_module(node)
    return [literal] if literal else []


def imports(root: Path) -> list[Import]:
    """Every import in the package in folder *root* that reaches a module of that package."""
    top = root.name
    paths = modules(root)
    known = set(paths)
    found: list[Import] = []
    for module, path in paths.items():
        source = path.read_text("utf-8")
        where = str(path.relative_to(root.parent))
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom | ast.Call):
                continue
            targets = [
                target
                for target in dict.fromkeys(_targets(node, module, is_package, known))
                if target == top or target.startswith(f"{top}.")
            ]
            if targets:
                text = " ".join((ast.get_source_segment(source, node) or "").split())
                found.extend(Import(where, node.lineno, text, module, t) for t in targets)
    return found


def layer_index(layers: Iterable[tuple[str, ...]]) -> dict[str, int]:
    """Each package's layer number, lowest 0."""
    return {package: n for n, layer in enumerate(layers) for package in layer}


def upward(found: Iterable[Import], layers: Iterable[tuple[str, ...]]) -> list[Import]:
    """The imports that reach a package of a higher layer than their own.

    A package in no layer counts as lowest where it imports and highest where it is
    imported, so no import from or into an unplaced package passes unseen.
    """
    index = layer_index(layers)
    top = len(index)
    return [
        item
        for item in found
        if item.from_package != item.to_package
        and index.get(item.to_package, top) > index.get(item.from_package, -1)
    ]


def cycles(found: Iterable[Import]) -> list[list[str]]:
    """Package-level cycles, each as ``[a, b, ..., a]`` where each package imports the next.

    For every package edge that lies on a cycle, the shortest cycle through it; a cycle
    reached through several of its edges is named once.
    """
    graph: dict[str, set[str]] = defaultdict(set)
    for item in found:
        if item.from_package != item.to_package:
            graph[item.from_package].add(item.to_package)
    named: set[frozenset[tuple[str, str]]] = set()
    result: list[list[str]] = []
    for importer in sorted(graph):
        for target in sorted(graph[importer]):
            back = _shortest_path(graph, target, importer)
            if back is None:
                continue
            cycle = [importer, *back]
            edges = frozenset(itertools.pairwise(cycle))
            if edges not in named:
                named.add(edges)
                result.append(cycle)
    return result


def _shortest_path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The packages from *start* to *goal* along imports, both included (None: no way)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path: list[str] = []
            step: str | None = node
            while step is not None:
                path.append(step)
                step = previous[step]
            return path[::-1]
        for following in sorted(graph.get(node, ())):
            if following not in previous:
                previous[following] = node
                queue.append(following)
    return None


def describe_cycle(cycle: list[str], found: Iterable[Import]) -> str:
    """A cycle and, under it, every import statement that forms each of its edges."""
    pairs = set(itertools.pairwise(cycle))
    forming = [item for item in found if (item.from_package, item.to_package) in pairs]
    forming.sort(key=lambda item: (item.path, item.line))
    return "\n".join([" -> ".join(cycle), *(f"  {item}" for item in forming)])


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
