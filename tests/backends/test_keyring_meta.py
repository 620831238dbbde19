"""Metadata in a real gnome-keyring: one JSON entry per secret under ``glassdome-meta``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from glassdome.backends.os_keyring import META_SERVICE, SERVICE, OsKeyringBackend
from glassdome.core.secrets import SecretsManager
from glassdome.errors import StoreCorrupted
from glassdome.primitives.meta import SecretMeta
from tests.secret_service import run_tool, stored_items

pytestmark = pytest.mark.secret_service

VALUE = "keyring-meta-value-8f3a"
PROXMOX = SecretMeta(platform="proxmox", identity={"token_id": "root@pam!glassdome"})


class RecordingKeyring(SecretServiceKeyring):
    """The real Secret Service keyring, noting each entry it is asked to read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.reads.append((service, username))
        return super().get_password(service, username)


def manager(home: Path) -> SecretsManager:
    return SecretsManager(home=home, backend="keyring")


def lookup(env: dict[str, str], service: str, name: str) -> str:
    found = run_tool(["secret-tool", "lookup", "service", service, "username", name], env)
    assert found.returncode == 0, found.stderr
    return found.stdout


def test_the_record_is_a_json_entry_beside_the_secret_readable_by_secret_tool(
    keyring_env: dict[str, str], home: Path
) -> None:
    manager(home).set_secret("proxmox_token_value", VALUE, meta=PROXMOX, source="cli")
    record = json.loads(lookup(keyring_env, META_SERVICE, "proxmox_token_value"))
    assert record["v"] == 1
    assert record["platform"] == "proxmox"
    assert record["identity"] == {"token_id": "root@pam!glassdome"}
    assert record["source"] == "cli"
    assert VALUE not in json.dumps(record)
    assert lookup(keyring_env, SERVICE, "proxmox_token_value") == VALUE
    # The record is no secret name: the index lists the secret once.
    assert manager(home).list_secrets() == ["proxmox_token_value"]


def test_get_reads_the_value_entry_and_nothing_else(
    keyring_env: dict[str, str], home: Path
) -> None:
    manager(home).set_secret("api_token", VALUE, meta=PROXMOX, source="cli")
    recording = RecordingKeyring()
    backend = OsKeyringBackend(recording, timeout=30)
    assert backend.availability().available
    recording.reads.clear()
    assert backend.get("api_token") == VALUE
    assert recording.reads == [(SERVICE, "api_token")]
    recording.reads.clear()
    assert backend.get_meta("api_token") == manager(home).get_meta("api_token")
    assert recording.reads == [(META_SERVICE, "api_token")]


def test_delete_removes_the_metadata_entry(keyring_env: dict[str, str], home: Path) -> None:
    manager(home).set_secret("openai_api_key", VALUE, meta=PROXMOX, source="cli")
    assert len(stored_items(keyring_env, META_SERVICE)) == 1
    assert manager(home).delete_secret("openai_api_key") is True
    assert stored_items(keyring_env, META_SERVICE) == []
    assert stored_items(keyring_env, SERVICE) == []


def test_a_record_for_a_name_not_stored_is_not_written(
    keyring_env: dict[str, str], home: Path
) -> None:
    backend = OsKeyringBackend(timeout=30, lock_path=home / "keyring.lock")
    backend.set_with_meta({}, {"never_stored": PROXMOX})
    assert stored_items(keyring_env, META_SERVICE) == []
    assert backend.get_meta("never_stored") is None
    assert backend.all_meta() == {}


def test_a_damaged_record_is_named_in_one_line_with_what_to_do(
    keyring_env: dict[str, str], home: Path
) -> None:
    manager(home).set_secret("mail_api", VALUE, source="cli")
    stored = run_tool(
        ["secret-tool", "store", "--label=x", "service", META_SERVICE, "username", "mail_api"],
        keyring_env,
        stdin='{"v": "one", "platform": "x"}',
    )
    assert stored.returncode == 0, stored.stderr
    with pytest.raises(StoreCorrupted) as caught:
        manager(home).get_meta("mail_api")
    message = str(caught.value)
    assert "\n" not in message
    assert f"{META_SERVICE}/mail_api" in message
    assert "secret-tool clear" in message
    assert manager(home).get_secret("mail_api") == VALUE  # the value still reads
