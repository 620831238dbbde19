"""Read a playbook file into its model, with every problem reported as ``file:line:column``.

YAML syntax, duplicate keys, unknown keys, wrong types, unknown step types, step
arguments their type does not accept, and templates that refer to undefined
names are all found here, before any input is asked for or any step runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from glassdome.errors import GlassdomeError
from glassdome.playbook import template
from glassdome.playbook.model import Playbook, StepSpec
from glassdome.steps.base import StepType

__all__ = ["LoadedPlaybook", "PlaybookInvalid", "load_playbook", "read_yaml"]

_JINJA_GLOBALS = frozenset(
    {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "true", "false", "none"}
)


class PlaybookInvalid(GlassdomeError):
    """The playbook does not validate; nothing ran. Each problem is ``file:line:column: ...``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class LoadedPlaybook:
    """A validated playbook, the step type of each step, and where it came from."""

    path: Path
    model: Playbook
    types: dict[str, type[StepType]]  # type: ignore[type-arg]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def read_yaml(path: Path, *, what: str = "file") -> Any:
    """Parse *path* as YAML keeping positions; errors say where, never quote values."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookInvalid([f"{path}: no such {what}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookInvalid([f"{path}: cannot read the {what}: {exc}"]) from None
    try:
        return _yaml().load(text)
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
    pending, seen = [_yaml().compose(text)], set()
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


class _Positions:
    """Line and column of any node in the loaded YAML, addressed by a pydantic-style loc."""

    def __init__(self, path: Path, root: Any) -> None:
        self.path = path
        self.root = root

    def at(self, loc: Iterable[Any], *, key: bool = False) -> str:
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


def _describe_loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def _pydantic_problems(
    error: ValidationError,
    positions: _Positions,
    prefix: tuple[Any, ...],
    model: type[BaseModel],
    skip: Iterable[tuple[Any, ...]] = (),
) -> Iterator[str]:
    skipped = set(skip)
    for item in error.errors(include_input=False, include_url=False):
        loc = tuple(item["loc"])
        if any(loc[: len(s)] == s for s in skipped):
            continue
        where = positions.at(prefix + loc, key=item["type"] == "extra_forbidden")
        what = _describe_loc(prefix + loc) or "playbook"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            owner = _owner_model(model, loc[:-1])
            message = f"unknown key {loc[-1]!r}; allowed: {_allowed(owner)}" if owner else message
            what = _describe_loc(prefix + loc[:-1]) or "playbook"
        elif item["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
            what = _describe_loc(prefix + loc[:-1]) or "playbook"
        elif item["type"] == "literal_error":
            message = f"{message}"
        yield f"{where}: {what}: {message}"


def _owner_model(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that owns the mapping at *loc* (to list its allowed keys)."""
    from typing import get_args

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *get_args(annotation)]
        for candidate in candidates:
            for inner in [candidate, *get_args(candidate)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    current = inner
                    break
            else:
                continue
            break
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _templated_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if template.is_template(value):
        yield path
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _templated_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _templated_paths(v, (*path, i))


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


@dataclass
class _Scope:
    """The names a template at one place in the playbook may use."""

    inputs: set[str]
    vars: set[str]
    steps: dict[str, type[StepType]]  # type: ignore[type-arg]
    settings: _SettingNames

    def problem(self, ref: template.Reference) -> str | None:
        roots = ", ".join([*template.ROOTS, "secret()"])
        if ref.root == "secret" or ref.root in _JINJA_GLOBALS:
            return None
        if ref.root not in template.ROOTS:
            return f"undefined name {ref.root!r}; templates may use {roots}"
        if not ref.path:
            return None
        first = ref.path[0]
        if ref.root == "inputs" and first not in self.inputs:
            known = ", ".join(sorted(self.inputs)) or "none"
            return f"undefined input {first!r} (inputs declared before this point: {known})"
        if ref.root == "vars" and first not in self.vars:
            return f"undefined var {first!r} (vars: {', '.join(sorted(self.vars)) or 'none'})"
        if ref.root == "settings" and first not in self.settings:
            return f"unknown or secret setting {first!r}; use secret('name') for secrets"
        if ref.root == "steps":
            if first not in self.steps:
                known = ", ".join(self.steps) or "none"
                return f"step {first!r} does not run before this point (earlier steps: {known})"
            if len(ref.path) > 1:
                outputs = self.steps[first].Output.model_fields
                if ref.path[1] not in outputs:
                    return (
                        f"step {first!r} ({self.steps[first].name}) has no output "
                        f"{ref.path[1]!r}; outputs: {', '.join(outputs) or 'none'}"
                    )
        return None


def _check_template(source: str, scope: _Scope, where: str, *, expression: bool) -> Iterator[str]:
    try:
        refs = list(template.references(source, expression=expression))
    except TemplateSyntaxError as exc:
        yield f"{where}: template syntax: {exc.message}"
        return
    for ref in refs:
        problem = scope.problem(ref)
        if problem:
            yield f"{where}: {problem}"


class _SettingNames:
    """The non-secret setting names, read only if a template uses ``settings``."""

    def __contains__(self, name: object) -> bool:
        return name in _plain_settings()


@cache
def _plain_settings() -> frozenset[str]:
    from glassdome.core.config import SECRET_FIELDS, Settings

    return frozenset(name for name in Settings.model_fields if name not in SECRET_FIELDS)


def load_playbook(path: Path) -> LoadedPlaybook:
    """Read and validate *path*; raise `PlaybookInvalid` listing every problem found."""
    from glassdome.steps.registry import step_types

    path = Path(path)
    data = read_yaml(path, what="playbook")
    positions = _Positions(path, data)
    if not isinstance(data, Mapping):
        raise PlaybookInvalid([f"{positions.at(())}: a playbook is a mapping with name and steps"])
    problems: list[str] = []
    for section, key in (("inputs", "name"), ("steps", "id")):
        seen: dict[str, int] = {}
        for index, item in enumerate(data.get(section) or []):
            if isinstance(item, Mapping) and isinstance(item.get(key), str):
                if item[key] in seen:
                    problems.append(
                        f"{positions.at((section, index, key))}: duplicate {section[:-1]} "
                        f"{key} {item[key]!r} (first at {section}[{seen[item[key]]}])"
                    )
                seen.setdefault(item[key], index)
    if problems:
        raise PlaybookInvalid(problems)
    try:
        model = Playbook.model_validate(_plain(data))
    except ValidationError as exc:
        raise PlaybookInvalid(list(_pydantic_problems(exc, positions, (), Playbook))) from None

    known = step_types()
    types: dict[str, type[StepType]] = {}  # type: ignore[type-arg]
    scope = _Scope(set(), set(), {}, _SettingNames())
    for name, value in model.vars.items():
        for loc, text in _strings(value, ("vars", name)):
            if template.is_template(text):
                problems += _check_template(text, scope, positions.at(loc), expression=False)
        scope.vars.add(name)
    for index, spec in enumerate(model.inputs):
        for field in ("default", "when"):
            value = getattr(spec, field)
            for loc, text in _strings(value, ("inputs", index, field)):
                if field == "when" or template.is_template(text):
                    problems += _check_template(
                        text, scope, positions.at(loc), expression=field == "when"
                    )
        scope.inputs.add(spec.name)
    for index, step in enumerate(model.steps):
        problems += _check_step(step, index, known, types, scope, positions)
        if step.uses in known:
            scope.steps[step.id] = known[step.uses]
    if problems:
        raise PlaybookInvalid(problems)
    return LoadedPlaybook(path, model, types)


def _check_step(
    step: StepSpec,
    index: int,
    known: Mapping[str, type[StepType]],  # type: ignore[type-arg]
    types: dict[str, type[StepType]],  # type: ignore[type-arg]
    scope: _Scope,
    positions: _Positions,
) -> Iterator[str]:
    base = ("steps", index)
    if step.when is not None:
        yield from _check_template(step.when, scope, positions.at((*base, "when")), expression=True)
    step_type = known.get(step.uses)
    if step_type is None:
        yield (
            f"{positions.at((*base, 'uses'))}: steps[{index}].uses: unknown step type "
            f"{step.uses!r}; known: {', '.join(sorted(known))}"
        )
        return
    types[step.id] = step_type
    expressions: frozenset[str] = getattr(step_type, "expression_args", frozenset())
    for loc, text in _strings(step.with_, (*base, "with")):
        is_expression = len(loc) == 4 and loc[3] in expressions
        if is_expression or template.is_template(text):
            yield from _check_template(text, scope, positions.at(loc), expression=is_expression)
    try:
        step_type.Args.model_validate(step.with_)
    except ValidationError as exc:
        templated = list(_templated_paths(step.with_))
        yield from _pydantic_problems(exc, positions, (*base, "with"), step_type.Args, templated)


def _plain(value: Any) -> Any:
    """Ruamel's commented containers as plain dicts and lists (pydantic wants those)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
