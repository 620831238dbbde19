"""Metadata as Secrets Manager tags ``glassdome:*``, against moto's server with IAM enforced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glassdome.backends.aws_secrets import AwsSecretsBackend
from glassdome.backends.meta_strings import MetadataTooLong
from glassdome.core.secrets import SecretsManager
from glassdome.errors import SecretStoreError
from glassdome.primitives.meta import SecretMeta
from tests.backends.moto_server import TEAM_ACTIONS, Moto, use_aws
from tests.backends.remote import from_environment

VALUE = "aws-tags-value-41c9"
PROXMOX = SecretMeta(
    platform="proxmox",
    identity={"host": "pve.lab.example:8006", "token_id": "root@pam!glassdome"},
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "TEAMS.md"


def aws_manager(home: Path) -> SecretsManager:
    return SecretsManager(home=home, backend="aws")


def backend() -> AwsSecretsBackend:
    return from_environment(AwsSecretsBackend.from_context)


def tags(moto: Moto, secret_id: str) -> dict[str, str]:
    """The tags another client sees on *secret_id*."""
    found = moto.secrets_client().describe_secret(SecretId=secret_id)
    return {t["Key"]: t["Value"] for t in found.get("Tags", [])}


def test_the_record_is_tags_another_client_reads(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    aws_manager(home).set_secret("proxmox_token_value", VALUE, meta=PROXMOX, source="cli")
    seen = tags(moto, f"{prefix}/proxmox_token_value")
    assert seen["glassdome:v"] == "1"
    assert seen["glassdome:platform"] == "proxmox"
    assert seen["glassdome:source"] == "cli"
    assert seen["glassdome:identity.host"] == "pve.lab.example:8006"
    assert seen["glassdome:identity.token_id"] == "root@pam+21glassdome"
    assert VALUE not in repr(seen)


def test_fields_no_longer_set_are_untagged_and_other_tools_tags_are_kept(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    manager = aws_manager(home)
    manager.set_secret("aws_secret_access_key", VALUE, meta=PROXMOX, source="cli")
    full = f"{prefix}/aws_secret_access_key"
    moto.secrets_client().tag_resource(SecretId=full, Tags=[{"Key": "team", "Value": "lab-a"}])
    manager.update_meta("aws_secret_access_key", SecretMeta(verified="2026-12-01T00:00:00Z"))
    assert tags(moto, full)["glassdome:verified"] == "2026-12-01T00:00:00Z"
    aws_manager(home).set_secret("aws_secret_access_key", VALUE + "-2", source="migrate")
    seen = tags(moto, full)
    assert "glassdome:verified" not in seen
    assert seen["glassdome:source"] == "migrate"
    assert seen["team"] == "lab-a"
    record = aws_manager(home).get_meta("aws_secret_access_key")
    assert record is not None
    assert record.identity == PROXMOX.identity


def test_an_over_long_field_is_refused_by_name_before_anything_is_written(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    meta = SecretMeta(platform="azure", identity={"tenant": "ü" * 100})  # 600 escaped
    with pytest.raises(MetadataTooLong) as caught:
        aws_manager(home).set_secret("azure_client_secret", VALUE, meta=meta, source="cli")
    message = str(caught.value)
    assert "identity.tenant" in message
    assert "at most 256" in message
    assert VALUE not in message
    assert "\n" not in message
    assert aws_manager(home).list_secrets() == []


def test_reading_records_costs_one_request_each_and_one_listing_for_all(
    moto: Moto, aws_env: dict[str, str], home: Path
) -> None:
    items = {f"batch_{i:02d}": f"value-{i}" for i in range(25)}  # the listed path of set_many
    aws_manager(home).set_many(items, meta=dict.fromkeys(items, PROXMOX), source="import")
    store = backend()
    store.availability()
    before = store.request_count
    record = store.get_meta("batch_07")
    assert store.request_count - before == 1
    assert record is not None
    assert record.source == "import"
    before = store.request_count
    records = store.all_meta()
    assert store.request_count - before == 1  # 25 names: one ListSecrets page
    assert sorted(records) == sorted(items)
    assert all(r.identity == PROXMOX.identity for r in records.values())


def test_a_new_secret_is_created_with_its_tags_in_one_request(
    moto: Moto, aws_env: dict[str, str], home: Path
) -> None:
    store = backend()
    store.availability()
    before = store.request_count
    store.set_with_meta({"fresh": VALUE}, {"fresh": PROXMOX})
    assert store.request_count - before == 2  # DescribeSecret, CreateSecret with Tags
    assert store.get_meta("fresh") == PROXMOX


def test_the_documented_policy_is_enough_and_names_every_action(
    moto: Moto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    """The IAM user 'team' is allowed exactly what docs/TEAMS.md lists, tags included."""
    documented = DOCS.read_text(encoding="utf-8")
    assert all(f'"{action}"' in documented for action in TEAM_ACTIONS)
    use_aws(monkeypatch, moto, tmp_path, user="team", GLASSDOME_AWS_PREFIX=prefix)
    manager = aws_manager(home)
    manager.set_secret("proxmox_token_value", VALUE, meta=PROXMOX, source="cli")
    manager.update_meta("proxmox_token_value", SecretMeta(verified="2026-12-01T00:00:00Z"))
    aws_manager(home).set_secret("proxmox_token_value", VALUE + "-2", source="cli")
    listed = aws_manager(home).list_meta()
    record = listed["proxmox_token_value"]
    assert record is not None
    assert record.verified is None
    assert aws_manager(home).delete_secret("proxmox_token_value") is True
    assert os.environ["AWS_PROFILE"]  # the team user's profile was in use throughout


def test_a_user_who_may_not_tag_is_told_which_action_was_denied(
    moto: Moto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    use_aws(monkeypatch, moto, tmp_path, GLASSDOME_AWS_PREFIX=prefix)
    aws_manager(home).set_secret("mail_api", VALUE, source="cli")
    use_aws(monkeypatch, moto, tmp_path, user="reader", GLASSDOME_AWS_PREFIX=prefix)
    reader = backend()
    stored = reader.get_meta("mail_api")  # DescribeSecret is enough to read
    assert stored is not None
    with pytest.raises(SecretStoreError) as caught:
        reader.set_with_meta({}, {"mail_api": stored.merged(PROXMOX)})
    message = str(caught.value)
    assert message.startswith("AWS denied tagging mail_api with its metadata")
    assert "secretsmanager:TagResource" in message
    assert "\n" not in message
