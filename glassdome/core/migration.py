"""Moving secrets from a ``.env`` file into the secret store, and scrubbing them afterwards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from glassdome.core.secrets import SecretsManager
from glassdome.errors import GlassdomeError
from glassdome.primitives.envfile import read_values, remove_keys
from glassdome.primitives.names import secret_store_name
from glassdome.primitives.progress import Progress, every
from glassdome.primitives.refs import is_reference, literal

__all__ = [
    "Action",
    "MigrationItem",
    "plan_migration",
    "plan_values",
    "run_migration",
    "scrub_env",
    "secret_keys",
]


class Action(StrEnum):
    """What migration does (or did) with one variable."""

    STORE = "store"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    OVERWRITE = "overwrite"
    EMPTY = "empty"
    SKIPPED = "skipped"  # an imported variable whose value is not text (a number, a list...)


@dataclass(frozen=True, slots=True)
class MigrationItem:
    """One secret variable found in ``.env``; holds its name, never its value."""

    env_key: str
    name: str
    action: Action


def secret_keys(values: Mapping[str, str | None]) -> dict[str, str]:
    """The secret variables among *values* (see `is_secret_variable`), by ``.env`` key.

    A reference (``glassdome:NAME``) holds no secret and is left out; an escaped
    literal (``glassdome::...``) is the value Settings reads.
    """
    found: dict[str, str] = {}
    for key, value in values.items():
        if secret_store_name(key) is not None and not is_reference(value):
            found[key] = literal(value or "")
    return found


def plan_migration(
    env_file: Path, manager: SecretsManager, *, overwrite: bool = False, each: Progress = every
) -> tuple[list[MigrationItem], dict[str, str]]:
    """Compare *env_file*'s secrets with the store; return the plan and the values to store.

    Each comparison reads the store once; *each* shows how far they got.
    """
    if not env_file.is_file():
        problem = "is not a file" if env_file.exists() else "does not exist"
        raise GlassdomeError(f"{env_file} {problem}; pass --env-file with the path of your .env")
    try:
        values = read_values(env_file)
    except UnicodeDecodeError:
        raise GlassdomeError(f"{env_file} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise GlassdomeError(f"cannot read {env_file}: {exc.strerror}") from None
    found = [
        (key, secret_store_name(key) or key.lower(), value)
        for key, value in sorted(secret_keys(values).items())
    ]
    return plan_values(each(found, "Comparing with the store"), manager, overwrite=overwrite)


def plan_values(
    found: Iterable[tuple[str, str, str]], manager: SecretsManager, *, overwrite: bool = False
) -> tuple[list[MigrationItem], dict[str, str]]:
    """Compare each ``(key, name, value)`` with the store; return the plan and what to store.

    The one planning rule of ``migrate`` and ``import``: an empty value is skipped, an
    equal one is unchanged, a different one is a conflict unless *overwrite*.
    """
    items: list[MigrationItem] = []
    to_store: dict[str, str] = {}
    for key, name, value in found:
        if not value:
            items.append(MigrationItem(key, name, Action.EMPTY))
            continue
        stored = manager.get_secret(name)
        if stored == value:
            action = Action.UNCHANGED
        elif stored is None:
            action = Action.STORE
        else:
            action = Action.OVERWRITE if overwrite else Action.CONFLICT
        if action in (Action.STORE, Action.OVERWRITE):
            to_store[name] = value
        items.append(MigrationItem(key, name, action))
    return items, to_store


def run_migration(
    manager: SecretsManager, to_store: Mapping[str, str], *, source: str = "migrate"
) -> None:
    """Store the planned values in one batch (one unlock, one write); records say *source*."""
    if to_store:
        manager.set_many(to_store, source=source)


def scrub_env(
    env_file: Path, items: list[MigrationItem], manager: SecretsManager, *, each: Progress = every
) -> list[str]:
    """Remove from *env_file* every migrated secret whose stored value reads back equal.

    ``.env.bak`` (0600) keeps the file as it was. Variables whose value is not
    in the store (conflicts, empty ones) stay. Returns the removed variables.
    *each* shows how far the reading back got.
    """
    current = secret_keys(read_values(env_file))
    verified: list[str] = []
    for item in each(items, "Reading back from the store"):
        if item.action not in (Action.STORE, Action.OVERWRITE, Action.UNCHANGED):
            continue
        value = current.get(item.env_key)
        if value and manager.get_secret(item.name) == value:
            verified.append(item.env_key)
        else:
            raise GlassdomeError(
                f"{item.name} did not read back from the store as it is in {env_file}; "
                f"{env_file} was left untouched"
            )
    if not verified:
        return []
    backend = manager.backend_name
    return remove_keys(
        env_file,
        verified,
        lambda key: (
            f"# {key} is in the glassdome secret store ({backend}): "
            f"glassdome secrets get {secret_store_name(key) or key.lower()}"
        ),
    )
