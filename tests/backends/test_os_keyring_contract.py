from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.core.secrets import SecretsManager
from tests.backends.contract import BackendContract
from tests.backends.meta_contract import MetadataContract

pytestmark = pytest.mark.secret_service


class TestOsKeyringContract(BackendContract, MetadataContract):
    """The contract, against a real gnome-keyring emptied of glassdome entries per test."""

    backend_name = "keyring"

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, keyring_env: dict[str, str]) -> None:
        self.home = home

    def make_manager(self) -> SecretsManager:
        return SecretsManager(home=self.home, backend="keyring")
