"""Many threads unlocking encrypted stores at once: every unlock succeeds, none hangs.

Some cryptography builds deadlock when two threads run Argon2id with several
lanes at the same time; the store serialises derivations process-wide. These
tests use the default lanes (4), as real stores do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glassdome.backends.encrypted_file import KEY_FILE, EncryptedFileBackend
from glassdome.core.secrets import SecretsManager
from glassdome.primitives import crypto
from tests.threads import run_in_threads

THREADS = 8
UNLOCKS = 3


def _store(home: Path, value: str) -> None:
    SecretsManager(home=home, backend="file").set_secret("canary", value)


def _unlock_and_read(home: Path, value: str) -> None:
    for _ in range(UNLOCKS):
        manager = SecretsManager(home=home, backend="file")
        assert manager.get_secret("canary") == value
        assert manager.list_secrets() == ["canary"]
        backend = manager.backend
        assert isinstance(backend, EncryptedFileBackend)
        assert backend.unlock_count == 1  # at most one derivation per manager


@pytest.fixture(autouse=True)
def _real_lanes(password_env: str) -> None:
    assert crypto.DEFAULT_KDF.lanes > 1


def test_many_threads_unlock_one_store_at_once(home: Path) -> None:
    """8 threads x 3 separate managers on one store all unlock and read, within the bound."""
    _store(home, "one-store")
    run_in_threads(_unlock_and_read, [(home, "one-store")] * THREADS)


def test_many_threads_unlock_distinct_stores_at_once(tmp_path: Path) -> None:
    """8 threads, each on its own store, x 3 managers: all unlock and read their own value."""
    homes = [tmp_path / f"store{n}" for n in range(THREADS)]
    for n, home in enumerate(homes):
        _store(home, f"value-{n}")
    run_in_threads(_unlock_and_read, [(home, f"value-{n}") for n, home in enumerate(homes)])


def test_threads_creating_stores_and_changing_passwords_at_once(tmp_path: Path) -> None:
    """New key files and password changes derive too: all of them at once finish and hold."""
    homes = [tmp_path / f"new{n}" for n in range(THREADS)]

    def create_and_rotate(home: Path) -> None:
        manager = SecretsManager(home=home, backend="file")
        manager.set_secret("canary", "before")
        manager.change_master_password("correct horse battery", "another good password")

    run_in_threads(create_and_rotate, [(home,) for home in homes])
    env = {**os.environ, "GLASSDOME_MASTER_PASSWORD": "another good password"}
    for home in homes:
        key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), "key")
        assert key_file.kdf.lanes == crypto.DEFAULT_KDF.lanes
        assert SecretsManager(home=home, backend="file", env=env).get_secret("canary") == "before"
