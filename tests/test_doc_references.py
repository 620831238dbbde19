"""Every test the docs cite exists: a `tests/...py` path, and each `path::name` in it.

docs/SECURITY.md names the test that shows each threat is handled; a renamed or
moved test must take its citation with it.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    *sorted((ROOT / "scripts").rglob("*.py")),
    ROOT / "tasks.py",
]
_QUOTED = re.compile(r"`([^`]+)`")
_PATH = re.compile(r"^((?:tests|benchmarks)/[\w/.-]*\.py)(?:::(\w+))?")
_BARE_PATH = re.compile(r"(?<![\w/])(tests/[\w/.-]*\.py)")


@cache
def _names(path: Path) -> frozenset[str]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    tree = ast.parse(path.read_text("utf-8"))
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, kinds))


def _defines(path: Path, name: str) -> bool:
    return name in _names(path)


def _citations(text: str) -> list[tuple[str, str | None]]:
    """(path, test name or None) for every citation; ``::name`` refers to the last path."""
    found: list[tuple[str, str | None]] = []
    for segment in re.split(r"\||\n\s*\n", text):  # a table cell or a paragraph
        current: str | None = None
        for token in (t.strip() for t in _QUOTED.findall(segment)):
            match = _PATH.match(token)
            if match:
                current = match.group(1)
                found.append((current, match.group(2)))
            elif token.startswith("::") and current is not None:
                found.append((current, token[2:]))
    found += [(m.group(1), None) for m in _BARE_PATH.finditer(text)]
    return found


def test_every_cited_test_exists():
    problems = []
    cited = 0
    for doc in DOCS:
        if not doc.exists():
            continue
        for path, name in _citations(doc.read_text("utf-8")):
            cited += 1
            if not (ROOT / path).exists():
                problems.append(f"{doc.relative_to(ROOT)}: {path} does not exist")
            elif name is not None and not _defines(ROOT / path, name):
                problems.append(f"{doc.relative_to(ROOT)}: {path}::{name} is not defined there")
    assert cited > 20, "the docs cite tests; none found means the parser is broken"
    assert problems == []


def test_a_citation_of_a_missing_test_is_found():
    text = (
        "| threat | `tests/test_doc_references.py::no_such_test`, "
        "`::test_every_cited_test_exists` |"
    )
    found = _citations(text)
    assert found == [
        ("tests/test_doc_references.py", "no_such_test"),
        ("tests/test_doc_references.py", "test_every_cited_test_exists"),
        ("tests/test_doc_references.py", None),
    ]
    path = ROOT / found[0][0]
    assert not _defines(path, "no_such_test")
    assert _defines(path, "test_every_cited_test_exists")
