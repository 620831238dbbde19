"""What the tests of the remote backends (vault, aws) share, against their real servers.

Fixtures: `prefix`, a prefix of each test's own on a shared server; `token_env`
and `aws_env`, which point this process at that prefix on the session's OpenBao
(`tests.backends.openbao`) or moto server (`tests.backends.moto_server`).

`from_environment` builds a backend as glassdome would from the environment,
and `why_unavailable` is the reason such a backend gives for being unavailable.

`RemoteEndToEnd` is settings, the CLI and a playbook with the backend selected:
subclass it, name the backend and its prefix variable, point this process at a
prefix of the test's own in an autouse fixture (setting `prefix`), and provide
`put` and `read`, which reach that prefix as another client would.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pytest

from glassdome.backends.base import BackendContext, SecretBackend
from glassdome.core.secrets import SecretsManager
from glassdome.primitives.master import MasterPasswordSource
from tests.backends.moto_server import Moto, use_aws
from tests.backends.openbao import OpenBao, use_vault_token
from tests.cli.runner import Cli

B = TypeVar("B")


@pytest.fixture
def prefix() -> str:
    """A prefix of its own for each test on a shared remote server, so each starts empty."""
    return f"t/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def token_env(
    openbao: OpenBao, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """VAULT_ADDR, a VAULT_TOKEN whose policy covers only this test's prefix, and that prefix."""
    return use_vault_token(monkeypatch, tmp_path, openbao, prefix, GLASSDOME_VAULT_PREFIX=prefix)


@pytest.fixture
def aws_env(
    moto: Moto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The ``AWS_*`` variables that reach moto as its full-access user, and this test's prefix."""
    return use_aws(monkeypatch, moto, tmp_path, GLASSDOME_AWS_PREFIX=prefix)


def from_environment(
    from_context: Callable[[BackendContext], B], env: Mapping[str, str] | None = None
) -> B:
    """A backend built from *env* (by default this process's environment), with no store folder."""
    context = BackendContext(Path("/nonexistent"), env or dict(os.environ), MasterPasswordSource())
    return from_context(context)


def why_unavailable(store: SecretBackend) -> str:
    """The reason *store* gives for being unavailable (it must be)."""
    state = store.availability()
    assert not state.available
    return state.reason


PLAYBOOK = """\
name: remote-store
description: Store secrets in whichever backend is selected.
inputs:
  - {name: token, prompt: "API token", type: secret}
steps:
  - id: store_token
    uses: secret.set
    with: {name: demo_token, value: "{{ inputs.token }}"}
  - id: app_key
    uses: secret.generate
    with: {name: app_secret_key, length: 32}
  - id: need_it
    uses: secret.require
    with: {name: app_secret_key}
"""


class RemoteEndToEnd:
    """Settings, the CLI and a playbook reading and writing through the selected remote backend."""

    backend_name: str = ""
    prefix_variable: str = ""
    prefix: str = ""

    def put(self, name: str, value: str) -> None:
        """Store *value* as *name* under `prefix`, the way another client would."""
        raise NotImplementedError

    def read(self, name: str) -> str:
        """The value another client reads as *name* under `prefix`."""
        raise NotImplementedError

    def test_settings_read_secrets_from_the_backend(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from glassdome.core.config import Settings

        monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", self.backend_name)
        monkeypatch.setenv("GLASSDOME_ENV_FILE", str(tmp_path / "no.env"))
        self.put("proxmox_token_value", "token-from-remote")
        self.put("mail_api", "mail-from-remote")
        settings = Settings()
        assert settings.proxmox_token_value is not None
        assert settings.proxmox_token_value.get_secret_value() == "token-from-remote"
        assert settings.mail_api is not None
        assert settings.mail_api.get_secret_value() == "mail-from-remote"
        assert "token-from-remote" not in repr(settings)
        assert "mail-from-remote" not in repr(settings)

    def test_the_cli_and_a_playbook_run_with_the_backend(self, home: Path, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        (work / "remote.yml").write_text(PLAYBOOK, encoding="utf-8")
        cli = Cli(home=home, cwd=work)
        selected = {
            "GLASSDOME_SECRETS_BACKEND": self.backend_name,
            self.prefix_variable: self.prefix,
        }

        SecretsManager(home=home, backend=self.backend_name).set_secret(
            "esxi_password", "stored-before"
        )
        cli.set("proxmox_password", "cli-value", **selected)
        assert cli.get("proxmox_password", **selected) == "cli-value"
        played = cli("play", "remote.yml", "--no-input", "--set", "token=Tok-12345678", **selected)
        assert played.code == 0, str(played)
        assert "Tok-12345678" not in played.out + played.err
        again = cli("play", "remote.yml", "--no-input", "--set", "token=Tok-12345678", **selected)
        assert again.code == 0, str(again)
        assert "changed=0" in again.err + again.out

        assert cli.names(**selected) == [
            "app_secret_key",
            "demo_token",
            "esxi_password",
            "proxmox_password",
        ]
        assert self.read("demo_token") == "Tok-12345678"
        assert len(self.read("app_secret_key")) == 32
        assert not (home / "secrets.encrypted").exists()  # nothing went to the file store
