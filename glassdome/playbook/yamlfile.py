"""Reading YAML files (playbooks, answers) fast, and placing problems at ``file:line:column``.

A file is parsed once with ruamel.yaml's safe loader, on its C parser when
``ruamel.yaml.clib`` is installed: YAML 1.2, duplicate keys refused, plain dicts and
lists out. Line and column numbers are needed only to report a problem, so the
round-trip parse that records them runs only then. The round-trip parser is also
the authority: whatever the fast path refuses (a syntax error, a duplicate key, a
tag) is parsed again by it, and its answer, value or positioned error, is final.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from glassdome.errors import GlassdomeError

__all__ = ["PlaybookInvalid", "Positions", "YamlFile", "plain", "read_yaml"]


class PlaybookInvalid(GlassdomeError):
    """The playbook does not validate; nothing ran. Each problem is ``file:line:column: ...``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@cache
def _fast() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    return yaml


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


class YamlFile:
    """One parsed file: its ``data`` (plain containers) and, on demand, its positions."""

    def __init__(self, path: Path, text: str, data: Any, tree: Any = None) -> None:
        self.path = path
        self.text = text
        self.data = data
        self._tree = tree

    @property
    def positions(self) -> Positions:
        """Where each value sits, from a round-trip parse made the first time it is asked."""
        if self._tree is None:
            self._tree = _parse_round_trip(self.path, self.text)
        return Positions(self.path, self._tree)


def read_yaml(path: Path, *, what: str = "file") -> YamlFile:
    """Parse *path*; a problem says where it is and never quotes a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookInvalid([f"{path}: no such {what}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookInvalid([f"{path}: cannot read the {what}: {exc}"]) from None
    try:
        return YamlFile(path, text, _fast().load(text))
    except Exception:  # noqa: BLE001 - the round-trip parser decides, and says where
        tree = _parse_round_trip(path, text)
        return YamlFile(path, text, plain(tree), tree)


def _parse_round_trip(path: Path, text: str) -> Any:
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    try:
        return _round_trip().load(text)
    except DuplicateKeyError as exc:
        # ruamel's own message quotes both values; a key is safe to name, a value is not.
        found = re.search(r'found duplicate key "(.*?)"', str(exc.problem))
        key = found.group(1) if found else "?"
        mark = exc.problem_mark
        # ruamel's context mark is where the mapping starts, not where the key first was.
        first = _first_key_line(text, exc.context_mark, key)
        where = f" (first at line {first})" if first is not None else ""
        raise PlaybookInvalid(
            [f"{path}:{mark.line + 1}:{mark.column + 1}: duplicate key {key!r}{where}"]
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        start = exc.context_mark
        if exc.problem and exc.context and start is not None and start is not mark:
            # Where the unfinished construct began (an unclosed quote is found only at the end).
            problem += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
        raise PlaybookInvalid([f"{path}:{line}:{column}: YAML syntax: {problem}"]) from None


def _first_key_line(text: str, mapping: Any, key: str) -> int | None:
    """The line where *key* first occurs in the mapping that starts at the mark *mapping*."""
    from ruamel.yaml.nodes import MappingNode

    if mapping is None:
        return None
    pending, seen = [_round_trip().compose(text)], set()
    while pending:
        node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode) and node.start_mark.index == mapping.index:
            return next((k.start_mark.line + 1 for k, _ in node.value if k.value == key), None)
        if isinstance(node.value, list):
            for item in node.value:
                pending.extend(item if isinstance(item, tuple) else (item,))
    return None


class Positions:
    """Line and column of any node in the loaded YAML, addressed by a pydantic-style loc."""

    def __init__(self, path: Path, root: Any) -> None:
        self.path = path
        self.root = root

    def at(self, loc: Iterable[Any], *, key: bool = False) -> str:
        """``file:line:column`` of the value (or, with *key*, the key) at *loc*."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node, line, column = self.root, 0, 0
        if hasattr(node, "lc"):
            line, column = node.lc.line, node.lc.col
        parts = list(loc)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.key(part) if (key and last) else node.lc.value(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
            else:
                break
        return f"{self.path}:{line + 1}:{column + 1}"


def plain(value: Any) -> Any:
    """Ruamel's commented containers as plain dicts and lists (pydantic wants those)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
