"""The shared backend contract, against moto's server on 127.0.0.1 with authentication enforced."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from glassdome.core.secrets import SecretsManager
from tests.backends.contract import BackendContract
from tests.backends.moto_server import Moto, shared_moto, use_aws


@pytest.fixture(scope="module")
def moto(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Moto:
    return shared_moto(request, tmp_path_factory)


class TestAwsSecretsContract(BackendContract):
    """Each test gets its own name prefix; deletes keep AWS's recovery window (the default)."""

    backend_name = "aws"

    @pytest.fixture(autouse=True)
    def _store(
        self, home: Path, tmp_path: Path, moto: Moto, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.home = home
        use_aws(monkeypatch, moto, tmp_path)
        monkeypatch.setenv("GLASSDOME_AWS_PREFIX", f"contract/{uuid.uuid4().hex[:12]}")

    def make_manager(self) -> SecretsManager:
        return SecretsManager(home=self.home, backend="aws")
