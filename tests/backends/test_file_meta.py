"""The encrypted file keeps metadata inside its one encrypted document.

A store written before metadata existed opens and gains records on its next write;
a store written with records still passes the checks the earlier reader makes, so
it opens there (that reader ignores the records); `passwd` keeps them; a damaged
record is `StoreCorrupted`, never an empty record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassdome.backends.file_layout import KEY_FILE, STORE_FILE
from glassdome.core.secrets import SecretsManager
from glassdome.errors import StoreCorrupted
from glassdome.primitives import crypto
from glassdome.primitives.meta import SecretMeta
from glassdome.primitives.sensitive import Sensitive
from tests.conftest import PASSWORD

VALUE = "file-meta-canary-91ce"


@pytest.fixture
def manager(home: Path, password_env: str) -> SecretsManager:
    return SecretsManager(home=home, backend="file")


def _key(home: Path) -> crypto.UnlockedKey:
    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    return crypto.unlock_key_file(key_file, Sensitive(PASSWORD))


def _body(home: Path) -> dict[str, object]:
    raw = (home / STORE_FILE).read_bytes()
    token = raw.partition(b"\n")[2].rstrip(b"\n")
    return json.loads(_key(home).fernet.decrypt(token))


def _rewrite(home: Path, body: dict[str, object]) -> None:
    key = _key(home)
    header = json.dumps(
        {"format": crypto.DOC_FORMAT, "version": crypto.FORMAT_VERSION, "key_id": key.key_id}
    )
    token = key.fernet.encrypt(json.dumps(body).encode())
    (home / STORE_FILE).write_bytes(header.encode() + b"\n" + token + b"\n")


def test_records_live_inside_the_encrypted_document(manager: SecretsManager, home: Path):
    manager.set_secret("proxmox_token_value", VALUE, meta=SecretMeta(platform="proxmox"))
    assert b"proxmox" not in (home / STORE_FILE).read_bytes()
    body = _body(home)
    assert body["meta"]["proxmox_token_value"]["platform"] == "proxmox"  # type: ignore[index]


def test_a_store_without_records_opens_and_gains_them_on_its_next_write(
    manager: SecretsManager, home: Path
):
    manager.set_secret("old_secret", VALUE)
    body = _body(home)
    del body["meta"]
    _rewrite(home, body)  # what a store written before metadata existed holds
    reopened = SecretsManager(home=home, backend="file")
    assert reopened.get_secret("old_secret") == VALUE
    assert reopened.get_meta("old_secret") is None
    assert reopened.list_meta() == {"old_secret": None}
    reopened.set_secret("new_secret", VALUE, source="cli")
    again = SecretsManager(home=home, backend="file")
    assert again.get_secret("old_secret") == VALUE
    assert again.get_meta("new_secret") is not None


def test_a_store_with_records_passes_the_checks_of_the_earlier_reader(
    manager: SecretsManager, home: Path
):
    manager.set_secret("proxmox_token_value", VALUE, meta=SecretMeta(platform="proxmox"))
    body = _body(home)
    # The earlier reader required exactly these, with these types, and ignored the rest.
    assert isinstance(body["generation"], int)
    assert body["key_id"] == _key(home).key_id
    assert body["secrets"] == {"proxmox_token_value": VALUE}


def test_passwd_keeps_the_records(manager: SecretsManager, home: Path):
    manager.set_secret("aws_secret_access_key", VALUE, meta=SecretMeta(platform="aws"))
    manager.change_master_password(PASSWORD, "a brand new passphrase")
    body = _body_with(home, "a brand new passphrase")
    assert body["meta"]["aws_secret_access_key"]["platform"] == "aws"  # type: ignore[index]


def _body_with(home: Path, password: str) -> dict[str, object]:
    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(password))
    token = (home / STORE_FILE).read_bytes().partition(b"\n")[2].rstrip(b"\n")
    return json.loads(key.fernet.decrypt(token))


@pytest.mark.parametrize(
    "meta", [["not", "a", "map"], {"x": "not a record"}, {"x": {"v": 1, "created": 7}}]
)
def test_a_damaged_record_is_store_corrupted(manager: SecretsManager, home: Path, meta: object):
    manager.set_secret("x", VALUE)
    body = _body(home)
    body["meta"] = meta
    _rewrite(home, body)
    reopened = SecretsManager(home=home, backend="file")
    with pytest.raises(StoreCorrupted) as caught:
        reopened.list_meta()
    assert VALUE not in str(caught.value)
