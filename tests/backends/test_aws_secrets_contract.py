"""The shared backend contract, against moto's server on 127.0.0.1 with authentication enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.contract import BackendContract
from tests.backends.meta_contract import MetadataContract


class TestAwsSecretsContract(BackendContract, MetadataContract):
    """Each test gets its own name prefix; deletes keep AWS's recovery window (the default)."""

    backend_name = "aws"

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, aws_env: dict[str, str]) -> None:
        self.home = home
