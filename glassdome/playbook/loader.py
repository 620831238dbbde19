"""Read a playbook file into its model, with every problem reported as ``file:line:column``.

YAML syntax, duplicate keys, unknown keys, wrong types, unknown step types, step
arguments their type does not accept, and templates that refer to undefined
names are all found here, before any input is asked for or any step runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from glassdome.playbook import template
from glassdome.playbook.model import Playbook, StepSpec
from glassdome.playbook.yamlfile import PlaybookInvalid, YamlFile, plain, read_yaml
from glassdome.steps.base import StepClass

__all__ = ["LoadedPlaybook", "PlaybookInvalid", "load_playbook", "read_yaml"]

_JINJA_GLOBALS = frozenset(
    {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "true", "false", "none"}
)


@dataclass(frozen=True, slots=True)
class LoadedPlaybook:
    """A validated playbook, the step type of each step, and where it came from."""

    path: Path
    model: Playbook
    types: dict[str, StepClass]


def _describe_loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def _pydantic_problems(
    error: ValidationError,
    source: YamlFile,
    prefix: tuple[Any, ...],
    model: type[BaseModel],
    skip: Iterable[tuple[Any, ...]] = (),
) -> Iterator[str]:
    skipped = set(skip)
    for item in error.errors(include_input=False, include_url=False):
        loc = tuple(item["loc"])
        if any(loc[: len(s)] == s for s in skipped):
            continue
        where = source.positions.at(prefix + loc, key=item["type"] == "extra_forbidden")
        what = _describe_loc(prefix + loc) or "playbook"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            owner = _owner_model(model, loc[:-1])
            message = f"unknown key {loc[-1]!r}; allowed: {_allowed(owner)}" if owner else message
            what = _describe_loc(prefix + loc[:-1]) or "playbook"
        elif item["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
            what = _describe_loc(prefix + loc[:-1]) or "playbook"
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
    types: Mapping[str, StepClass]
    steps: dict[str, StepSpec]  # the steps that run before this point, by id
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
                uses = self.steps[first].uses
                outputs = self.types[uses].Output.model_fields
                if ref.path[1] not in outputs:
                    return (
                        f"step {first!r} ({uses}) has no output "
                        f"{ref.path[1]!r}; outputs: {', '.join(outputs) or 'none'}"
                    )
        return None


def _check_template(
    text: str, scope: _Scope, source: YamlFile, loc: tuple[Any, ...], *, expression: bool
) -> Iterator[str]:
    try:
        refs = template.references(text, expression=expression)
    except template.TemplateSyntax as exc:
        yield f"{source.positions.at(loc)}: template syntax: {exc.message}"
        return
    for ref in refs:
        problem = scope.problem(ref)
        if problem:
            yield f"{source.positions.at(loc)}: {problem}"


class _SettingNames:
    """The non-secret setting names, read only if a template uses ``settings``."""

    def __contains__(self, name: object) -> bool:
        return name in _plain_settings()


@cache
def _plain_settings() -> frozenset[str]:
    from glassdome.core.config import Settings
    from glassdome.primitives.names import is_secret_variable

    return frozenset(name for name in Settings.model_fields if not is_secret_variable(name))


def load_playbook(path: Path) -> LoadedPlaybook:
    """Read and validate *path*; raise `PlaybookInvalid` listing every problem found."""
    from glassdome.steps.registry import step_types

    path = Path(path)
    source = read_yaml(path, what="playbook")
    data = source.data
    if not isinstance(data, Mapping):
        where = source.positions.at(())
        raise PlaybookInvalid([f"{where}: a playbook is a mapping with name and steps"])
    problems = list(_duplicates(data, source))
    if problems:
        raise PlaybookInvalid(problems)
    try:
        model = Playbook.model_validate(plain(data))
    except ValidationError as exc:
        raise PlaybookInvalid(list(_pydantic_problems(exc, source, (), Playbook))) from None

    known = step_types()
    types: dict[str, StepClass] = {}
    scope = _Scope(set(), set(), known, {}, _SettingNames())
    problems += _check_vars_and_inputs(model, scope, source)
    for index, step in enumerate(model.steps):
        problems += _check_step(step, index, known, types, scope, source)
        if step.uses in known:
            scope.steps[step.id] = step
    if problems:
        raise PlaybookInvalid(problems)
    return LoadedPlaybook(path, model, types)


def _duplicates(data: Mapping[str, Any], source: YamlFile) -> Iterator[str]:
    """A second input with a name, or step with an id, already used."""
    for section, key in (("inputs", "name"), ("steps", "id")):
        seen: dict[str, int] = {}
        for index, item in enumerate(data.get(section) or []):
            if isinstance(item, Mapping) and isinstance(item.get(key), str):
                if item[key] in seen:
                    yield (
                        f"{source.positions.at((section, index, key))}: duplicate {section[:-1]} "
                        f"{key} {item[key]!r} (first at {section}[{seen[item[key]]}])"
                    )
                seen.setdefault(item[key], index)


def _check_vars_and_inputs(model: Playbook, scope: _Scope, source: YamlFile) -> Iterator[str]:
    """Check the templates of vars and inputs, adding each name to *scope* once checked."""
    for name, value in model.vars.items():
        for loc, text in _strings(value, ("vars", name)):
            if template.is_template(text):
                yield from _check_template(text, scope, source, loc, expression=False)
        scope.vars.add(name)
    for index, spec in enumerate(model.inputs):
        for field in ("default", "when"):
            value = getattr(spec, field)
            for loc, text in _strings(value, ("inputs", index, field)):
                if field == "when" or template.is_template(text):
                    yield from _check_template(text, scope, source, loc, expression=field == "when")
        scope.inputs.add(spec.name)


def _check_step(
    step: StepSpec,
    index: int,
    known: Mapping[str, StepClass],
    types: dict[str, StepClass],
    scope: _Scope,
    source: YamlFile,
) -> Iterator[str]:
    base = ("steps", index)
    if step.when is not None:
        yield from _check_template(step.when, scope, source, (*base, "when"), expression=True)
    step_type = known.get(step.uses)
    if step_type is None:
        yield (
            f"{source.positions.at((*base, 'uses'))}: steps[{index}].uses: unknown step type "
            f"{step.uses!r}; known: {', '.join(sorted(known))}"
        )
        return
    types[step.id] = step_type
    for loc, text in _strings(step.with_, (*base, "with")):
        is_expression = len(loc) == 4 and loc[3] in step_type.expression_args
        if is_expression or template.is_template(text):
            yield from _check_template(text, scope, source, loc, expression=is_expression)
    try:
        step_type.Args.model_validate(step.with_)
    except ValidationError as exc:
        templated = list(_templated_paths(step.with_))
        yield from _pydantic_problems(exc, source, (*base, "with"), step_type.Args, templated)
