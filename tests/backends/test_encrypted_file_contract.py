from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.core.secrets import SecretsManager
from tests.backends.contract import BackendContract
from tests.backends.meta_contract import MetadataContract


class TestEncryptedFileContract(BackendContract, MetadataContract):
    backend_name = "file"

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, password_env: str) -> None:
        self.home = home

    def make_manager(self) -> SecretsManager:
        return SecretsManager(home=self.home, backend="file")
