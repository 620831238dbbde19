"""`glassdome secrets migrate`: move the known secrets from ``.env`` into the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from glassdome.core.migration import Action, MigrationItem, plan_migration, run_migration, scrub_env
from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.primitives.envfile import backup_path
from glassdome.ui.batch import NameStatus, Status, batch_document, count, report_batch
from glassdome.ui.console import Terminal
from glassdome.ui.progress import tracker

__all__ = ["migrate", "name_statuses"]

_STATUS = {
    Action.STORE: (Status.STORED, ""),
    Action.OVERWRITE: (Status.OVERWRITTEN, ""),
    Action.UNCHANGED: (Status.UNCHANGED, ""),
    Action.CONFLICT: (
        Status.CONFLICT,
        "a different value is stored; kept, --overwrite replaces it",
    ),
    Action.EMPTY: (Status.SKIPPED, "empty in .env"),
    Action.SKIPPED: (Status.SKIPPED, "not text"),
}


def name_statuses(
    items: Sequence[MigrationItem], details: Mapping[Action, str] | None = None
) -> list[NameStatus]:
    """*items* as the batch report's statuses (`glassdome.ui.batch`), keyed by variable.

    *details* replaces the reason given for some actions (``import`` has no ``.env``).
    """
    found = []
    for item in items:
        status, detail = _STATUS[item.action]
        detail = (details or {}).get(item.action, detail)
        found.append(NameStatus(item.name, status, detail, key=item.env_key))
    return found


def _document(
    statuses: Sequence[NameStatus], context: dict[str, Any], *, dry_run: bool
) -> dict[str, Any]:
    return batch_document(
        "secrets migrate", statuses, dry_run=dry_run, key_label="variable", context=context
    )


def migrate(
    term: Terminal,
    *,
    env_file: Path = Path(".env"),
    dry_run: bool = False,
    scrub: bool = False,
    overwrite: bool = False,
    confirm: bool = False,
    as_json: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Plan, show, store in one batch, and optionally scrub ``.env``; 1 when a conflict remains.

    With *confirm*, asks before storing (the caller says whether someone can be asked).
    With *as_json*, the report is one JSON document on stdout (`glassdome.ui.batch`).
    """
    manager = manager or get_secrets_manager()
    each = tracker(term, enabled=not as_json)
    items, to_store = plan_migration(env_file, manager, overwrite=overwrite, each=each)
    if not items and not as_json:
        term.say(f"No known secrets in {env_file}; nothing to migrate.")
        return 0
    context: dict[str, Any] = {"env_file": str(env_file), "backend": manager.backend_name}
    context.update(scrubbed=[], backup=None)
    statuses = name_statuses(items)
    conflicts = count(statuses, Status.CONFLICT)
    if not items:
        term.write_json(_document(statuses, context, dry_run=dry_run))
        return 0
    verb = "would" if dry_run else "will"
    title = f"{env_file} -> {manager.backend_name} backend ({verb} do)"
    asking = confirm and bool(to_store) and not dry_run
    if not as_json or asking:  # with --json, the plan a person confirms is talk
        report_batch(term, title, statuses, planned=True, key_label="variable", talk=as_json)
    if dry_run:
        if as_json:
            term.write_json(_document(statuses, context, dry_run=True))
        else:
            planned = f"{len(to_store)} to store, {conflicts} conflicts"
            term.report(f"Dry run: nothing stored ({planned}).")
        return 1 if conflicts else 0
    if asking and not term.confirm(f"Store {len(to_store)} secrets?", default=True):
        term.say("Nothing stored.")
        return 1
    run_migration(manager, to_store)  # one unlock, one write; records say "migrate"
    if not as_json:
        unchanged = count(statuses, Status.UNCHANGED)
        summary = f"Stored {len(to_store)}, unchanged {unchanged}, conflicts {conflicts}."
        term.report(summary if scrub else f"{summary} {env_file} was left as it is.")
    removed = scrub_env(env_file, items, manager, each=each) if scrub else []
    if as_json:
        backup = str(backup_path(env_file)) if removed else None
        context.update(scrubbed=removed, backup=backup)
        term.write_json(_document(statuses, context, dry_run=False))
    elif removed:
        term.report(
            f"Removed {len(removed)} secrets from {env_file} after reading each back from "
            f"the store; the previous file is in {backup_path(env_file)} (mode 0600) - delete "
            "it once you are sure, it still holds the plaintext."
        )
    return 1 if conflicts else 0
