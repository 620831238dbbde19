"""`glassdome secrets import ansible-vault`: store the variables of an Ansible vault file.

The file is read with ansible-core's own vault code (`glassdome.primitives.ansible_vault`):
a whole-file vault, inline ``!vault`` values, or both. Every top-level text value is
planned as ``migrate`` plans ``.env`` (`glassdome.core.migration.plan_values`: store,
unchanged, conflict) and stored in one batch whose records say ``import:ansible-vault``.
Nested and non-text values are reported as skipped. Values never reach the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from glassdome.commands.migrate import name_statuses
from glassdome.core.migration import Action, MigrationItem, plan_values, run_migration
from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError, InvalidSecretName, UsageError
from glassdome.primitives.ansible_vault import (
    DEFAULT_VAULT_ID,
    VaultPassword,
    VaultVars,
    read_vault_vars,
)
from glassdome.primitives.names import normalize_name
from glassdome.primitives.sensitive import Sensitive
from glassdome.ui.batch import Status, batch_document, count, report_batch
from glassdome.ui.console import Terminal
from glassdome.ui.progress import track

__all__ = ["SOURCE", "import_ansible_vault", "parse_maps", "parse_vault_ids"]

SOURCE = "import:ansible-vault"  # the provenance the imported secrets' records carry
ENV_VAULT_PASSWORD_FILE = "ANSIBLE_VAULT_PASSWORD_FILE"  # noqa: S105 - a variable name
_PROMPT = "prompt"  # --vault-id ID@prompt asks, as ansible does
_DETAILS = {Action.EMPTY: "empty"}  # the reasons of `migrate`, but no `.env` here


def parse_maps(maps: Sequence[str]) -> dict[str, str]:
    """``KEY=name`` pairs as a dict of variable to secret name (the name checked)."""
    parsed: dict[str, str] = {}
    for pair in maps:
        key, sep, name = pair.partition("=")
        if not sep or not key or not name:
            raise UsageError("--map takes KEY=name, e.g. --map vault_pm_token=proxmox_token_value")
        try:
            parsed[key] = normalize_name(name)
        except InvalidSecretName as exc:
            raise UsageError(f"--map {key}=NAME: {exc}") from None
    return parsed


def parse_vault_ids(
    vault_ids: Sequence[str], password_files: Sequence[Path]
) -> list[VaultPassword]:
    """``ID@FILE``, ``ID@prompt`` or ``FILE`` (as ansible reads them), then the plain files."""
    found: list[VaultPassword] = []
    for given in vault_ids:
        vault_id, sep, where = given.partition("@")
        if not sep:
            vault_id, where = DEFAULT_VAULT_ID, given
        if not vault_id or not where:
            raise UsageError("--vault-id takes ID@FILE, ID@prompt or FILE, e.g. dev@~/.vault-dev")
        source = Sensitive("") if where == _PROMPT else Path(where).expanduser()
        found.append(VaultPassword(vault_id, source))
    found += [VaultPassword(DEFAULT_VAULT_ID, path) for path in password_files]
    return found


def _passwords(term: Terminal, file: Path, given: list[VaultPassword]) -> list[VaultPassword]:
    """The passwords to try: those given (typed ones asked now), the env's file, or a prompt."""
    if not given:
        env_file = term.env.get(ENV_VAULT_PASSWORD_FILE)
        if env_file:
            return [VaultPassword(DEFAULT_VAULT_ID, Path(env_file).expanduser())]
        given = [VaultPassword(DEFAULT_VAULT_ID, Sensitive(""))]
    asked: list[VaultPassword] = []
    for password in given:
        if isinstance(password.source, Path):
            asked.append(password)
            continue
        if not term.interactive:
            raise UsageError(
                f"{file} is encrypted: pass --vault-password-file FILE or --vault-id ID@FILE, "
                f"or set {ENV_VAULT_PASSWORD_FILE}"
            )
        label = "" if password.vault_id == DEFAULT_VAULT_ID else f" ({password.vault_id})"
        typed = term.ask_secret(f"Vault password{label}")
        if not typed:
            raise UsageError(f"no vault password was typed for {file}; nothing was stored")
        asked.append(VaultPassword(password.vault_id, Sensitive(typed)))
    return asked


