"""The shared backend contract, against a real OpenBao dev server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.contract import BackendContract


class TestVaultContract(BackendContract):
    """Each test gets its own prefix and a token whose policy allows only that prefix."""

    backend_name = "vault"

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, token_env: dict[str, str]) -> None:
        self.home = home
