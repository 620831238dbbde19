"""`glassdome secrets migrate`: move the known secrets from ``.env`` into the store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.table import Table

from glassdome.core.migration import (
    Action,
    MigrationItem,
    plan_migration,
    run_migration,
    scrub_env,
)
from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.ui.console import Terminal

__all__ = ["migrate", "plan_table"]

_STYLE = {
    Action.STORE: "green",
    Action.OVERWRITE: "yellow",
    Action.UNCHANGED: "dim",
    Action.CONFLICT: "red",
    Action.EMPTY: "dim",
    Action.SKIPPED: "dim",
}
_SAID = {
    Action.STORE: "store",
    Action.OVERWRITE: "overwrite",
    Action.UNCHANGED: "unchanged",
    Action.CONFLICT: "conflict: a different value is stored (kept; --overwrite replaces it)",
    Action.EMPTY: "empty in .env, skipped",
    Action.SKIPPED: "not text, skipped",
}


def plan_table(
    items: list[MigrationItem],
    title: str,
    *,
    key_column: str = "variable",
    said: Mapping[Action, str] | None = None,
) -> Table:
    """The plan as a table: each variable, its secret name and what happens (never a value).

    *said* replaces the words for some actions (``import`` has no ``.env``).
    """
    words = {**_SAID, **(said or {})}
    table = Table(title=title, title_justify="left")
    table.add_column(key_column)
    table.add_column("secret name")
    table.add_column("action")
    for item in items:
        style = _STYLE[item.action]
        table.add_row(item.env_key, item.name, f"[{style}]{words[item.action]}[/]")
    return table


def migrate(
    term: Terminal,
    *,
    env_file: Path = Path(".env"),
    dry_run: bool = False,
    scrub: bool = False,
    overwrite: bool = False,
    confirm: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Plan, show, store in one batch, and optionally scrub ``.env``; 1 when a conflict remains.

    With *confirm*, asks before storing (the caller says whether someone can be asked).
    """
    manager = manager or get_secrets_manager()
    items, to_store = plan_migration(env_file, manager, overwrite=overwrite)
    if not items:
        term.say(f"No known secrets in {env_file}; nothing to migrate.")
        return 0
    backend = manager.backend_name
    verb = "would" if dry_run else "will"
    term.err.print(plan_table(items, f"{env_file} -> {backend} backend ({verb} do)"))
    conflicts = sum(item.action is Action.CONFLICT for item in items)
    if dry_run:
        term.say(f"Dry run: nothing stored ({len(to_store)} to store, {conflicts} conflicts).")
        return 1 if conflicts else 0
    if confirm and to_store and not term.confirm(f"Store {len(to_store)} secrets?", default=True):
        term.say("Nothing stored.")
        return 1
    run_migration(manager, to_store)  # one unlock, one write; records say "migrate"
    unchanged = sum(item.action is Action.UNCHANGED for item in items)
    summary = f"Stored {len(to_store)}, unchanged {unchanged}, conflicts {conflicts}."
    term.say(summary if scrub else f"{summary} {env_file} was left as it is.")
    if scrub:
        removed = scrub_env(env_file, items, manager)
        if removed:
            term.say(
                f"Removed {len(removed)} secrets from {env_file} after reading each back from "
                f"the store; the previous file is in {env_file}.bak (mode 0600) - delete it "
                "once you are sure, it still holds the plaintext."
            )
    return 1 if conflicts else 0
