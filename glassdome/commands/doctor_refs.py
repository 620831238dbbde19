"""`glassdome secrets doctor`'s look at the secret references in ``.env``.

A ``glassdome:NAME`` value (`glassdome.primitives.refs`) holds no secret: the
plaintext check leaves it out, and this check says whether each reference names
a secret the store holds. Like the rest of doctor it reads no value and asks for
no password: a store that would need one typed is not opened.
"""

from __future__ import annotations

from pathlib import Path

from glassdome.commands.doctor import Check
from glassdome.core.secrets import SecretsManager
from glassdome.errors import GlassdomeError
from glassdome.primitives.refs import PREFIX, InvalidReference, is_reference, reference_name

__all__ = ["reference_checks"]


def _references(env_file: Path) -> tuple[dict[str, str], list[str]]:
    """The valid references in *env_file* by variable, and the variables with invalid ones."""
    from glassdome.primitives.envfile import read_values

    try:
        values = read_values(env_file)
    except (OSError, UnicodeDecodeError):
        return {}, []  # the plaintext check reports an unreadable file
    found: dict[str, str] = {}
    invalid: list[str] = []
    for key, value in values.items():
        if not is_reference(value) or value is None:
            continue
        try:
            name = reference_name(value, key)
        except InvalidReference:
            invalid.append(key)
            continue
        if name is not None:
            found[key] = name
    return found, invalid


def _stored_names(manager: SecretsManager) -> set[str] | str:
    """The names the store holds, or why they were not read."""
    from glassdome.backends.base import SupportsLocalFiles, SupportsMasterPassword

    try:
        backend = manager.backend
        if isinstance(backend, SupportsLocalFiles) and not backend.holds_secrets():
            return set()
        if isinstance(backend, SupportsMasterPassword) and manager.password_origin in (
            "prompt",
            "none",
        ):
            return "doctor asks for no password (set GLASSDOME_MASTER_PASSWORD_FILE to check them)"
        return set(manager.list_secrets())
    except GlassdomeError as exc:
        return str(exc)


def reference_checks(manager: SecretsManager, env_file: Path) -> list[Check]:
    """One finding per reference that cannot be resolved, else one saying they all can."""
    if not env_file.is_file():
        return []
    found, invalid = _references(env_file)
    checks = [
        Check(
            f"reference {key}",
            "attention",
            f"{key} in {env_file} starts with {PREFIX!r} but names no valid secret; "
            f"correct the name (a literal value starting with {PREFIX!r} is written "
            f"with two colons)",
        )
        for key in sorted(invalid)
    ]
    if not found:
        return checks
    names = _stored_names(manager)
    count = f"{len(found)} reference(s) to the store in {env_file} (no plaintext)"
    if isinstance(names, str):
        return [*checks, Check("references", "info", f"{count}; not checked: {names}")]
    for key, name in sorted(found.items()):
        if name not in names:
            checks.append(
                Check(
                    f"reference {key}",
                    "attention",
                    f"{key} in {env_file} refers to {name!r}, which the store does not hold; "
                    f"store it (`glassdome secrets set {name}`) or correct the name",
                )
            )
    if not checks:
        checks.append(Check("references", "ok", f"{count}, each to a stored secret"))
    return checks
