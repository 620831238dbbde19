"""A real encrypted file store in a test's home, and what its tests check it with.

Every store here works on real files in ``tmp_path`` with the fast, floor-compliant
KDF from ``tests/conftest.py``. `snapshot` shows any write or replace of a file;
`assert_reveals_nothing` and `assert_error_reveals_nothing` check that a text or an
error never says a stored value or a master password.
"""

from __future__ import annotations

import os
import stat
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glassdome.backends import file_generations
from glassdome.backends.encrypted_file import (
    BACKUP_FILE,
    KEY_FILE,
    LOCK_FILE,
    STORE_FILE,
    EncryptedFileBackend,
)
from glassdome.core.secrets import SecretsManager
from glassdome.primitives import crypto
from glassdome.primitives.master import ENV_PASSWORD, ENV_PASSWORD_FILE
from glassdome.primitives.sensitive import Sensitive
from tests.conftest import PASSWORD

CANARY_NAME = "canary_token"
CANARY = "sk-live-canary-4f9e1b7d2c"  # must never appear anywhere but in get_secret's answer
WRONG = "not the right password"
NEW_PASSWORD = "a brand new passphrase"
SECRETS_SHOWN_NOWHERE = (CANARY, PASSWORD, WRONG, NEW_PASSWORD)


def env_for(password: str | None = PASSWORD, **extra: str) -> dict[str, str]:
    """The test environment with exactly the password source asked for."""
    env = {k: v for k, v in os.environ.items() if k not in {ENV_PASSWORD, ENV_PASSWORD_FILE}}
    if password is not None:
        env[ENV_PASSWORD] = password
    env.update(extra)
    return env


def open_store(
    home: Path,
    password: str | None = PASSWORD,
    *,
    notice: Callable[[str], None] | None = None,
    **extra: str,
) -> SecretsManager:
    """A new manager (own caches, own unlock) over the file store in *home*."""
    return SecretsManager(home=home, backend="file", env=env_for(password, **extra), notice=notice)


def forget_generations() -> None:
    """Forget the generations this process has seen, as a new process would have."""
    file_generations._seen_generations.clear()


def file_backend(manager: SecretsManager) -> EncryptedFileBackend:
    """The file backend behind *manager*."""
    backend = manager.backend
    assert isinstance(backend, EncryptedFileBackend)
    return backend


def make_store(home: Path) -> SecretsManager:
    """A store holding the canary, written twice so that a .bak generation exists."""
    manager = open_store(home)
    manager.set_secret(CANARY_NAME, CANARY)
    manager.set_secret("second", "second-value")
    assert (home / BACKUP_FILE).exists()
    return manager


Snapshot = dict[str, tuple[bytes, int, int, int]]


def snapshot(home: Path) -> Snapshot:
    """Bytes, mtime, inode and mode of every file in *home*: any write or replace shows.

    The empty lock file counts by bytes and mode only: filelock 3.x opens it with
    O_TRUNC on every acquire, which moves its mtime without writing anything.
    """
    files: Snapshot = {}
    for path in sorted(home.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            touched_by_locking = path.name == LOCK_FILE
            files[path.relative_to(home).as_posix()] = (
                path.read_bytes(),
                0 if touched_by_locking else info.st_mtime_ns,
                0 if touched_by_locking else info.st_ino,
                stat.S_IMODE(info.st_mode),
            )
    return files


def store_files(home: Path) -> list[str]:
    """Names in *home* apart from the (empty) lock file."""
    if not home.exists():
        return []
    return sorted(p.name for p in home.iterdir() if p.name != LOCK_FILE)


def assert_reveals_nothing(text: str) -> None:
    """*text* holds no stored value and no master password of these tests."""
    for secret in SECRETS_SHOWN_NOWHERE:
        assert secret not in text


def assert_error_reveals_nothing(error: BaseException) -> None:
    """Neither *error*'s message nor its traceback reveals anything."""
    assert_reveals_nothing(str(error))
    assert_reveals_nothing("".join(traceback.format_exception(error)))


def read_document(path: Path, home: Path, password: str = PASSWORD) -> crypto.Document:
    """Decrypt *path* with the key in *home*, independently of the backend."""
    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(password))
    return crypto.decrypt_document(key, path.read_bytes(), path.name)


def restore_hint(home: Path) -> str:
    """The command a store error gives for restoring the backup generation."""
    return f"cp {home / BACKUP_FILE} {home / STORE_FILE}"


# Every operation of the store, by name: each must fail the same way when it cannot work.
OPERATIONS: dict[str, Callable[[SecretsManager], Any]] = {
    "get": lambda m: m.get_secret(CANARY_NAME),
    "list": lambda m: m.list_secrets(),
    "set": lambda m: m.set_secret("new_name", "new-value"),
    "set_many": lambda m: m.set_many({"many_1": "value-1", "many_2": "value-2"}),
    "delete": lambda m: m.delete_secret(CANARY_NAME),
}


def split_document(raw: bytes) -> tuple[bytes, bytes]:
    """The header line of a store file and its token, without the final newline."""
    header, _, rest = raw.partition(b"\n")
    return header, rest.rstrip(b"\n")
