"""`passwd` rotates the data key: an old key file and the old password read nothing new.

The threat: a copy of ``master_key.enc`` from before a password change (a backup,
a stolen laptop image) together with the old password. Re-wrapping the same data
key would let that pair read every secret written after the change; passwd must
generate a new data key and re-encrypt the store (and its .bak) under it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from glassdome.backends.encrypted_file import BACKUP_FILE, KEY_FILE, STORE_FILE
from glassdome.errors import StoreCorrupted, WrongMasterPassword
from glassdome.primitives import crypto
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    NEW_PASSWORD,
    file_backend,
    make_store,
    open_store,
    read_document,
    store_files,
)
from tests.conftest import PASSWORD

AFTER_NAME = "written_after_passwd"
AFTER_VALUE = "after-passwd-value-9c1e"


def _old_key_reads(home: Path, path: Path) -> crypto.Document:
    """Decrypt *path* with the key file in *home* and the OLD password, bypassing the backend."""
    return read_document(path, home, password=PASSWORD)


def test_old_key_file_and_old_password_read_nothing_written_after_passwd(
    home: Path, tmp_path: Path
) -> None:
    make_store(home)
    old_key = tmp_path / "old-master_key.enc"
    shutil.copy2(home / KEY_FILE, old_key)

    manager = open_store(home)
    outcome = manager.change_master_password(PASSWORD, NEW_PASSWORD)
    new = open_store(home, password=NEW_PASSWORD)
    new.set_secret(AFTER_NAME, AFTER_VALUE)
    assert new.get_secret(CANARY_NAME) == CANARY
    assert new.get_secret("second") == "second-value"
    assert new.get_secret(AFTER_NAME) == AFTER_VALUE

    shutil.copy2(old_key, home / KEY_FILE)  # the attacker's backup copy
    with pytest.raises((StoreCorrupted, WrongMasterPassword)) as info:
        open_store(home, password=PASSWORD).get_secret(AFTER_NAME)
    assert AFTER_VALUE not in str(info.value)
    # Even ignoring the key id in the header, the old data key does not decrypt the store.
    for path in (home / STORE_FILE, home / BACKUP_FILE):
        with pytest.raises(StoreCorrupted):
            _old_key_reads(home, path)
    assert BACKUP_FILE in outcome
    assert "new data key" in outcome


def test_passwd_rewrites_the_backup_under_the_new_key(home: Path) -> None:
    make_store(home)
    backup_before = read_document(home / BACKUP_FILE, home)
    store_before = read_document(home / STORE_FILE, home)
    old_key_id = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE).key_id

    open_store(home).change_master_password(PASSWORD, NEW_PASSWORD)

    new_key_id = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE).key_id
    assert new_key_id != old_key_id
    for path in (home / STORE_FILE, home / BACKUP_FILE):
        assert crypto.document_key_id(path.read_bytes(), path.name) == new_key_id
    backup_after = read_document(home / BACKUP_FILE, home, password=NEW_PASSWORD)
    store_after = read_document(home / STORE_FILE, home, password=NEW_PASSWORD)
    assert backup_after == backup_before  # the previous generation is kept, nothing is lost
    assert store_after.secrets == store_before.secrets
    assert store_after.generation == store_before.generation + 1
    assert store_files(home) == sorted([STORE_FILE, BACKUP_FILE, KEY_FILE])


def test_a_crash_after_the_store_is_rewritten_rolls_forward_to_the_new_password(
    home: Path, mocker: MockerFixture
) -> None:
    make_store(home)
    manager = open_store(home)
    file_backend(manager)  # selected (and checked to be the file store) before the crash
    mocker.patch(
        "glassdome.backends.file_passwd.install_pending_key", side_effect=KeyboardInterrupt
    )
    with pytest.raises(KeyboardInterrupt):
        manager.change_master_password(PASSWORD, NEW_PASSWORD)
    # The store is under the new key and master_key.enc still holds the old one: the next
    # user finishes the change instead of finding a store no password opens.
    with pytest.raises(WrongMasterPassword):
        open_store(home, password=PASSWORD).get_secret(CANARY_NAME)
    assert open_store(home, password=NEW_PASSWORD).get_secret(CANARY_NAME) == CANARY
    assert store_files(home) == sorted([STORE_FILE, BACKUP_FILE, KEY_FILE])


def test_a_crash_before_the_store_is_rewritten_keeps_the_old_password(
    home: Path, mocker: MockerFixture
) -> None:
    make_store(home)
    manager = open_store(home)
    mocker.patch(
        "glassdome.backends.file_passwd.atomic_write",
        side_effect=[None, KeyboardInterrupt],  # the pending key is written, then "power off"
    )
    with pytest.raises(KeyboardInterrupt):
        manager.change_master_password(PASSWORD, NEW_PASSWORD)
    mocker.stopall()
    assert open_store(home).get_secret(CANARY_NAME) == CANARY
    open_store(home).set_secret("later", "later-value")  # a write clears the stale pending key
    assert open_store(home).get_secret("later") == "later-value"
    assert store_files(home) == sorted([STORE_FILE, BACKUP_FILE, KEY_FILE])
