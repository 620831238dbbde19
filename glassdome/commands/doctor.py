"""`glassdome secrets doctor`: is the store healthy, and are secrets still lying in plaintext."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError
from glassdome.ui.console import Terminal

if TYPE_CHECKING:
    from glassdome.backends.base import Availability, SecretBackend
    from glassdome.core.selection import StoreDescription

__all__ = ["Check", "diagnose", "doctor"]


@dataclass(frozen=True, slots=True)
class Check:
    """One finding: ``ok``, ``info`` or ``attention``, with what to do about it."""

    name: str
    status: str
    detail: str
    expires: str | None = None  # for an expiry finding: the date, UTC


def _mode_check(path: Path, expected: int) -> Check | None:
    if not path.exists():
        return None
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    loose = mode & ~expected
    if loose:
        return Check(
            f"permissions {path.name}",
            "attention",
            f"{path} is {mode:04o}; run `chmod {expected:04o} {path}`",
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return Check(f"owner {path.name}", "attention", f"{path} belongs to uid {info.st_uid}")
    return Check(f"permissions {path.name}", "ok", f"{mode:04o}")


def _plaintext_check(path: Path, label: str) -> Check | None:
    from glassdome.core.migration import secret_keys
    from glassdome.primitives.envfile import read_values

    if not path.is_file():
        return None
    try:
        found = sorted(k for k, v in secret_keys(read_values(path)).items() if v)
    except (OSError, UnicodeDecodeError) as exc:
        return Check(label, "attention", f"cannot read {path}: {exc}")
    if not found:
        return Check(label, "ok", f"no known secrets in {path}")
    hint = (
        "run `glassdome secrets migrate --scrub`"
        if label == ".env"
        else f"delete {path} once the store holds them"
    )
    return Check(label, "attention", f"plaintext secrets in {path}: {', '.join(found)}; {hint}")


def _local_store(manager: SecretsManager) -> SecretBackend | None:
    """The encrypted file store in the home, if secrets were ever stored there."""
    from glassdome.backends.base import SupportsLocalFiles

    try:
        found = manager.build("file")
    except GlassdomeError:
        return None
    if isinstance(found, SupportsLocalFiles) and found.holds_secrets():
        return found
    return None


def diagnose(manager: SecretsManager, env_file: Path, now: datetime | None = None) -> list[Check]:
    """Run every check; reads no secret value and needs no password.

    The store's own files and health come from the backend that holds the secrets,
    through the Protocols in `glassdome.backends.base`; doctor knows no file names.
    """
    from glassdome.backends.base import SupportsHealthChecks, SupportsLocalFiles

    checks: list[Check] = []
    backend: SecretBackend | None = None
    described: StoreDescription | None = None
    try:
        described = manager.describe()
    except GlassdomeError as exc:
        checks.append(Check("backend", "attention", str(exc)))
    else:
        backend = manager.backend
    if not isinstance(backend, SupportsLocalFiles):
        # A file store left in the home (from before a switch to the keyring or a server,
        # or beside a backend that cannot be used) still holds encrypted secrets: its
        # files are judged all the same.
        backend = _local_store(manager) or backend
    health: list[Check] = (
        [Check(*finding) for finding in backend.health_checks()]
        if isinstance(backend, SupportsHealthChecks)
        else []
    )
    probes: Mapping[str, Availability] = {}
    if described is not None:
        probes = described.probes
        checks += _backend_checks(described, health)
    state = probes.get("keyring") or manager.probe("keyring")
    checks.append(Check("OS keyring", "ok" if state.available else "info", state.reason))
    files: list[Path] = backend.store_files() if isinstance(backend, SupportsLocalFiles) else []
    checks += _home_checks(manager.home, files, health)
    if described is not None:
        checks += _expiry_checks(manager, now or datetime.now(UTC))
    from glassdome.commands.doctor_refs import reference_checks

    return checks + _env_checks(env_file) + reference_checks(manager, env_file)


def _expiry_checks(manager: SecretsManager, now: datetime) -> list[Check]:
    """Credentials expired or expiring within the window, from their metadata records.

    Doctor asks for no password: a store that would need one typed is not opened.
    """
    from glassdome.backends.base import SupportsLocalFiles, SupportsMasterPassword
    from glassdome.commands.expiry import due, warn_days

    window = warn_days(manager.env)
    backend = manager.backend
    if isinstance(backend, SupportsLocalFiles) and not backend.holds_secrets():
        return []
    if isinstance(backend, SupportsMasterPassword) and manager.password_origin in (
        "prompt",
        "none",
    ):
        return [
            Check(
                "expiry",
                "info",
                "not checked: doctor asks for no password (set GLASSDOME_MASTER_PASSWORD_FILE, "
                "or `glassdome secrets list --long` shows the dates)",
            )
        ]
    try:
        records = manager.list_meta()
    except GlassdomeError as exc:  # e.g. a store refused for its permissions (shown above)
        return [Check("expiry", "info", f"not checked: {exc}")]
    found = due(records, now, window)
    if not found:
        return [Check("expiry", "ok", f"nothing expires within {window:g} days")]
    return [Check(f"expiry {d.name}", "attention", d.describe(), d.expires) for d in found]


def _backend_checks(described: StoreDescription, health: list[Check]) -> list[Check]:
    """The backend chosen and its facts; a fact a health check judges is shown once, judged."""
    judged = {check.name.lower() for check in health}
    checks = [Check("backend", "ok", f"{described.backend}: {described.reason}")]
    for key, value in described.details.items():
        if key.lower() not in judged:
            checks.append(Check(key, "info", value))
    return checks


def _home_checks(home: Path, files: list[Path], health: list[Check]) -> list[Check]:
    """The store folder and its files, then the backend's health checks.

    What makes glassdome refuse them (StrictModes) comes first, then what is merely
    looser than the modes glassdome creates (0700 and 0600).
    """
    from glassdome.backends.base import MARKER_FILE
    from glassdome.primitives.permissions import path_problem

    if not home.exists():
        return [Check("home", "info", f"{home} does not exist yet (no file store)")]
    checks: list[Check] = []
    refused = path_problem(home, folder=True)
    if refused:
        checks.append(Check(f"permissions {home.name}", "attention", refused))
    else:
        checks.append(_mode_check(home, 0o700) or Check("home", "ok", str(home)))
    for path in [*files, home / MARKER_FILE]:
        refused = path_problem(path, folder=False)
        found = (
            Check(f"permissions {path.name}", "attention", refused)
            if refused
            else _mode_check(path, 0o600)
        )
        if found:
            checks.append(found)
    return checks + health


def _env_checks(env_file: Path) -> list[Check]:
    """Plaintext secrets in ``.env`` and its backup, and temp files a killed edit left."""
    from glassdome.primitives.atomic import stale_temps
    from glassdome.primitives.envfile import backup_path

    checks: list[Check] = []
    for path, label in ((env_file, ".env"), (backup_path(env_file), ".env.bak")):
        found = _plaintext_check(path, label)
        if found:
            checks.append(found)
    for temp in stale_temps(env_file):
        checks.append(
            Check(
                "leftover temp file",
                "attention",
                f"{temp} was left by an interrupted write of {env_file.name} and may hold "
                "plaintext secrets; delete it (the next edit of the file removes it too)",
            )
        )
    return checks


def doctor(
    term: Terminal,
    *,
    env_file: Path | None = None,
    as_json: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Print the checks; exit 1 when any needs attention."""
    from glassdome.primitives.envfile import env_file_path

    manager = manager or get_secrets_manager(prompt=term)
    checks = diagnose(manager, env_file or env_file_path(term.env))
    attention = [c for c in checks if c.status == "attention"]
    if as_json:
        found = [{k: v for k, v in asdict(c).items() if v is not None} for c in checks]
        term.write_json({"checks": found})
    else:
        from rich.table import Table

        table = Table(title="glassdome secrets doctor", title_justify="left")
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        colour = {"ok": "green", "info": "cyan", "attention": "bold red"}
        for check in checks:
            table.add_row(check.name, f"[{colour[check.status]}]{check.status}[/]", check.detail)
        term.report(table)
        term.report(f"{len(attention)} finding(s) need attention." if attention else "All good.")
    return 1 if attention else 0
