"""`glassdome play` and `glassdome playbook ...`: load, validate, ask, run, report."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassdome.errors import GlassdomeError, UsageError, debug_enabled
from glassdome.ui.console import Terminal
from glassdome.ui.redact import RedactingStream, Redactor

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager

__all__ = ["EXIT_INPUTS", "list_playbooks", "play", "print_schema", "validate"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INPUTS = 0, 1, 2, 3


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
            from types import MappingProxyType

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


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()  # through the redacting stderr


def _secrets_manager() -> SecretsManager:
    """The process's store, imported on first use.

    A playbook that never touches a secret does not load the crypto stack.
    """
    from glassdome.core.secrets import get_secrets_manager

    return get_secrets_manager()


def _parse_sets(sets: Iterable[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError("--set takes NAME=VALUE (the value is not shown here)")
        parsed[name.strip()] = value
    return parsed


def _read_answers(path: Path | None) -> dict[str, Any]:
    from glassdome.playbook.yamlfile import read_yaml

    if path is None:
        return {}
    data = read_yaml(path, what="answers file").data
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise UsageError(f"{path}: an answers file is a mapping of input names to values")
    return dict(data)


def _ask(term: Terminal) -> Any:
    from rich.markup import escape

    from glassdome.ui.prompts import ValidatedPrompt

    def ask(spec: Any, default: str | None, validate: Any) -> Any:
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


def play(
    term: Terminal,
    playbook: Path,
    *,
    check: bool = False,
    answers: Path | None = None,
    sets: Sequence[str] = (),
    tags: Sequence[str] = (),
    skip_tags: Sequence[str] = (),
    start_at: str | None = None,
    list_steps: bool = False,
    as_json: bool = False,
    no_input: bool = False,
    no_verify: bool = False,
) -> int:
    """Run a playbook; 0 ok, 1 a step failed, 2 invalid playbook or usage, 3 inputs missing."""
    redactor = Redactor()
    out = RedactingStream(term.stdout, redactor)
    err = RedactingStream(term.stderr, redactor)
    safe = Terminal(stdin=term.stdin, stdout=out, stderr=err, env=term.env)  # type: ignore[arg-type]
    with redirect_stdout(out), redirect_stderr(err):
        try:
            return _play(
                safe,
                redactor,
                Path(playbook),
                check=check,
                answers=answers,
                sets=sets,
                tags=tags,
                skip_tags=skip_tags,
                start_at=start_at,
                list_steps=list_steps,
                as_json=as_json,
                no_input=no_input,
                no_verify=no_verify,
            )
        except GlassdomeError as exc:
            from glassdome.playbook.inputs import InputsMissing
            from glassdome.playbook.loader import PlaybookInvalid

            if isinstance(exc, InputsMissing):
                code = EXIT_INPUTS
            elif isinstance(exc, PlaybookInvalid | UsageError):
                code = EXIT_INVALID
            else:
                code = EXIT_FAILED
            print(f"glassdome: error: {exc}", file=sys.stderr)
            if debug_enabled(term.env):
                _print_traceback()
            return code
        except Exception as exc:  # noqa: BLE001 - reported here, masked; Python's own report is not
            debug = debug_enabled(term.env)
            hint = "" if debug else " (GLASSDOME_DEBUG=1 shows where)"
            print(
                f"glassdome: error: unexpected {type(exc).__name__}: {exc}{hint}", file=sys.stderr
            )
            if debug:
                _print_traceback()
            return EXIT_FAILED


def _play(
    term: Terminal,
    redactor: Redactor,
    path: Path,
    *,
    check: bool,
    answers: Path | None,
    sets: Sequence[str],
    tags: Sequence[str],
    skip_tags: Sequence[str],
    start_at: str | None,
    list_steps: bool,
    as_json: bool,
    no_input: bool,
    no_verify: bool = False,
) -> int:
    from glassdome.playbook.inputs import InputSources, resolve_inputs
    from glassdome.playbook.loader import load_playbook
    from glassdome.playbook.report import HumanReport, JsonReport
    from glassdome.playbook.runner import RunOptions, run_steps
    from glassdome.playbook.template import SECRETS_KEY, TemplateFailed, render, touch
    from glassdome.primitives.envfile import env_file_path
    from glassdome.primitives.names import normalize_name
    from glassdome.steps.base import StepContext

    loaded = load_playbook(path)
    model = loaded.model
    if list_steps:
        for step in model.steps:
            extra = f"  tags: {', '.join(step.tags)}" if step.tags else ""
            when = f"  when: {step.when}" if step.when else ""
            term.stdout.write(f"{step.id}  ({step.uses}){extra}{when}\n")
        return EXIT_OK
    ids = [step.id for step in model.steps]
    if start_at is not None and start_at not in ids:
        raise UsageError(f"--start-at {start_at!r}: no such step; steps: {', '.join(ids)}")

    pending: dict[str, str | None] = {}  # check mode: what earlier steps would store

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

    functions = {"secret": secret}
    context: dict[str, Any] = {
        "vars": {},
        "settings": _PlainSettings(),
        "steps": {},
        "inputs": {},
        SECRETS_KEY: redactor,  # secret-derived values are masked and kept out of .env
    }
    for name, value in model.vars.items():
        context["vars"][name] = render(value, context, functions)
    answer_values = _read_answers(answers)
    secret_inputs = {spec.name for spec in model.inputs if spec.type == "secret"}
    for name, value in answer_values.items():
        if name in secret_inputs and isinstance(value, str):
            redactor.add(value)
    interactive = term.interactive and not no_input
    sources = InputSources(
        sets=_parse_sets(sets),
        env=term.env,
        answers=answer_values,
        interactive=interactive,
        ask=_ask(term) if interactive else None,
        warn=lambda message: term.warn(_escape(message)),  # the playbook's text, not markup
    )
    # `ask` steps take their answers from the same sources while the playbook runs.
    asked = [str(s.with_.get("input")) for s in model.steps if s.uses == "ask"]
    resolve_inputs(model.inputs, sources, context, functions, redactor.add, asked)

    report = JsonReport(term) if as_json else HumanReport(term)
    step_context = StepContext(
        secrets=_secrets_manager,
        env_file=env_file_path(term.env),
        term=term,
        register_secret=redactor.add,
        is_secret=redactor.holds,
        shown=redactor.shown,
        check_mode=check,
        sources=sources,
        verify=not no_verify,
        pending=pending,
    )
    if no_verify:
        term.warn("--no-verify: credentials are stored without checking them against the platform")
    options = RunOptions(
        check=check, tags=frozenset(tags), skip_tags=frozenset(skip_tags), start_at=start_at
    )
    report.start(model.name, check=check)
    recap = run_steps(
        loaded, context, functions, step_context, options, report.step_done, report.step_started
    )
    report.finish(recap)
    if as_json:
        HumanReport(term, to_stderr=True).finish(recap)
    return EXIT_FAILED if recap.failed else EXIT_OK


def validate(term: Terminal, playbook: Path) -> int:
    """Validate a playbook without running it; 2 with every problem when invalid."""
    from glassdome.playbook.loader import PlaybookInvalid, load_playbook

    try:
        loaded = load_playbook(Path(playbook))
    except PlaybookInvalid as exc:
        term.stderr.write(f"{exc}\n")
        return EXIT_INVALID
    term.say(
        f"{playbook}: valid ({len(loaded.model.steps)} steps, {len(loaded.model.inputs)} inputs)"
    )
    return EXIT_OK


def print_schema(term: Terminal) -> int:
    """Print the JSON Schema of playbook files (for editors)."""
    import json

    from glassdome.playbook.schema import playbook_schema

    term.stdout.write(json.dumps(playbook_schema(), indent=2) + "\n")
    return EXIT_OK


def list_playbooks(term: Terminal, folder: Path = Path("playbooks")) -> int:
    """List the playbooks under *folder* with their descriptions."""
    from glassdome.playbook.loader import PlaybookInvalid, load_playbook

    found = sorted(folder.rglob("*.yml")) + sorted(folder.rglob("*.yaml"))
    if not found:
        term.say(f"No playbooks under {folder}.")
        return EXIT_OK
    from rich.markup import escape
    from rich.table import Table

    # Paths, descriptions and problems are text, not Rich markup ("pattern '^[a-z_]...'").
    table = Table(title=f"Playbooks under {escape(str(folder))}", title_justify="left")
    table.add_column("playbook")
    table.add_column("description")
    for path in found:
        try:
            model = load_playbook(path).model
            table.add_row(escape(str(path)), escape(model.description or model.name))
        except PlaybookInvalid as exc:
            table.add_row(escape(str(path)), f"[red]invalid:[/] {escape(exc.problems[0])}")
    term.out.print(table)
    return EXIT_OK
