"""A damaged encrypted file store fails loudly and is never overwritten; an oversized
file is refused before it is read.

Every damage is made on real files in ``tmp_path``; errors are checked for what they
say and for what they must never say (a stored value or a master password).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from glassdome.backends import file_layout
from glassdome.backends.encrypted_file import BACKUP_FILE, KEY_FILE, STORE_FILE
from glassdome.errors import SecretStoreError, StoreCorrupted, WrongMasterPassword
from glassdome.primitives import crypto
from glassdome.primitives.sensitive import Sensitive
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    NEW_PASSWORD,
    OPERATIONS,
    assert_error_reveals_nothing,
    file_backend,
    make_store,
    open_store,
    restore_hint,
    snapshot,
    split_document,
)
from tests.conftest import PASSWORD

# -- damage is loud, and never overwritten -----------------------------------


def _flip_token_byte(position: int) -> Callable[[bytes], bytes]:
    """Flip one bit of the decoded Fernet token (version, timestamp, IV, ciphertext, HMAC)."""

    def damage(raw: bytes) -> bytes:
        header, token = split_document(raw)
        decoded = bytearray(base64.urlsafe_b64decode(token))
        decoded[position] ^= 0x01
        return header + b"\n" + base64.urlsafe_b64encode(bytes(decoded)) + b"\n"

    return damage


def _replace_token_character(raw: bytes) -> bytes:
    header, token = split_document(raw)
    middle = len(token) // 2
    replacement = b"A" if token[middle : middle + 1] != b"A" else b"B"
    return header + b"\n" + token[:middle] + replacement + token[middle + 1 :] + b"\n"


def _edit_header(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        header, token = split_document(raw)
        doc = json.loads(header)
        edit(doc)
        return json.dumps(doc).encode() + b"\n" + token + b"\n"

    return damage


STORE_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "token version byte": _flip_token_byte(0),
    "token timestamp": _flip_token_byte(4),
    "token iv": _flip_token_byte(12),
    "token ciphertext": _flip_token_byte(40),
    "token hmac": _flip_token_byte(-1),
    "token text character": _replace_token_character,
    "cut in half": lambda raw: raw[: len(raw) // 2],
    "zero bytes": lambda raw: b"",
    "garbage header": lambda raw: b"\x00garbage\xff" + raw[raw.index(b"\n") :],
    "header missing": lambda raw: split_document(raw)[1] + b"\n",
    "header names another key": _edit_header(lambda doc: doc.update(key_id="0" * 32)),
    "header from the future": _edit_header(lambda doc: doc.update(version=2)),
    "junk appended": lambda raw: raw + b"junk\n",
}


@pytest.mark.parametrize("damage", STORE_DAMAGE.values(), ids=list(STORE_DAMAGE))
def test_damaged_store_raises_store_corrupted_and_is_never_overwritten(
    home: Path, damage: Callable[[bytes], bytes]
) -> None:
    writer = make_store(home)  # has the intact document cached
    store = home / STORE_FILE
    store.write_bytes(damage(store.read_bytes()))
    before = snapshot(home)
    for manager in (open_store(home), writer):
        for read in (OPERATIONS["get"], OPERATIONS["list"]):
            with pytest.raises(StoreCorrupted) as info:
                read(manager)
            assert restore_hint(home) in str(info.value)
            assert_error_reveals_nothing(info.value)
        for write in (OPERATIONS["set"], OPERATIONS["set_many"], OPERATIONS["delete"]):
            with pytest.raises(StoreCorrupted) as info:
                write(manager)
            assert_error_reveals_nothing(info.value)
    assert snapshot(home) == before


def test_damaged_store_without_a_backup_says_there_is_none(home: Path) -> None:
    open_store(home).set_secret(CANARY_NAME, CANARY)
    store = home / STORE_FILE
    store.write_bytes(store.read_bytes()[:-20])
    before = snapshot(home)
    manager = open_store(home)
    with pytest.raises(StoreCorrupted, match="no backup generation") as info:
        manager.get_secret(CANARY_NAME)
    assert_error_reveals_nothing(info.value)
    with pytest.raises(StoreCorrupted):
        manager.set_secret(CANARY_NAME, "replacement-value")
    assert snapshot(home) == before


def _edit_key(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        doc = json.loads(raw)
        edit(doc)
        return json.dumps(doc, indent=2).encode() + b"\n"

    return damage


def _other_salt(doc: dict[str, Any]) -> None:
    salt = base64.b64decode(doc["kdf"]["salt"])
    doc["kdf"]["salt"] = base64.b64encode(bytes(b ^ 0xFF for b in salt)).decode()


def _flip_wrapped_key(doc: dict[str, Any]) -> None:
    decoded = bytearray(base64.urlsafe_b64decode(doc["wrapped_data_key"]))
    decoded[30] ^= 0x01
    doc["wrapped_data_key"] = base64.urlsafe_b64encode(bytes(decoded)).decode()


KEY_DAMAGE: dict[str, tuple[Callable[[bytes], bytes], type[Exception]]] = {
    "salt changed": (_edit_key(_other_salt), WrongMasterPassword),
    "wrapped key changed": (_edit_key(_flip_wrapped_key), WrongMasterPassword),
    "key id changed": (_edit_key(lambda doc: doc.update(key_id="0" * 32)), StoreCorrupted),
    "salt too short": (
        _edit_key(lambda doc: doc["kdf"].update(salt=base64.b64encode(b"short").decode())),
        StoreCorrupted,
    ),
    "salt not base64": (_edit_key(lambda doc: doc["kdf"].update(salt="*not*")), StoreCorrupted),
    "unknown kdf": (_edit_key(lambda doc: doc["kdf"].update(algorithm="pbkdf2")), StoreCorrupted),
    "field missing": (_edit_key(lambda doc: doc.pop("wrapped_data_key")), StoreCorrupted),
    "format from the future": (_edit_key(lambda doc: doc.update(version=2)), StoreCorrupted),
    "not json": (lambda raw: b"\x00garbage\xff" + raw, StoreCorrupted),
    "cut in half": (lambda raw: raw[: len(raw) // 2], StoreCorrupted),
    "zero bytes": (lambda raw: b"", StoreCorrupted),
}


@pytest.mark.parametrize(("damage", "error"), KEY_DAMAGE.values(), ids=list(KEY_DAMAGE))
def test_damaged_key_file_raises_and_changes_nothing(
    home: Path, damage: Callable[[bytes], bytes], error: type[Exception]
) -> None:
    make_store(home)
    key = home / KEY_FILE
    key.write_bytes(damage(key.read_bytes()))
    before = snapshot(home)
    manager = open_store(home)
    for operation in OPERATIONS.values():
        with pytest.raises(error) as info:
            operation(manager)
        assert_error_reveals_nothing(info.value)
    with pytest.raises((WrongMasterPassword, StoreCorrupted)) as info:
        manager.change_master_password(PASSWORD, NEW_PASSWORD)
    assert_error_reveals_nothing(info.value)
    assert file_backend(manager).unlock_count == 0
    assert snapshot(home) == before


def test_key_id_is_bound_into_the_key_derivation(home: Path) -> None:
    """Changing the key id in both files together still does not unlock the store."""
    make_store(home)
    for path, damage in (
        (home / KEY_FILE, _edit_key(lambda doc: doc.update(key_id="0" * 32))),
        (home / STORE_FILE, _edit_header(lambda doc: doc.update(key_id="0" * 32))),
    ):
        path.write_bytes(damage(path.read_bytes()))
    before = snapshot(home)
    with pytest.raises(WrongMasterPassword):
        open_store(home).get_secret(CANARY_NAME)
    assert snapshot(home) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_cost_kib", crypto.KDF_FLOOR.memory_cost_kib - 1),
        ("iterations", crypto.KDF_FLOOR.iterations - 1),
        ("memory_cost_kib", 64 * 1024 * 1024),  # 64 GiB: a header must not ask for that
        ("iterations", 10_000),
        ("lanes", 0),
    ],
)
def test_key_file_kdf_parameters_out_of_bounds_are_refused(
    home: Path, field: str, value: int
) -> None:
    make_store(home)
    key = home / KEY_FILE
    key.write_bytes(_edit_key(lambda doc: doc["kdf"].update({field: value}))(key.read_bytes()))
    before = snapshot(home)
    manager = open_store(home)
    with pytest.raises(StoreCorrupted, match=KEY_FILE) as info:
        manager.get_secret(CANARY_NAME)
    assert_error_reveals_nothing(info.value)
    with pytest.raises(StoreCorrupted):
        manager.set_secret(CANARY_NAME, "replacement-value")
    assert file_backend(manager).unlock_count == 0
    assert manager.describe().details["kdf"].startswith("unreadable")
    assert snapshot(home) == before


# -- size caps ---------------------------------------------------------------


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as file:
        file.truncate(size)


@pytest.mark.parametrize("name", [STORE_FILE, KEY_FILE])
def test_oversized_store_or_key_file_is_refused_before_reading(
    home: Path, name: str, mocker: MockerFixture
) -> None:
    make_store(home)
    _sparse(home / name, 300 * 1024 * 1024)
    read = mocker.spy(Path, "read_bytes")
    with pytest.raises(StoreCorrupted) as caught:
        open_store(home).get_secret(CANARY_NAME)
    message = str(caught.value)
    assert str(home / name) in message
    assert "refusing to read it" in message
    assert "\n" not in message
    assert read.call_count == 0


def test_oversized_backup_is_refused_by_passwd(home: Path) -> None:
    make_store(home)
    _sparse(home / BACKUP_FILE, file_layout.MAX_STORE_BYTES + 1)
    backend = file_backend(open_store(home))
    with pytest.raises(StoreCorrupted, match=re.escape(str(home / BACKUP_FILE))):
        backend.change_master_password(Sensitive(PASSWORD), Sensitive(NEW_PASSWORD))


def test_a_store_at_the_limit_is_read(home: Path, mocker: MockerFixture) -> None:
    make_store(home)
    size = (home / STORE_FILE).stat().st_size
    mocker.patch.object(file_layout, "MAX_STORE_BYTES", size)
    assert open_store(home).get_secret(CANARY_NAME) == CANARY


def test_a_write_that_would_exceed_the_limit_is_refused(home: Path, mocker: MockerFixture) -> None:
    make_store(home)
    before = snapshot(home)
    mocker.patch.object(file_layout, "MAX_STORE_BYTES", (home / STORE_FILE).stat().st_size)
    with pytest.raises(SecretStoreError, match="above the limit"):
        open_store(home).set_secret("big", "x" * 4096)
    assert snapshot(home) == before


def test_store_limit_holds_a_thousand_values_of_the_maximum_size() -> None:
    from glassdome.primitives.names import MAX_VALUE_BYTES

    per_value = (MAX_VALUE_BYTES + 100) * 4 // 3 + 100  # JSON, then base64 in the token
    assert 1000 * per_value < file_layout.MAX_STORE_BYTES
