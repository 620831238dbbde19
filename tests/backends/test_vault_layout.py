"""The vault backend against a real OpenBao dev server: where and how secrets are kept.

Other tools read what glassdome writes and the other way round; list and delete;
settings, the CLI and a playbook with the vault backend selected.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from glassdome.errors import SecretStoreError
from tests.backends.local_server import GUARD
from tests.backends.openbao import OpenBao, use_vault
from tests.backends.remote import RemoteEndToEnd
from tests.backends.vault_support import backend, vault_manager

# -- layout: other tools read what glassdome writes, and the other way round --


def test_a_secret_is_stored_as_value_at_mount_data_prefix_name(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    vault_manager(home).set_secret("proxmox_password", "pa55-wörd")
    assert openbao.read_kv(f"{prefix}/proxmox_password") == {"value": "pa55-wörd"}


def test_bao_kv_get_shows_what_glassdome_stored_under_the_default_prefix(
    openbao: OpenBao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    """No GLASSDOME_VAULT_MOUNT or _PREFIX: ``bao kv get -mount=secret glassdome/NAME``."""
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=openbao.addr, VAULT_TOKEN=openbao.root_token)
    name = f"default_{uuid.uuid4().hex[:8]}"
    manager = vault_manager(home)
    manager.set_secret(name, "seen-by-bao")
    shown = subprocess.run(
        [
            shutil.which("bao") or "bao",
            "kv",
            "get",
            "-mount=secret",
            "-field=value",
            f"glassdome/{name}",
        ],
        env={**os.environ, "VAULT_ADDR": openbao.addr, "VAULT_TOKEN": openbao.root_token},
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "seen-by-bao"
    assert manager.delete_secret(name) is True


def test_glassdome_reads_what_another_client_wrote(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    openbao.write_kv(f"{prefix}/esxi_password", value="from-hvac")
    openbao.write_kv(f"{prefix}/folder/nested", value="not ours")
    manager = vault_manager(home)
    assert manager.get_secret("esxi_password") == "from-hvac"
    assert manager.list_secrets() == ["esxi_password"]  # a sub-folder is not a secret name


def test_a_secret_without_a_value_field_is_an_error_not_a_guess(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    openbao.write_kv(f"{prefix}/odd", password="other-tool-layout")
    with pytest.raises(SecretStoreError, match="no text field 'value'") as caught:
        vault_manager(home).get_secret("odd")
    assert "other-tool-layout" not in str(caught.value)


# -- list and delete -----------------------------------------------------------


def test_list_is_one_request_however_many_names(token_env: dict[str, str], home: Path) -> None:
    vault_manager(home).set_many({f"name_{i:03d}": f"value-{i}" for i in range(120)})
    store = backend()
    assert store.availability().available
    before = store.request_count
    names = store.names()
    assert len(names) == 120
    assert store.request_count - before == 1


def test_delete_removes_every_version_and_the_metadata(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    manager = vault_manager(home)
    for value in ("one", "two", "three"):
        manager.set_secret("rotated", value)
    kv = openbao.client().secrets.kv.v2
    assert kv.read_secret_metadata(path=f"{prefix}/rotated")["data"]["current_version"] == 3
    assert manager.delete_secret("rotated") is True
    import hvac

    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_metadata(path=f"{prefix}/rotated")
    assert vault_manager(home).list_secrets() == []
    assert vault_manager(home).get_secret("rotated") is None


def test_a_version_deleted_by_another_tool_reads_as_absent_and_can_be_set_again(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    """``bao kv delete`` soft-deletes the latest version; the next write is on top of it."""
    vault_manager(home).set_secret("soft", "first")
    openbao.client().secrets.kv.v2.delete_latest_version_of_secret(path=f"{prefix}/soft")
    manager = vault_manager(home)
    assert manager.get_secret("soft") is None
    manager.set_secret("soft", "second")
    assert vault_manager(home).get_secret("soft") == "second"


# -- end to end: settings, the CLI and a playbook with the vault backend selected --


class TestVaultEndToEnd(RemoteEndToEnd):
    """Each test gets its own prefix and a token whose policy allows only that prefix."""

    backend_name = "vault"
    prefix_variable = "GLASSDOME_VAULT_PREFIX"

    @pytest.fixture(autouse=True)
    def _server(self, openbao: OpenBao, token_env: dict[str, str], prefix: str) -> None:
        self.openbao = openbao
        self.prefix = prefix

    def put(self, name: str, value: str) -> None:
        self.openbao.write_kv(f"{self.prefix}/{name}", value=value)

    def read(self, name: str) -> str:
        found = self.openbao.read_kv(f"{self.prefix}/{name}")
        assert list(found) == ["value"], "glassdome writes one field, 'value'"
        return str(found["value"])