def _secret_name(key: str, maps: Mapping[str, str], file: Path) -> str:
    if key in maps:
        return maps[key]
    try:
        return normalize_name(key)
    except InvalidSecretName as exc:
        raise GlassdomeError(
            f"variable {key!r} in {file} cannot be a secret name ({exc}); "
            f"pass --map {key}=NAME (nothing was stored)"
        ) from None


def _candidates(
    found: VaultVars, maps: Mapping[str, str], file: Path
) -> tuple[list[tuple[str, str, str]], list[MigrationItem]]:
    """The ``(variable, name, value)`` triples to plan, and the skipped variables."""
    unknown = sorted(set(maps) - set(found.variables))
    if unknown:
        raise UsageError(f"--map {unknown[0]}=...: {file} has no top-level variable {unknown[0]}")
    triples: list[tuple[str, str, str]] = []
    skipped: list[MigrationItem] = []
    owners: dict[str, str] = {}
    for key, value in found.variables.items():
        if value is None:
            skipped.append(MigrationItem(key, maps.get(key, key.lower()), Action.SKIPPED))
            continue
        name = _secret_name(key, maps, file)
        if name in owners:
            raise UsageError(
                f"{owners[name]} and {key} in {file} would both be stored as {name}; "
                f"pass --map {key}=ANOTHER_NAME"
            )
        owners[name] = key
        triples.append((key, name, value))
    return triples, skipped


def _report(
    term: Terminal, file: Path, backend: str, items: list[MigrationItem], *, dry_run: bool
) -> None:
    statuses = name_statuses(items, _DETAILS)
    pending = count(statuses, Status.STORED, Status.OVERWRITTEN)
    tail = (
        f"unchanged {count(statuses, Status.UNCHANGED)}, "
        f"conflicts {count(statuses, Status.CONFLICT)}, skipped {count(statuses, Status.SKIPPED)}"
    )
    verb = "would" if dry_run else "will"
    summary = (
        f"Dry run: nothing stored ({pending} to store, {tail})."
        if dry_run
        else f"Stored {pending}, {tail}."
    )
    title = f"{file} -> {backend} backend ({verb} do)"
    report_batch(term, title, statuses, planned=True, key_label="variable", summary=summary)


def _json(
    term: Terminal, file: Path, backend: str, items: list[MigrationItem], *, dry_run: bool
) -> None:
    document = batch_document(
        "secrets import ansible-vault",
        name_statuses(items, _DETAILS),
        dry_run=dry_run,
        key_label="variable",
        context={"file": str(file), "backend": backend},
    )
    term.write_json(document)


def import_ansible_vault(
    term: Terminal,
    file: Path,
    *,
    password_files: Sequence[Path] = (),
    vault_ids: Sequence[str] = (),
    maps: Sequence[str] = (),
    dry_run: bool = False,
    overwrite: bool = False,
    as_json: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Decrypt *file*, plan each text variable against the store, store in one batch.

    1 when a conflict remains (a different value stored and no *overwrite*), else 0.
    """
    mapped = parse_maps(maps)
    given = parse_vault_ids(vault_ids, password_files)
    if not file.is_file():
        problem = "is not a file" if file.exists() else "does not exist"
        raise GlassdomeError(f"{file} {problem}; pass the path of an Ansible vars or vault file")
    found = read_vault_vars(file, lambda: _passwords(term, file, given))
    triples, skipped = _candidates(found, mapped, file)
    manager = manager or get_secrets_manager(prompt=term)
    progress: Iterator[tuple[str, str, str]] = track(
        term, triples, "Importing", enabled=not as_json
    )
    planned, to_store = plan_values(progress, manager, overwrite=overwrite)
    items = sorted(planned + skipped, key=lambda item: item.env_key)
    if not dry_run:
        run_migration(manager, to_store, source=SOURCE)  # one unlock, one write
    render = _json if as_json else _report
    render(term, file, manager.backend_name, items, dry_run=dry_run)
    return 1 if any(item.action is Action.CONFLICT for item in items) else 0
