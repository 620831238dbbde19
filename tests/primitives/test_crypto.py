"""glassdome.primitives.crypto: key derivation, key wrapping and the document, as pure functions.

Every derivation uses the KDF floor, as the rest of the suite does: the parameters
are the cheapest the code accepts, so the tests are quick and still real Argon2id.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from glassdome.errors import StoreCorrupted, WeakMasterPassword, WrongMasterPassword
from glassdome.primitives.crypto import (
    DEFAULT_KDF,
    KDF_FLOOR,
    MIN_PASSWORD_LENGTH,
    Document,
    KdfParams,
    KeyFile,
    UnlockedKey,
    check_kdf,
    check_new_password,
    decrypt_document,
    encrypt_document,
    new_key_file,
    parse_key_file,
    unlock_key_file,
)
from glassdome.primitives.sensitive import Sensitive
from tests.conftest import PASSWORD

SOURCE = "master_key.enc"
SECRETS = {"proxmox_password": "pve-s3cret-value", "azure_client_secret": "az-s3cret-value"}


@pytest.fixture(scope="module")
def made() -> tuple[KeyFile, UnlockedKey]:
    """One key file, made once for the module (each derivation is real Argon2id)."""
    return new_key_file(Sensitive(PASSWORD), KDF_FLOOR)


def _header(key_file: KeyFile) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(key_file.to_bytes())
    return doc


def _bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode("ascii")


# --- the key file ----------------------------------------------------------------------


def test_the_stored_header_derives_the_same_key_again(made: tuple[KeyFile, UnlockedKey]):
    """Parameters, salt and key id read back from the file unwrap the very data key made."""
    key_file, key = made
    parsed = parse_key_file(key_file.to_bytes(), SOURCE)
    assert parsed == key_file
    again = unlock_key_file(parsed, Sensitive(PASSWORD))
    assert again.key_id == key.key_id
    token = key.fernet.encrypt(b"written with the new key")
    assert again.fernet.decrypt(token) == b"written with the new key"


def test_each_new_key_file_has_its_own_key_id_salt_and_data_key(
    made: tuple[KeyFile, UnlockedKey],
):
    key_file, key = made
    other_file, other_key = new_key_file(Sensitive(PASSWORD), KDF_FLOOR)
    assert other_file.key_id != key_file.key_id
    assert other_file.salt != key_file.salt
    with pytest.raises(StoreCorrupted, match="authentication failed"):
        decrypt_document(other_key, encrypt_document(key, Document(1, SECRETS)), "store")


def test_the_header_records_the_parameters_in_a_versioned_json_document(
    made: tuple[KeyFile, UnlockedKey],
):
    header = _header(made[0])
    assert (header["format"], header["version"]) == ("glassdome-master-key", 1)
    assert header["kdf"] == {
        "algorithm": "argon2id",
        "memory_cost_kib": KDF_FLOOR.memory_cost_kib,
        "iterations": KDF_FLOOR.iterations,
        "lanes": KDF_FLOOR.lanes,
        "salt": base64.b64encode(made[0].salt).decode("ascii"),
    }
    assert PASSWORD not in made[0].to_bytes().decode("ascii")


def test_a_wrong_password_is_refused_without_quoting_it(made: tuple[KeyFile, UnlockedKey]):
    with pytest.raises(WrongMasterPassword, match="wrong master password") as refused:
        unlock_key_file(made[0], Sensitive("not the password"))
    assert "not the password" not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda doc: doc.update(key_id="00" * 16), id="key id swapped"),
        pytest.param(
            lambda doc: doc["kdf"].update(salt=base64.b64encode(b"\0" * 16).decode()), id="salt"
        ),
        pytest.param(lambda doc: doc["kdf"].update(iterations=3), id="iterations"),
        pytest.param(lambda doc: doc["kdf"].update(memory_cost_kib=20 * 1024), id="memory"),
        pytest.param(lambda doc: doc["kdf"].update(lanes=2), id="lanes"),
        pytest.param(
            lambda doc: doc.update(wrapped_data_key=doc["wrapped_data_key"][:-4] + "AAAA"),
            id="wrapped key",
        ),
    ],
)
def test_a_tampered_header_no_longer_unlocks_with_the_right_password(
    made: tuple[KeyFile, UnlockedKey], tamper: Any
):
    """The key id is bound into the derivation (associated data), the rest into the KEK."""
    doc = _header(made[0])
    tamper(doc)
    altered = parse_key_file(_bytes(doc), SOURCE)
    with pytest.raises(WrongMasterPassword):
        unlock_key_file(altered, Sensitive(PASSWORD))


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (lambda doc: doc.update(format="something-else"), "not a glassdome master key file"),
        (lambda doc: doc.update(version=2), "format version 2; .* upgrade glassdome"),
        (lambda doc: doc["kdf"].update(algorithm="scrypt"), "unknown KDF 'scrypt'"),
        (lambda doc: doc["kdf"].update(salt="not base64!"), "bad field: Error"),
        (lambda doc: doc["kdf"].update(salt=base64.b64encode(b"short").decode()), "salt too short"),
        (lambda doc: doc["kdf"].pop("lanes"), "bad field: KeyError"),
        (lambda doc: doc["kdf"].update(iterations="many"), "bad field: ValueError"),
        (lambda doc: doc["kdf"].update(iterations=1), "below the floor"),
        (lambda doc: doc["kdf"].update(memory_cost_kib=2 * 1024 * 1024), "above the ceiling"),
    ],
    ids=["format", "version", "algorithm", "salt", "short salt", "lanes", "t", "floor", "ceiling"],
)
def test_a_malformed_header_is_corrupted_naming_the_file(
    made: tuple[KeyFile, UnlockedKey], tamper: Any, why: str
):
    doc = _header(made[0])
    tamper(doc)
    with pytest.raises(StoreCorrupted, match=f"^{SOURCE} .*{why}"):
        parse_key_file(_bytes(doc), SOURCE)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[1, 2]", b"{", b"[" * 100_000])
def test_a_key_file_that_is_not_a_json_object_is_corrupted(content: bytes):
    with pytest.raises(StoreCorrupted, match="not a valid header"):
        parse_key_file(content, SOURCE)


# --- the KDF's floor and ceiling, and the new password ---------------------------------


@pytest.mark.parametrize(
    "params",
    [
        KDF_FLOOR,
        DEFAULT_KDF,
        KdfParams(1024 * 1024, 10, 16),
        KdfParams(KDF_FLOOR.memory_cost_kib, KDF_FLOOR.iterations, 1),
    ],
    ids=["floor", "default", "ceiling", "one lane"],
)
def test_parameters_between_floor_and_ceiling_are_accepted(params: KdfParams):
    assert check_kdf(params) is params


@pytest.mark.parametrize(
    ("params", "why"),
    [
        (KdfParams(KDF_FLOOR.memory_cost_kib - 1, 3, 4), "below the floor"),
        (KdfParams(64 * 1024, KDF_FLOOR.iterations - 1, 4), "below the floor"),
        (KdfParams(1024 * 1024 + 1, 3, 4), "above the ceiling"),
        (KdfParams(64 * 1024, 11, 4), "above the ceiling"),
        (KdfParams(64 * 1024, 3, 17), "above the ceiling"),
        (KdfParams(64 * 1024, 3, 0), "above the ceiling"),
    ],
    ids=["m", "t", "m max", "t max", "p max", "p zero"],
)
def test_parameters_outside_floor_or_ceiling_are_refused(params: KdfParams, why: str):
    with pytest.raises(ValueError, match=why):
        check_kdf(params)


def test_a_new_key_file_below_the_floor_is_refused_before_deriving():
    with pytest.raises(ValueError, match="below the floor"):
        new_key_file(Sensitive(PASSWORD), KdfParams(1024, 1, 1))


def test_a_short_new_password_is_refused_without_quoting_it():
    short = "q7" * MIN_PASSWORD_LENGTH
    short = short[: MIN_PASSWORD_LENGTH - 1]
    with pytest.raises(
        WeakMasterPassword, match=f"shorter than {MIN_PASSWORD_LENGTH} characters"
    ) as e:
        new_key_file(Sensitive(short), KDF_FLOOR)
    assert short not in str(e.value)
    check_new_password(Sensitive("y" * MIN_PASSWORD_LENGTH))


def test_below_compares_memory_and_time_and_describe_names_them():
    assert KDF_FLOOR.below(DEFAULT_KDF)
    assert not DEFAULT_KDF.below(KDF_FLOOR)
    assert KdfParams(64 * 1024, 2, 4).below(DEFAULT_KDF)
    assert DEFAULT_KDF.describe() == "argon2id m=64 MiB t=3 p=4"


# --- the document ----------------------------------------------------------------------


def test_a_document_round_trips_and_hides_names_and_values(made: tuple[KeyFile, UnlockedKey]):
    key = made[1]
    content = encrypt_document(key, Document(7, SECRETS))
    assert decrypt_document(key, content, "store") == Document(7, SECRETS)
    for text in (*SECRETS, *SECRETS.values()):
        assert text.encode() not in content
    header = json.loads(content.partition(b"\n")[0])
    assert header == {"format": "glassdome-secrets", "version": 1, "key_id": key.key_id}


def test_a_document_under_another_key_id_is_refused(made: tuple[KeyFile, UnlockedKey]):
    """The key id inside the token must match: a document cannot move to another key file."""
    key = made[1]
    content = encrypt_document(key, Document(1, SECRETS))
    relabelled = UnlockedKey("ff" * 16, key.fernet)
    with pytest.raises(StoreCorrupted, match=r"^store .*unexpected contents"):
        decrypt_document(relabelled, content, "store")


def _flip(content: bytes, at: int) -> bytes:
    return content[:at] + bytes([content[at] ^ 1]) + content[at + 1 :]


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda c: _flip(c, len(c) - 10), "authentication failed"),
        (lambda c: c.partition(b"\n")[0], "truncated"),
        (lambda c: c.replace(b"glassdome-secrets", b"glassdome-other"), "not a glassdome secrets"),
        (lambda c: c.replace(b'"version": 1', b'"version": 9'), "format version 9"),
        (lambda c: b"not json\n" + c.partition(b"\n")[2], "not a valid header"),
    ],
    ids=["token", "truncated", "format", "version", "header"],
)
def test_a_damaged_document_is_corrupted(made: tuple[KeyFile, UnlockedKey], damage: Any, why: str):
    content = encrypt_document(made[1], Document(1, SECRETS))
    with pytest.raises(StoreCorrupted, match=why) as refused:
        decrypt_document(made[1], damage(content), "store")
    for value in SECRETS.values():
        assert value not in str(refused.value)


def test_reprs_name_ids_and_counts_never_keys_or_values(made: tuple[KeyFile, UnlockedKey]):
    key_file, key = made
    shown = " ".join([repr(key_file), repr(key), repr(Document(3, SECRETS))])
    assert shown == (
        f"KeyFile(key_id='{key_file.key_id}', kdf='{KDF_FLOOR.describe()}') "
        f"UnlockedKey(key_id='{key.key_id}') Document(generation=3, names=2)"
    )
