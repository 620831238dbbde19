"""The report of a command that stores many secrets: a status per name, for people or scripts.

`secrets migrate`, `secrets copy` (and any command that stores a batch of names, such
as an import) describe each name with one `Status` and report the whole batch with
`report_batch`: a table and a totals line on stdout, or with ``--json`` one document
whose shape is the same for every such command::

    {"command": "secrets copy", "dry_run": false, ...context...,
     "secrets": [{"name": "proxmox_password", "status": "stored"}, ...],
     "counts": {"stored": 1, "overwritten": 0, "unchanged": 0, "conflict": 0,
                "skipped": 0, "missing": 0, "failed": 0}}

In a dry run each status says what would happen. Names, statuses, reasons and the
source key are shown; a value never is (the items hold none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rich.markup import escape

from glassdome.ui.console import Terminal

__all__ = ["PROBLEMS", "NameStatus", "Status", "batch_document", "count", "report_batch"]


class Status(StrEnum):
    """What a batch did (or, in a dry run, would do) with one name."""

    STORED = "stored"
    OVERWRITTEN = "overwritten"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    SKIPPED = "skipped"
    MISSING = "missing"
    FAILED = "failed"


PROBLEMS = frozenset({Status.CONFLICT, Status.MISSING, Status.FAILED})

_STYLE = {
    Status.STORED: "green",
    Status.OVERWRITTEN: "yellow",
    Status.UNCHANGED: "dim",
    Status.CONFLICT: "red",
    Status.SKIPPED: "dim",
    Status.MISSING: "red",
    Status.FAILED: "red",
}
_WOULD = {Status.STORED: "store", Status.OVERWRITTEN: "overwrite", Status.SKIPPED: "skip"}


@dataclass(frozen=True, slots=True)
class NameStatus:
    """One name in a batch: its status, why (never a value), and where it came from.

    *key* is the name in the source when it differs in kind (a ``.env`` variable, a
    vault key); *detail* says why a name was skipped, missing or in conflict.
    """

    name: str
    status: Status
    detail: str = ""
    key: str | None = None


def count(items: Sequence[NameStatus], *statuses: Status) -> int:
    """How many *items* have one of *statuses*."""
    return sum(item.status in statuses for item in items)


def batch_document(
    command: str,
    items: Sequence[NameStatus],
    *,
    dry_run: bool,
    key_label: str = "key",
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document of a batch (see the module docstring); *context* adds keys."""
    secrets: list[dict[str, str]] = []
    for item in items:
        entry = {"name": item.name, "status": item.status.value}
        if item.key is not None:
            entry[key_label] = item.key
        if item.detail:
            entry["detail"] = item.detail
        secrets.append(entry)
    return {
        "command": command,
        "dry_run": dry_run,
        **(context or {}),
        "secrets": secrets,
        "counts": {status.value: count(items, status) for status in Status},
    }


def _label(status: Status, planned: bool) -> str:
    return _WOULD.get(status, status.value) if planned else status.value


def report_batch(
    term: Terminal,
    title: str,
    items: Sequence[NameStatus],
    *,
    planned: bool,
    key_label: str | None = None,
    summary: str = "",
    talk: bool = False,
) -> None:
    """The table of *items* and *summary* (markup) on stdout; on stderr with *talk*.

    *planned*: the table is shown before the work (a dry run, or a plan to confirm), so
    it says "store" rather than "stored". *key_label* adds the source key's column first.
    *talk* is for a table a person needs while stdout carries JSON (before a question).
    """
    from rich.table import Table

    table = Table(title=escape(title), title_justify="left")
    if key_label is not None:
        table.add_column(key_label)
    table.add_column("secret name")
    table.add_column("result")
    for item in items:
        detail = f" ({escape(item.detail)})" if item.detail else ""
        result = f"[{_STYLE[item.status]}]{_label(item.status, planned)}[/]{detail}"
        keys = [escape(item.key or "")] if key_label is not None else []
        table.add_row(*keys, escape(item.name), result)
    show = term.err.print if talk else term.report
    show(table)
    if summary:
        show(summary)
