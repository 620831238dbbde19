"""The import walker behind the layer test: every import of a package, and its package edges.

Every import of every module counts, wherever it stands: at module level, inside a
function, under ``if TYPE_CHECKING``, relative or absolute, and a literal
``import_module("pkg....")``. Each import is mapped to the package it comes from and
the package it reaches (``glassdome.core.secrets`` -> ``glassdome.core``).
`upward` and `cycles` judge those edges against a list of layers.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


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
