"""`glassdome play` and `glassdome playbook ...`: options in, the engine, the report out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from glassdome.commands.builtins import builtin_playbooks, builtin_roots, resolve_playbook
from glassdome.errors import PlaybookInvalid, UsageError
from glassdome.playbook.loader import load_playbook
from glassdome.playbook.report import HumanReport, JsonReport
from glassdome.playbook.run import PlayIO, PlayOptions, run_playbook
from glassdome.playbook.schema import playbook_schema
from glassdome.ui.console import Terminal
from glassdome.ui.redact import Redactor

__all__ = ["list_playbooks", "play", "print_schema", "validate"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _parse_sets(sets: Iterable[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError("--set takes NAME=VALUE (the value is not shown here)")
        parsed[name.strip()] = value
    return parsed


def _list_steps(term: Terminal, playbook: Path) -> int:
    for step in load_playbook(playbook).model.steps:
        extra = f"  tags: {', '.join(step.tags)}" if step.tags else ""
        when = f"  when: {step.when}" if step.when else ""
        term.stdout.write(f"{step.id}  ({step.uses}){extra}{when}\n")
    return EXIT_OK


def play(
    term: Terminal,
    redactor: Redactor,
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
    """Run a playbook; 0 ok, 1 a step failed (errors are raised with their own exit codes).

    *term* must mask what *redactor* holds (`glassdome.boundary.guarded` gives such a pair).
    """
    playbook = resolve_playbook(playbook)
    if list_steps:
        return _list_steps(term, playbook)
    options = PlayOptions(
        check=check,
        answers=answers,
        sets=_parse_sets(sets),
        tags=frozenset(tags),
        skip_tags=frozenset(skip_tags),
        start_at=start_at,
        no_input=no_input,
        no_verify=no_verify,
    )
    report = JsonReport(term) if as_json else HumanReport(term)
    recap = run_playbook(Path(playbook), options, PlayIO(term, redactor, report))
    if as_json:
        HumanReport(term, to_stderr=True).finish(recap)  # people read stderr; scripts stdout
    return EXIT_FAILED if recap.failed else EXIT_OK


def validate(term: Terminal, playbook: Path) -> int:
    """Validate a playbook without running it; 2 with every problem when invalid."""
    try:
        loaded = load_playbook(resolve_playbook(playbook))
    except PlaybookInvalid as exc:
        term.stderr.write(f"{exc}\n")  # the problems are the output: no `glassdome: error:`
        return EXIT_INVALID
    counts = f"{len(loaded.model.steps)} steps, {len(loaded.model.inputs)} inputs"
    term.report(f"{escape(str(playbook))}: valid ({counts})")
    return EXIT_OK


def print_schema(term: Terminal) -> int:
    """Print the JSON Schema of playbook files (for editors)."""
    term.stdout.write(json.dumps(playbook_schema(), indent=2) + "\n")
    return EXIT_OK


def _describe(path: Path) -> str:
    """The playbook's description as table text (or why it is invalid)."""
    try:
        model = load_playbook(path).model
    except PlaybookInvalid as exc:
        return f"[red]invalid:[/] {escape(exc.problems[0])}"
    return escape(model.description or model.name)


def list_playbooks(term: Terminal, folder: Path | None = None) -> int:
    """List the playbooks under *folder*; without one, ./playbooks and the built-in ones."""
    local = Path("playbooks") if folder is None else folder
    found = sorted(local.rglob("*.yml")) + sorted(local.rglob("*.yaml"))
    rows = [(escape(str(path)), _describe(path)) for path in found]
    title = f"Playbooks under {escape(str(local))}"
    if folder is None and not any(_same(local, root) for root in builtin_roots()):
        # Outside a checkout: the wizards and rotations installed with the package, by name.
        rows += [
            (f"{name} [dim](built-in)[/]", _describe(path)) for name, path in builtin_playbooks()
        ]
        title = "Playbooks (./playbooks and built-in; run a built-in one by its name)"
    if not rows:
        term.say(f"No playbooks under {local}.")
        return EXIT_OK
    # Paths, descriptions and problems are text, not Rich markup ("pattern '^[a-z_]...'").
    table = Table(title=title, title_justify="left")
    table.add_column("playbook")
    table.add_column("description")
    for row in rows:
        table.add_row(*row)
    term.out.print(table)
    return EXIT_OK


def _same(path: Path, root: Path) -> bool:
    return path.is_dir() and path.resolve() == root.resolve()
