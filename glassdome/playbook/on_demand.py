"""On a terminal, each input is asked for when the first step (or ``when:``) that uses it runs.

A wizard then reads and confirms a server's certificate right after its host and
port, and asks for a password only when the step that logs in is about to run: a
mistyped host fails before anything secret was typed. Which inputs a step uses is
read from its templates (`glassdome.playbook.template.references`), with the inputs
those inputs' own ``when:`` and defaults use; they are asked in playbook order.
Without a terminal every input is resolved before the first step, all missing ones
listed at once (`glassdome.playbook.inputs.resolve_inputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from glassdome.playbook.inputs import InputSources, check_names, register_given, resolve_one
from glassdome.playbook.loader import LoadedPlaybook
from glassdome.playbook.model import InputSpec, StepSpec
from glassdome.playbook.template import TemplateFailed, evaluate, is_template, references

__all__ = ["InputsOnDemand"]

_ALL = "*"  # a template that uses ``inputs`` as a whole needs every input


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _used(texts: Iterable[str], *, expression: bool) -> set[str]:
    """The input names *texts* refer to (`_ALL` for ``inputs`` itself)."""
    names: set[str] = set()
    for text in texts:
        if not expression and not is_template(text):
            continue
        for ref in references(text, expression=expression):
            if ref.root == "inputs":
                names.add(ref.path[0] if ref.path else _ALL)
    return names


class InputsOnDemand:
    """Resolves inputs as the steps that use them come up (`prepare`), in playbook order."""

    def __init__(
        self,
        loaded: LoadedPlaybook,
        sources: InputSources,
        context: dict[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        register_secret: Callable[[str], None],
        asked: Iterable[str] = (),
    ) -> None:
        self._loaded = loaded
        self._specs: list[InputSpec] = list(loaded.model.inputs)
        self._sources = sources
        self._context = context
        self._functions = functions
        self._register = register_secret
        self._values: dict[str, Any] = {}
        context["inputs"] = self._values
        check_names(self._specs, sources, asked)  # a typo is refused before anything runs
        register_given(self._specs, sources, register_secret)
        self._order = {spec.name: index for index, spec in enumerate(self._specs)}
        self._uses = {
            spec.name: _used([spec.when] if spec.when else [], expression=True)
            | _used(_strings(spec.default), expression=False)
            for spec in self._specs
        }

    def prepare(self, step: StepSpec) -> None:
        """Ask for what *step*'s ``when:`` uses; if it then runs, for what its ``with`` uses.

        The step's own inputs declared before those its ``when:`` uses are asked first,
        so a wizard asks host and port before how to trust that host's certificate.
        """
        uses = self._with_names(step)
        if step.when is not None:
            deciding = self._closure(_used([step.when], expression=True))
            last = max((self._order[name] for name in deciding), default=-1)
            self._need(deciding | {name for name in uses if self._order.get(name, last) < last})
            try:
                if not evaluate(step.when, self._context, self._functions):
                    return
            except TemplateFailed:
                return  # the runner evaluates it again and reports the step failed
        self._need(uses)

    def _with_names(self, step: StepSpec) -> set[str]:
        """The inputs *step*'s ``with`` uses, with those their ``when:`` and defaults use."""
        step_type = self._loaded.types[step.id]
        expressions = [
            value
            for key, value in step.with_.items()
            if key in step_type.expression_args and isinstance(value, str)
        ]
        plain = [
            text
            for key, value in step.with_.items()
            if not (key in step_type.expression_args and isinstance(value, str))
            for text in _strings(value)
        ]
        return self._closure(_used(expressions, expression=True) | _used(plain, expression=False))

    def _need(self, names: set[str]) -> None:
        wanted = self._closure(names)
        for spec in self._specs:  # playbook order: a default may use an earlier input
            if spec.name in wanted and spec.name not in self._values:
                value = resolve_one(spec, self._sources, self._context, self._functions)
                self._values[spec.name] = value
                if spec.type == "secret" and value is not None:
                    self._register(value)

    def _closure(self, names: set[str]) -> set[str]:
        """*names* with every input their ``when:`` and defaults use, transitively."""
        wanted: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name == _ALL:
                return set(self._uses)
            if name in wanted or name not in self._uses:
                continue
            wanted.add(name)
            todo += self._uses[name]
        return wanted
