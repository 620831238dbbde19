"""What the vault backend's tests share: the backend, or a manager, built from the environment.

The environment is this process's, pointed at the session's OpenBao dev server by a
fixture (`token_env`, `use_vault`): see `tests.backends.remote` and `tests.backends.openbao`.
"""

from __future__ import annotations

from pathlib import Path

from glassdome.backends.vault import VaultBackend
from glassdome.core.secrets import SecretsManager
from tests.backends.remote import from_environment


def backend(env: dict[str, str] | None = None) -> VaultBackend:
    """A vault backend built from *env* (by default this process's environment)."""
    return from_environment(VaultBackend.from_context, env)


def vault_manager(home: Path) -> SecretsManager:
    """A new manager with the vault backend asked for."""
    return SecretsManager(home=home, backend="vault")
