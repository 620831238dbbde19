"""Reading YAML files (playbooks, answers) fast, and placing problems at ``file:line:column``.

A file is parsed once with ruamel.yaml's safe loader, on its C parser when
``ruamel.yaml.clib`` is installed: YAML 1.2, duplicate keys refused, plain dicts and
lists out. Line and column numbers are needed only to report a problem, so the
round-trip parse that records them runs only then. The round-trip parser is also
the authority: whatever the fast path refuses (a syntax error, a duplicate key, a
tag) is parsed again by it, and its answer, value or positioned error, is final.

Limits, checked before any Python object is built (an alias bomb is a few hundred
bytes that expand to millions of nodes, and a recursive alias never ends):

* `MAX_BYTES`: a file larger than 1 MiB is refused unread.
* `MAX_NODES`: the document may hold at most 100,000 nodes counted as if every alias
  were expanded (an alias counts as the whole node it names); an alias to a node that
  is still open (``x: &x [*x]``) is refused.
* `MAX_DEPTH`: collections nest at most 100 deep (the composer, the constructor and
  the validation that follows recurse once per level).

These are counted on the parser's event stream, which holds every alias once, so the
check costs time and memory in proportion to the file, not to its expansion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from glassdome.errors import PlaybookInvalid

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "PlaybookInvalid",
    "Positions",
    "YamlFile",
    "plain",
    "read_yaml",
]

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 100


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
    text = _read_text(path, what)
    try:
        _check_size(path, _fast().parse(text))
        data = _fast().load(text)
    except PlaybookInvalid:
        raise
    except Exception:  # noqa: BLE001 - the round-trip parser decides, and says where
        tree = _parse_round_trip(path, text)
        return YamlFile(path, text, plain(tree), tree)
    return YamlFile(path, text, data)


def _read_text(path: Path, what: str) -> str:
    """The text of *path*, at most `MAX_BYTES` of UTF-8."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise PlaybookInvalid([f"{path}: no such {what}"]) from None
    except OSError as exc:
        raise PlaybookInvalid([f"{path}: cannot read the {what}: {exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise PlaybookInvalid(
            [f"{path}:1:1: the {what} is larger than {MAX_BYTES // (1024 * 1024)} MiB; refused"]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PlaybookInvalid(
            [f"{path}:{line}:{column}: cannot read the {what}: not UTF-8 text"]
        ) from None


def _check_size(path: Path, events: Iterable[Any]) -> None:
    """Refuse a document too big once its aliases are expanded, recursive, or too deep.

    *events* is the parser's event stream: each node is counted once as it is met and
    each alias as the size of the node it names, so nothing is ever expanded.
    """
    size = _ExpandedSize()
    for event in events:
        problem = size.feed(event)
        if problem is None and size.count > MAX_NODES:
            problem = f"more than {MAX_NODES:,} nodes once aliases are expanded"
        if problem is not None:
            mark = event.start_mark
            raise PlaybookInvalid([f"{path}:{mark.line + 1}:{mark.column + 1}: {problem}"])


class _ExpandedSize:
    """The node count of a YAML event stream with every alias counted as what it names."""

    def __init__(self) -> None:
        from ruamel.yaml import events

        self._events = events
        self.count = 0
        self._sizes: dict[str, int | None] = {}  # anchor -> expanded size; None while open
        self._collections: set[str] = set()  # anchors that name a mapping or a sequence
        # Per open collection: its anchor, the count before it, and (in a mapping) how
        # many nodes it holds so far, to tell a key from a value; None in a sequence.
        self._open: list[tuple[str | None, int, list[int] | None]] = []

    def feed(self, event: Any) -> str | None:
        """Count *event*; the problem it makes, if any."""
        events = self._events
        if isinstance(event, events.NodeEvent) and self._is_collection_key(event):
            return "a mapping key must be a plain value, not a mapping or a list"
        if (
            not isinstance(event, events.AliasEvent)
            and getattr(event, "anchor", None) is not None
            and event.anchor in self._sizes
        ):
            # YAML lets a later anchor hide an earlier one; in a playbook it is a mistake.
            return f"the anchor &{event.anchor} is defined twice"
        if isinstance(event, events.AliasEvent):
            size = self._sizes.get(event.anchor, 0)
            if size is None:
                return f"the alias *{event.anchor} refers to a node that contains it"
            self.count += size
        elif isinstance(event, events.CollectionStartEvent):
            held = [0] if isinstance(event, events.MappingStartEvent) else None
            self._open.append((event.anchor, self.count, held))
            self.count += 1
            if event.anchor is not None:
                self._sizes[event.anchor] = None
                self._collections.add(event.anchor)
            if len(self._open) > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} deep"
        elif isinstance(event, events.CollectionEndEvent):
            anchor, before, _ = self._open.pop()
            if anchor is not None:
                self._sizes[anchor] = self.count - before
        elif isinstance(event, events.NodeEvent):  # a scalar
            self.count += 1
            if event.anchor is not None:
                self._sizes[event.anchor] = 1
                self._collections.discard(event.anchor)
        return None

    def _is_collection_key(self, event: Any) -> bool:
        """Whether *event* is a mapping key that is a collection (or an alias to one)."""
        if not self._open or self._open[-1][2] is None:
            return False
        held = self._open[-1][2]
        is_key = held[0] % 2 == 0
        held[0] += 1
        events = self._events
        return is_key and (
            isinstance(event, events.CollectionStartEvent)
            or (isinstance(event, events.AliasEvent) and event.anchor in self._collections)
        )


def _parse_round_trip(path: Path, text: str) -> Any:
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        _check_size(path, _round_trip().parse(text))
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
    except ReaderError as exc:
        # A control character (NUL, ...) the reader refuses before any token: only an offset.
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise PlaybookInvalid(
            [f"{path}:{line}:{column}: YAML syntax: character #x{exc.character:04x} not allowed"]
        ) from None


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
                line, column = _place(node, part, key=key and last)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
            else:
                break
        # A tagged scalar at the top has no recorded place: the start of the file then.
        return f"{self.path}:{(line or 0) + 1}:{(column or 0) + 1}"


def _place(mapping: Any, part: Any, *, key: bool) -> tuple[int, int]:
    """Line and column of *part*'s value (or key) in *mapping*, or in a mapping merged in.

    A key merged in with ``<<: *anchor`` is written where the anchored mapping is; without
    a place found there, the mapping's own start stands in.
    """
    from ruamel.yaml.comments import CommentedMap

    if part in (mapping.lc.data or {}):  # None when every key is merged in
        found: tuple[int, int] = mapping.lc.key(part) if key else mapping.lc.value(part)
        return found
    for merged in getattr(mapping, "merge", ()):
        source = merged[1] if isinstance(merged, tuple) else merged  # (index, map) before 0.19
        if isinstance(source, CommentedMap) and part in source:
            return _place(source, part, key=key)
    return mapping.lc.line, mapping.lc.col


def plain(value: Any) -> Any:
    """Ruamel's commented containers as plain dicts and lists (pydantic wants those)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
