"""Metadata in KV v2 ``custom_metadata``, against a real OpenBao dev server."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.backends.meta_strings import MetadataTooLong
from glassdome.backends.vault import VaultBackend
from glassdome.core.secrets import SecretsManager
from glassdome.errors import SecretConflict, SecretStoreError
from glassdome.primitives.meta import SecretMeta
from tests.backends.openbao import OpenBao, use_vault_token
from tests.backends.remote import from_environment

VALUE = "vault-meta-value-2d7e"
PROXMOX = SecretMeta(
    platform="proxmox",
    identity={"host": "pve.lab.example:8006", "token_id": "root@pam!glassdome"},
)
# The policy docs/TEAMS.md gave before metadata: no "update" on the metadata path.
OLD_POLICY = """
path "secret/data/{prefix}/*" {{ capabilities = ["create", "read", "update"] }}
path "secret/metadata/{prefix}/*" {{ capabilities = ["read", "list", "delete"] }}
path "secret/metadata/{prefix}/" {{ capabilities = ["list"] }}
"""


def vault_manager(home: Path) -> SecretsManager:
    return SecretsManager(home=home, backend="vault")


def backend() -> VaultBackend:
    return from_environment(VaultBackend.from_context)


def custom_metadata(openbao: OpenBao, path: str) -> dict[str, str]:
    """What another client sees in ``secret/metadata/PATH`` (read as root)."""
    found = openbao.client().secrets.kv.v2.read_secret_metadata(path=path, mount_point="secret")
    return dict(found["data"]["custom_metadata"] or {})


def test_the_record_is_custom_metadata_another_client_reads(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    meta = PROXMOX.merged(SecretMeta(identity={"note": "line one\nline two + more"}))
    vault_manager(home).set_secret("proxmox_token_value", VALUE, meta=meta, source="cli")
    seen = custom_metadata(openbao, f"{prefix}/proxmox_token_value")
    assert seen["v"] == "1"
    assert seen["platform"] == "proxmox"
    assert seen["source"] == "cli"
    assert seen["identity.token_id"] == "root@pam!glassdome"  # printable ASCII stays as it is
    assert seen["identity.note"] == "line one+0Aline two +2B more"
    assert VALUE not in repr(seen)
    record = vault_manager(home).get_meta("proxmox_token_value")
    assert record is not None
    assert record.identity["note"] == "line one\nline two + more"


def test_other_tools_keys_and_settings_are_kept(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    manager = vault_manager(home)
    manager.set_secret("shared_key", VALUE, meta=PROXMOX, source="cli")
    path = f"{prefix}/shared_key"
    kv = openbao.client().secrets.kv.v2
    kv.update_metadata(
        path=path,
        mount_point="secret",
        delete_version_after="720h",
        custom_metadata={**custom_metadata(openbao, path), "owner": "team-a"},
    )
    manager.update_meta("shared_key", SecretMeta(verified="2026-12-01T00:00:00Z"))
    seen = custom_metadata(openbao, path)
    assert seen["owner"] == "team-a"
    assert seen["verified"] == "2026-12-01T00:00:00Z"
    settings = kv.read_secret_metadata(path=path, mount_point="secret")["data"]
    assert settings["delete_version_after"] == "720h0m0s"


def test_an_over_long_field_is_refused_by_name_before_anything_is_written(
    token_env: dict[str, str], home: Path
) -> None:
    meta = SecretMeta(platform="azure", identity={"tenant": "x" * 513})
    with pytest.raises(MetadataTooLong) as caught:
        vault_manager(home).set_secret("azure_client_secret", VALUE, meta=meta, source="cli")
    message = str(caught.value)
    assert "identity.tenant" in message
    assert "at most 512" in message
    assert "\n" not in message
    assert vault_manager(home).list_secrets() == []


def test_delete_removes_the_record_with_the_metadata(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    import hvac

    vault_manager(home).set_secret("gone_soon", VALUE, meta=PROXMOX, source="cli")
    manager = vault_manager(home)
    manager.get_secret("gone_soon")
    assert manager.delete_secret("gone_soon") is True
    with pytest.raises(hvac.exceptions.InvalidPath):
        openbao.client().secrets.kv.v2.read_secret_metadata(
            path=f"{prefix}/gone_soon", mount_point="secret"
        )


def test_a_record_for_a_name_not_stored_creates_nothing(token_env: dict[str, str]) -> None:
    store = backend()
    store.set_with_meta({}, {"ghost": PROXMOX})
    assert store.names() == []
    assert store.get_meta("ghost") is None


def test_reading_every_record_costs_one_list_and_one_read_per_name(
    token_env: dict[str, str], home: Path
) -> None:
    items = {f"n{i}": f"value-{i}" for i in range(5)}
    vault_manager(home).set_many(items, meta=dict.fromkeys(items, PROXMOX), source="import")
    store = backend()
    store.availability()
    before = store.request_count
    records = store.all_meta()
    assert store.request_count - before == 1 + len(items)
    assert sorted(records) == sorted(items)
    assert all(r.source == "import" and r.identity == PROXMOX.identity for r in records.values())


def test_writing_metadata_keeps_check_and_set(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    """Comparing the new value with the stored one is no read: an unread name still conflicts."""
    vault_manager(home).set_secret("plain", VALUE, meta=PROXMOX, source="cli")
    before = custom_metadata(openbao, f"{prefix}/plain")
    with pytest.raises(SecretConflict, match="read it first"):
        vault_manager(home).set_secret("plain", "other", source="migrate")
    assert custom_metadata(openbao, f"{prefix}/plain") == before
    assert vault_manager(home).get_secret("plain") == VALUE


def test_a_policy_without_update_on_metadata_is_told_what_to_grant(
    openbao: OpenBao,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
) -> None:
    use_vault_token(monkeypatch, tmp_path, openbao, prefix, GLASSDOME_VAULT_PREFIX=prefix)
    root = openbao.client()
    name = "old" + prefix.replace("/", "")
    root.sys.create_or_update_policy(name, OLD_POLICY.format(prefix=prefix))
    monkeypatch.setenv("VAULT_TOKEN", openbao.token([name]))
    with pytest.raises(SecretStoreError) as caught:
        vault_manager(home).set_secret("mail_api", VALUE, meta=PROXMOX, source="cli")
    message = str(caught.value)
    assert "denied storing the metadata of mail_api" in message
    assert "read/list/update/delete" in message
    assert "\n" not in message
