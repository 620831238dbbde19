"""KDF parameters are capped: a crafted header cannot make an unlock cost GiB or minutes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from glassdome.backends.encrypted_file import KEY_FILE, EncryptedFileBackend
from glassdome.backends.file_layout import kdf_from_env
from glassdome.errors import BackendUnavailable, StoreCorrupted
from glassdome.primitives import crypto
from glassdome.primitives.master import MasterPasswordSource
from glassdome.primitives.sensitive import Sensitive
from tests.conftest import PASSWORD

GIB_KIB = 1024 * 1024


def crafted_key_file(params: crypto.KdfParams) -> bytes:
    """A well-formed master_key.enc whose header asks for *params*."""
    return crypto.KeyFile("ab" * 16, params, b"s" * 16, b"gAAAA-not-a-real-token").to_bytes()


@pytest.mark.parametrize(
    "params",
    [
        crypto.KdfParams(2 * GIB_KIB, 3, 4),
        crypto.KdfParams(GIB_KIB + 1, 3, 4),
        crypto.KdfParams(64 * 1024, 11, 4),
        crypto.KdfParams(64 * 1024, 64, 4),
        crypto.KdfParams(64 * 1024, 3, 17),
    ],
    ids=["m=2GiB", "m=1GiB+1KiB", "t=11", "t=64", "p=17"],
)
def test_key_file_above_the_kdf_ceiling_is_corrupted(params: crypto.KdfParams) -> None:
    with pytest.raises(StoreCorrupted, match="above the ceiling"):
        crypto.parse_key_file(crafted_key_file(params), "master_key.enc")


def test_the_ceiling_itself_and_the_default_and_floor_are_accepted() -> None:
    for params in (
        crypto.DEFAULT_KDF,
        crypto.KDF_FLOOR,
        crypto.KdfParams(GIB_KIB, 10, 16),
    ):
        assert crypto.check_kdf(params) == params
        assert crypto.parse_key_file(crafted_key_file(params), "k").kdf == params


def test_a_store_whose_key_file_asks_for_2_gib_fails_without_deriving(
    home: Path, mocker: MockerFixture
) -> None:
    source = MasterPasswordSource(env={"GLASSDOME_MASTER_PASSWORD": PASSWORD})
    EncryptedFileBackend(home, source, kdf=crypto.KDF_FLOOR).set("x", "value")
    key_path = home / KEY_FILE
    key_file = crypto.parse_key_file(key_path.read_bytes(), str(key_path))
    key_path.write_bytes(key_file._replace(kdf=crypto.KdfParams(2 * GIB_KIB, 3, 4)).to_bytes())
    derive = mocker.patch.object(crypto, "_derive_kek", side_effect=AssertionError("derived"))
    with pytest.raises(StoreCorrupted, match=r"master_key\.enc.*above the ceiling"):
        EncryptedFileBackend(home, source).get("x")
    derive.assert_not_called()


@pytest.mark.parametrize(
    "env",
    [
        {"GLASSDOME_KDF_MEMORY_KIB": str(2 * GIB_KIB)},
        {"GLASSDOME_KDF_ITERATIONS": "11"},
    ],
)
def test_new_store_kdf_from_the_environment_respects_the_ceiling(env: dict[str, str]) -> None:
    with pytest.raises(BackendUnavailable, match="above the ceiling"):
        kdf_from_env(env)


def test_new_store_kdf_from_the_environment_at_the_ceiling_is_accepted() -> None:
    env = {"GLASSDOME_KDF_MEMORY_KIB": str(GIB_KIB), "GLASSDOME_KDF_ITERATIONS": "10"}
    assert kdf_from_env(env) == crypto.KdfParams(GIB_KIB, 10, crypto.DEFAULT_KDF.lanes)


def test_deeply_nested_key_file_is_corrupted_not_a_recursion_error() -> None:
    with pytest.raises(StoreCorrupted):
        crypto.parse_key_file(b"[" * 200_000, "master_key.enc")


def test_a_bad_kdf_setting_concerns_only_a_new_key_file(home: Path) -> None:
    """GLASSDOME_KDF_* chooses a new key file's KDF: an existing store keeps working."""
    env = {"GLASSDOME_MASTER_PASSWORD": PASSWORD}
    EncryptedFileBackend(home, MasterPasswordSource(env=env), kdf=crypto.KDF_FLOOR).set("a", "1")
    bad = {**env, "GLASSDOME_KDF_MEMORY_KIB": "10"}
    store = EncryptedFileBackend(home, MasterPasswordSource(env=bad), kdf_env=bad)
    store.set("b", "2")
    assert (store.get("a"), store.get("b")) == ("1", "2")
    with pytest.raises(BackendUnavailable, match=r"^GLASSDOME_KDF_MEMORY_KIB/"):
        store.change_master_password(Sensitive(PASSWORD), Sensitive("a new passphrase"))
    other = home.parent / "other-home"
    with pytest.raises(BackendUnavailable, match="below the floor"):
        EncryptedFileBackend(other, MasterPasswordSource(env=bad), kdf_env=bad).set("c", "3")
    assert not (other / KEY_FILE).exists()
