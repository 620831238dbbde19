"""The shared backend contract, against a real OpenBao dev server on 127.0.0.1."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from glassdome.core.secrets import SecretsManager
from tests.backends.contract import BackendContract
from tests.backends.openbao import OpenBao, shared_openbao, use_vault


@pytest.fixture(scope="module")
def openbao(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OpenBao:
    return shared_openbao(request, tmp_path_factory)


class TestVaultContract(BackendContract):
    """Each test gets its own prefix and a token whose policy allows only that prefix."""

    backend_name = "vault"

    @pytest.fixture(autouse=True)
    def _store(
        self, home: Path, tmp_path: Path, openbao: OpenBao, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.home = home
        prefix = f"contract/{uuid.uuid4().hex[:12]}"
        token = openbao.token([openbao.policy(prefix)])
        use_vault(
            monkeypatch,
            tmp_path,
            VAULT_ADDR=openbao.addr,
            VAULT_TOKEN=token,
            GLASSDOME_VAULT_PREFIX=prefix,
        )

    def make_manager(self) -> SecretsManager:
        return SecretsManager(home=self.home, backend="vault")
