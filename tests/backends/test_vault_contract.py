"""The shared backend contract, against a real OpenBao dev server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.core.secrets import SecretsManager
from tests.backends.contract import BackendContract
from tests.backends.meta_contract import MetadataContract


class TestVaultContract(BackendContract, MetadataContract):
    """Each test gets its own prefix and a token whose policy allows only that prefix."""

    backend_name = "vault"

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, token_env: dict[str, str]) -> None:
        self.home = home

    def replacing_manager(self, name: str) -> SecretsManager:
        """Replacing a value is a read, then a write on the version read (docs/TEAMS.md)."""
        manager = SecretsManager(home=self.home, backend="vault")
        manager.get_secret(name)
        return manager
