"""One playbook run: load, build the template context, resolve inputs, run the steps.

`run_playbook` is the engine's entry point for `glassdome play`, `invoke
playbook.run` and the setup wizards. What it prints goes to the injected terminal
and report; every secret it meets (an input, a ``secret('name')`` lookup, a value a
step makes) is registered with the injected redactor before anything can show it.
Errors are raised, never printed: the caller's error boundary renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from glassdome.errors import UsageError
from glassdome.playbook.inputs import InputSources, resolve_inputs
from glassdome.playbook.loader import LoadedPlaybook, load_playbook
from glassdome.playbook.model import InputSpec, StepSpec
from glassdome.playbook.on_demand import InputsOnDemand
from glassdome.playbook.report import Report
from glassdome.playbook.runner import Recap, RunOptions, run_steps
from glassdome.playbook.template import SECRETS_KEY, TemplateFailed, render, touch
from glassdome.playbook.yamlfile import read_yaml
from glassdome.primitives.envfile import env_file_path
from glassdome.primitives.names import normalize_name
from glassdome.steps.base import StepContext
from glassdome.ui.console import Terminal
from glassdome.ui.prompts import ValidatedPrompt
from glassdome.ui.redact import Redactor

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager

__all__ = ["PlayIO", "PlayOptions", "playbook_label", "run_playbook"]


@dataclass(frozen=True, slots=True)
class PlayOptions:
    """How to run a playbook: the options of `glassdome play`, parsed."""

    check: bool = False
    answers: Path | None = None  # a YAML file of input values
    sets: Mapping[str, str] = field(default_factory=dict)  # --set NAME=VALUE
    tags: frozenset[str] = frozenset()
    skip_tags: frozenset[str] = frozenset()
    start_at: str | None = None
    no_input: bool = False
    no_verify: bool = False


@dataclass(frozen=True, slots=True)
class PlayIO:
    """Where a run talks: a terminal that masks what *redactor* holds, and the report."""

    term: Terminal
    redactor: Redactor
    report: Report


class _PlainSettings(Mapping[str, Any]):
    """``settings.NAME`` in templates: the plain (non-secret) setting values, read on first use.

    A read-only mapping of str, int, float, bool and None built from the settings' non-secret
    fields: no `SecretStr`, no method of `Settings`, nothing that opens the store, however a
    template reaches it (``settings.x``, ``settings['x']``, ``attr``, ``items()``).
    """

    def __init__(self) -> None:
        self._values: Mapping[str, Any] | None = None

    def _load(self) -> Mapping[str, Any]:
        if self._values is None:
            # Settings read .env and may open the store: only for a template that asks.
            from glassdome.core.config import SECRET_FIELDS, Settings, settings
            from glassdome.primitives.names import is_secret_variable

            plain = {
                name: value
                for name in Settings.model_fields
                if name not in SECRET_FIELDS and not is_secret_variable(name)
                for value in [getattr(settings, name)]
                if value is None or isinstance(value, str | int | float | bool)
            }
            self._values = MappingProxyType(plain)
        return self._values

    def __getitem__(self, name: str) -> Any:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _secrets_manager() -> SecretsManager:
    """The process's store, imported on first use.

    A playbook that never touches a secret does not load the crypto stack.
    """
    from glassdome.core.secrets import get_secrets_manager

    return get_secrets_manager()


def _read_answers(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = read_yaml(path, what="answers file").data
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise UsageError(f"{path}: an answers file is a mapping of input names to values")
    return dict(data)


def _ask(term: Terminal) -> Callable[[InputSpec, str | None, Callable[[str], Any]], Any]:
    def ask(spec: InputSpec, default: str | None, validate: Callable[[str], Any]) -> Any:
        label = escape(spec.prompt or spec.name)  # the playbook's text, not Rich markup
        if spec.help:
            term.err.print(f"[dim]{escape(spec.help)}[/]")
        return ValidatedPrompt.ask_validated(
            label,
            validate=validate,
            console=term.err,
            password=spec.type == "secret",
            choices=spec.choices,
            default=default,
        )

    return ask


def _secret_lookup(redactor: Redactor, pending: Mapping[str, str | None]) -> Callable[[str], str]:
    """``secret('name')`` in templates: the stored value (in check mode, what would be stored)."""

    def secret(name: str) -> str:
        key = normalize_name(name)
        if key in pending:
            value = pending[key]
            if value is None:
                raise TemplateFailed(
                    f"secret({name!r}): an earlier step generates it in a real run only; "
                    "--check cannot know its value"
                )
        else:
            value = _secrets_manager().get_secret(name)
        if value is None:
            raise TemplateFailed(f"secret({name!r}): not in the store")
        redactor.add(value)
        touch()  # whatever the template makes of the value is a secret too
        return value

    return secret


_ROOTS = ("playbooks", "_playbooks")  # a checkout's playbook folder, and the installed copy
_MAX_SOURCE = 900  # a metadata field holds at most 1024 characters, the step id included


def playbook_label(path: Path, cwd: Path | None = None) -> str:
    """How a store's source names the playbook: relative to the playbook root.

    The root is the nearest enclosing ``playbooks`` folder (so a built-in wizard is
    ``setup/proxmox.yml`` from a checkout and an install alike), else the working
    folder; a playbook outside both is named by its full path (its file name, if long).
    """
    resolved = path.resolve()
    for parent in resolved.parents:
        if parent.name in _ROOTS:
            label = resolved.relative_to(parent).as_posix()
            break
    else:
        base = (cwd or Path.cwd()).resolve()
        label = resolved.as_posix()
        if resolved.is_relative_to(base):
            label = resolved.relative_to(base).as_posix()
    return label if len(label) <= _MAX_SOURCE else resolved.name[:_MAX_SOURCE]


def _check_start_at(loaded: LoadedPlaybook, start_at: str | None) -> None:
    ids = [step.id for step in loaded.model.steps]
    if start_at is not None and start_at not in ids:
        raise UsageError(f"--start-at {start_at!r}: no such step; steps: {', '.join(ids)}")


def _nothing(step: StepSpec) -> None:
    """Every input is known before the first step: nothing to ask as steps come up."""


def run_playbook(path: Path, options: PlayOptions, io: PlayIO) -> Recap:
    """Load, validate and run the playbook at *path*; return what each step did.

    Raises `PlaybookInvalid` before anything runs, `InputsMissing` when inputs are
    missing and nobody can be asked, `UsageError` for options that do not fit the
    playbook. A failed step is not an error: it is in the recap (`Recap.failed`).
    """
    term, redactor = io.term, io.redactor
    loaded = load_playbook(Path(path))
    model = loaded.model
    _check_start_at(loaded, options.start_at)

    pending: dict[str, str | None] = {}  # check mode: what earlier steps would store
    functions = {"secret": _secret_lookup(redactor, pending)}
    context: dict[str, Any] = {
        "vars": {},
        "settings": _PlainSettings(),
        "steps": {},
        "inputs": {},
        SECRETS_KEY: redactor,  # secret-derived values are masked and kept out of .env
    }
    for name, value in model.vars.items():
        context["vars"][name] = render(value, context, functions)
    answer_values = _read_answers(options.answers)
    secret_inputs = {spec.name for spec in model.inputs if spec.type == "secret"}
    for name, value in answer_values.items():
        if name in secret_inputs and isinstance(value, str):
            redactor.add(value)
    interactive = term.interactive and not options.no_input
    sources = InputSources(
        sets=options.sets,
        env=term.env,
        answers=answer_values,
        interactive=interactive,
        ask=_ask(term) if interactive else None,
        warn=lambda message: term.warn(escape(message)),  # the playbook's text, not markup
    )
    # `ask` steps take their answers from the same sources while the playbook runs.
    asked = [str(s.with_.get("input")) for s in model.steps if s.uses == "ask"]
    prepare: Callable[[StepSpec], None] | None = None
    if interactive:  # each input asked for when the first step that uses it runs
        prepare = InputsOnDemand(loaded, sources, context, functions, redactor.add, asked).prepare
    else:  # every missing input listed at once, before anything runs
        resolve_inputs(model.inputs, sources, context, functions, redactor.add, asked)

    step_context = StepContext(
        secrets=_secrets_manager,
        env_file=env_file_path(term.env),
        term=term,
        register_secret=redactor.add,
        is_secret=redactor.holds,
        shown=redactor.shown,
        check_mode=options.check,
        sources=sources,
        verify=not options.no_verify,
        pending=pending,
        playbook=playbook_label(Path(path)),
    )
    if options.no_verify:
        term.warn("--no-verify: credentials are stored without checking them against the platform")
    run_options = RunOptions(
        check=options.check,
        tags=options.tags,
        skip_tags=options.skip_tags,
        start_at=options.start_at,
    )
    report = io.report
    report.start(model.name, check=options.check)
    recap = run_steps(
        loaded,
        context,
        functions,
        step_context,
        run_options,
        report.step_done,
        report.step_started,
        prepare or _nothing,
    )
    report.finish(recap)
    return recap
