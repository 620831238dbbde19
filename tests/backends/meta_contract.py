"""The metadata contract: a backend that keeps records beside secrets keeps them right.

Mix `MetadataContract` into a backend's `BackendContract` subclass. Records never
hold values, follow their secret (set, replaced, deleted), survive a new process,
and reading a value never needs them.
"""

from __future__ import annotations

import pytest

from glassdome.backends.base import SecretBackend, SupportsMetadata
from glassdome.core.secrets import SecretsManager
from glassdome.primitives.meta import SecretMeta

VALUE = "meta-contract-value-5b2d"
PROXMOX = SecretMeta(
    platform="proxmox",
    identity={"host": "pve.lab.example:8006", "token_id": "root@pam!glassdome"},
    expires="2027-06-01T00:00:00Z",
)


class MetadataContract:
    def make_manager(self) -> SecretsManager:  # provided by BackendContract
        raise NotImplementedError

    def make_backend(self) -> SecretBackend:  # provided by BackendContract
        raise NotImplementedError

    def replacing_manager(self, name: str) -> SecretsManager:
        """A new manager about to replace *name* (Vault's check-and-set wants it read first)."""
        return self.make_manager()

    def test_meta_backend_supports_metadata(self) -> None:
        assert isinstance(self.make_backend(), SupportsMetadata)

    def test_meta_a_write_records_where_the_value_came_from(self) -> None:
        manager = self.make_manager()
        manager.set_secret("proxmox_token_value", VALUE, meta=PROXMOX, source="cli")
        record = self.make_manager().get_meta("proxmox_token_value")
        assert record is not None
        assert record.source == "cli"
        assert record.platform == "proxmox"
        assert record.identity == PROXMOX.identity
        assert record.expires == PROXMOX.expires
        assert record.created is not None
        assert record.created == record.updated
        assert record.verified is None
        assert VALUE not in repr(record)
        assert VALUE not in record.as_json()

    def test_meta_a_new_value_keeps_created_and_identity_and_clears_verified(self) -> None:
        manager = self.make_manager()
        manager.set_secret("aws_secret_access_key", VALUE, meta=PROXMOX, source="cli")
        manager.update_meta(
            "aws_secret_access_key", SecretMeta(verified="2026-12-01T00:00:00Z", last_check="ok")
        )
        first = self.make_manager().get_meta("aws_secret_access_key")
        assert first is not None
        assert first.verified == "2026-12-01T00:00:00Z"
        assert first.last_check == "ok"
        again = self.replacing_manager("aws_secret_access_key")
        again.set_secret("aws_secret_access_key", VALUE + "-2", source="migrate")
        second = self.make_manager().get_meta("aws_secret_access_key")
        assert second is not None
        assert second.created == first.created
        assert second.source == "migrate"
        assert second.identity == PROXMOX.identity
        assert second.verified is None
        assert second.last_check is None

    def test_meta_the_same_value_again_changes_no_record(self) -> None:
        manager = self.make_manager()
        manager.set_secret("secret_key", VALUE, source="cli")
        before = self.make_manager().get_meta("secret_key")
        self.replacing_manager("secret_key").set_secret("secret_key", VALUE, source="copy")
        assert self.make_manager().get_meta("secret_key") == before

    def test_meta_delete_removes_the_record(self) -> None:
        manager = self.make_manager()
        manager.set_secret("openai_api_key", VALUE, meta=PROXMOX, source="cli")
        assert manager.delete_secret("openai_api_key") is True
        fresh = self.make_manager()
        assert fresh.get_meta("openai_api_key") is None
        manager.set_secret("openai_api_key", VALUE, source="cli")
        record = self.make_manager().get_meta("openai_api_key")
        assert record is not None
        assert record.platform is None

    def test_meta_list_gives_every_name_with_its_record(self) -> None:
        manager = self.make_manager()
        manager.set_many({"a_one": VALUE, "b_two": VALUE + "2"}, source="migrate")
        listed = self.make_manager().list_meta()
        assert sorted(listed) == ["a_one", "b_two"]
        for record in listed.values():
            assert record is not None
            assert record.source == "migrate"

    def test_meta_update_of_a_missing_name_stores_nothing(self) -> None:
        manager = self.make_manager()
        manager.update_meta("never_stored", SecretMeta(verified="2026-12-01T00:00:00Z"))
        assert self.make_manager().list_secrets() == []
        assert self.make_manager().get_meta("never_stored") is None

    @pytest.mark.parametrize("hostile", ["a\nb", "ünïcode ✓", "x" * 200, 'quote " and \\'])
    def test_meta_identity_text_round_trips(self, hostile: str) -> None:
        manager = self.make_manager()
        meta = SecretMeta(platform="azure", identity={"tenant": hostile})
        manager.set_secret("azure_client_secret", VALUE, meta=meta, source="cli")
        record = self.make_manager().get_meta("azure_client_secret")
        assert record is not None
        assert record.identity["tenant"] == hostile
