"""The encrypted file store never loses a secret and fails loudly.

Every test works on real files in ``tmp_path`` with the fast, floor-compliant KDF
from ``tests/conftest.py``; errors are checked for what they say and for what
they must never say (a stored value or a master password).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from glassdome.backends import encrypted_file, file_generations, file_layout
from glassdome.backends.base import BackendContext
from glassdome.backends.encrypted_file import (
    BACKUP_FILE,
    KEY_FILE,
    LOCK_FILE,
    STORE_FILE,
    EncryptedFileBackend,
)
from glassdome.core.secrets import SecretsManager
from glassdome.errors import (
    MasterPasswordUnavailable,
    SecretStoreError,
    StoreCorrupted,
    WeakMasterPassword,
    WrongMasterPassword,
)
from glassdome.primitives import crypto
from glassdome.primitives.master import ENV_PASSWORD, ENV_PASSWORD_FILE, MasterPasswordSource
from glassdome.primitives.sensitive import Sensitive
from tests.conftest import PASSWORD, subprocess_env

CANARY_NAME = "canary_token"
CANARY = "sk-live-canary-4f9e1b7d2c"  # must never appear anywhere but in get_secret's answer
WRONG = "not the right password"
NEW_PASSWORD = "a brand new passphrase"
SECRETS_SHOWN_NOWHERE = (CANARY, PASSWORD, WRONG, NEW_PASSWORD)


# -- helpers -----------------------------------------------------------------


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
    for secret in SECRETS_SHOWN_NOWHERE:
        assert secret not in text


def assert_error_reveals_nothing(error: BaseException) -> None:
    assert_reveals_nothing(str(error))
    assert_reveals_nothing("".join(traceback.format_exception(error)))


def read_document(path: Path, home: Path, password: str = PASSWORD) -> crypto.Document:
    """Decrypt *path* with the key in *home*, independently of the backend."""
    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(password))
    return crypto.decrypt_document(key, path.read_bytes(), path.name)


def restore_hint(home: Path) -> str:
    return f"cp {home / BACKUP_FILE} {home / STORE_FILE}"


def run_python(code: str, home: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Tty(io.StringIO):
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Typed:
    """A `PasswordPrompt` that types *answers* in turn and records every prompt."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def ask_secret(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)

    def say(self, message: str) -> None:
        raise AssertionError(f"nothing to say when unlocking: {message!r}")


# -- persistence and the no-store state -----------------------------------


def test_values_persist_across_processes(home: Path) -> None:
    """What one process stores, a new process reads, and the other way round."""
    manager = open_store(home)
    manager.set_many({"alpha": "value-a", "unicode": "pässwörd-密码-🔑"})
    read_all = (
        "import json; from glassdome.core.secrets import get_secrets_manager as g; m = g(); "
        "print(json.dumps({n: m.get_secret(n) for n in m.list_secrets()}))"
    )
    assert json.loads(run_python(read_all, home)) == {
        "alpha": "value-a",
        "unicode": "pässwörd-密码-🔑",
    }
    run_python(
        "from glassdome.core.secrets import get_secrets_manager as g; "
        "g().set_secret('from_child', 'child-value-9')",
        home,
    )
    assert open_store(home).get_secret("from_child") == "child-value-9"
    assert manager.get_secret("from_child") == "child-value-9"
    assert manager.get_secret("alpha") == "value-a"


def test_reading_before_any_store_exists_needs_no_password_and_creates_nothing(
    home: Path,
) -> None:
    manager = open_store(home, password=None, GLASSDOME_NO_INPUT="1")
    assert manager.get_secret("anything") is None
    assert manager.list_secrets() == []
    manager.describe()
    assert file_backend(manager).unlock_count == 0
    assert not home.exists()


# -- master password ---------------------------------------------------------

OPERATIONS: dict[str, Callable[[SecretsManager], Any]] = {
    "get": lambda m: m.get_secret(CANARY_NAME),
    "list": lambda m: m.list_secrets(),
    "set": lambda m: m.set_secret("new_name", "new-value"),
    "set_many": lambda m: m.set_many({"many_1": "value-1", "many_2": "value-2"}),
    "delete": lambda m: m.delete_secret(CANARY_NAME),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_wrong_password_raises_and_changes_nothing_on_disk(
    home: Path, operation: Callable[[SecretsManager], Any]
) -> None:
    make_store(home)
    before = snapshot(home)
    manager = open_store(home, password=WRONG)
    with pytest.raises(WrongMasterPassword, match="nothing was changed") as info:
        operation(manager)
    assert_error_reveals_nothing(info.value)
    assert file_backend(manager).unlock_count == 0
    assert snapshot(home) == before
    assert open_store(home).get_secret(CANARY_NAME) == CANARY


def test_typed_password_gets_three_tries(home: Path) -> None:
    """At a terminal a wrong password is asked again, up to three times."""
    make_store(home)
    notices: list[str] = []
    source = MasterPasswordSource(env={}, stdin=Tty(), prompt=Typed(WRONG, "also not it", PASSWORD))
    manager = SecretsManager(
        home=home, backend="file", env=env_for(None), password=source, notice=notices.append
    )
    assert manager.get_secret(CANARY_NAME) == CANARY
    assert notices == ["wrong master password; try again"] * 2
    assert file_backend(manager).unlock_count == 1


def test_three_wrong_typed_passwords_raise_and_change_nothing(home: Path) -> None:
    make_store(home)
    before = snapshot(home)
    typed = Typed(WRONG, WRONG, WRONG)
    source = MasterPasswordSource(env={}, stdin=Tty(), prompt=typed)
    manager = SecretsManager(
        home=home, backend="file", env=env_for(None), password=source, notice=lambda _: None
    )
    with pytest.raises(WrongMasterPassword) as info:
        manager.set_secret("new_name", "new-value")
    assert_error_reveals_nothing(info.value)
    assert len(typed.prompts) == 3
    assert snapshot(home) == before


def test_password_file_drops_one_trailing_newline(home: Path, tmp_path: Path) -> None:
    """A store made with "pw\\n" in the password file opens with "pw" in the variable."""
    password_file = tmp_path / "master-password"
    password_file.write_bytes(b"typed-into-a-file\n")
    creator = open_store(home, password=None, GLASSDOME_MASTER_PASSWORD_FILE=str(password_file))
    creator.set_secret(CANARY_NAME, CANARY)
    assert open_store(home, password="typed-into-a-file").get_secret(CANARY_NAME) == CANARY
    with pytest.raises(WrongMasterPassword):
        open_store(home, password="typed-into-a-file\n").get_secret(CANARY_NAME)


def test_only_one_trailing_newline_is_dropped_from_the_password_file(
    home: Path, tmp_path: Path
) -> None:
    password_file = tmp_path / "master-password"
    password_file.write_bytes(b"typed-into-a-file\n\n")
    creator = open_store(home, password=None, GLASSDOME_MASTER_PASSWORD_FILE=str(password_file))
    creator.set_secret(CANARY_NAME, CANARY)
    assert open_store(home, password="typed-into-a-file\n").get_secret(CANARY_NAME) == CANARY
    with pytest.raises(WrongMasterPassword):
        open_store(home, password="typed-into-a-file").get_secret(CANARY_NAME)


def test_password_file_takes_precedence_over_the_variable(home: Path, tmp_path: Path) -> None:
    password_file = tmp_path / "master-password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    both = {"password": WRONG, "GLASSDOME_MASTER_PASSWORD_FILE": str(password_file)}
    open_store(home, **both).set_secret(CANARY_NAME, CANARY)  # created with the file's password
    assert open_store(home, **both).get_secret(CANARY_NAME) == CANARY
    assert open_store(home, password=PASSWORD).get_secret(CANARY_NAME) == CANARY
    with pytest.raises(WrongMasterPassword):
        open_store(home, password=WRONG).get_secret(CANARY_NAME)


def test_no_password_source_and_no_terminal_names_both_variables(home: Path) -> None:
    make_store(home)
    before = snapshot(home)
    manager = open_store(home, password=None, GLASSDOME_NO_INPUT="1")
    for operation in OPERATIONS.values():
        with pytest.raises(MasterPasswordUnavailable) as info:
            operation(manager)
        message = str(info.value)
        assert ENV_PASSWORD_FILE in message
        assert re.search(rf"\b{ENV_PASSWORD}\b(?!_FILE)", message)
        assert_error_reveals_nothing(info.value)
    assert snapshot(home) == before


def test_no_password_source_refuses_to_create_a_store(home: Path) -> None:
    manager = open_store(home, password=None, GLASSDOME_NO_INPUT="1")
    with pytest.raises(MasterPasswordUnavailable, match=ENV_PASSWORD_FILE) as info:
        manager.set_secret(CANARY_NAME, CANARY)
    assert_error_reveals_nothing(info.value)
    assert store_files(home) == []


@pytest.mark.parametrize("source", ["variable", "file"])
def test_new_store_refuses_a_password_shorter_than_8_and_writes_nothing(
    home: Path, tmp_path: Path, source: str
) -> None:
    short = "seven!!"
    assert len(short) == 7
    if source == "file":
        password_file = tmp_path / "master-password"
        password_file.write_text(short + "\n", encoding="utf-8")
        manager = open_store(home, password=None, GLASSDOME_MASTER_PASSWORD_FILE=str(password_file))
    else:
        manager = open_store(home, password=short)
    with pytest.raises(WeakMasterPassword, match="8 characters") as info:
        manager.set_secret(CANARY_NAME, CANARY)
    assert short not in str(info.value)
    assert_error_reveals_nothing(info.value)
    assert store_files(home) == []
    assert all(p.stat().st_size == 0 for p in home.glob("*"))  # at most the empty lock file


def test_new_store_accepts_a_password_of_exactly_8(home: Path) -> None:
    open_store(home, password="eight!!!").set_secret(CANARY_NAME, CANARY)
    assert open_store(home, password="eight!!!").get_secret(CANARY_NAME) == CANARY


# -- one unlock, one write ---------------------------------------------------


def _exercise(manager: SecretsManager) -> None:
    for i in range(10):
        manager.set_secret(f"name_{i}", f"value-{i}")
        assert manager.get_secret(f"name_{i}") == f"value-{i}"
    manager.set_many({f"many_{i}": f"value-{i}" for i in range(10)})
    manager.list_secrets()
    manager.delete_secret("name_0")
    manager.get_secret("never_set")


def test_argon2_runs_once_per_process_for_a_new_store(home: Path) -> None:
    manager = open_store(home)
    _exercise(manager)
    assert file_backend(manager).unlock_count == 1


def test_argon2_runs_once_per_process_for_an_existing_store(home: Path) -> None:
    """Even when another writer changes the file in between, the data key is not re-derived."""
    make_store(home)
    manager = open_store(home)
    other = open_store(home)
    _exercise(manager)
    other.set_secret("from_other", "other-value")
    assert manager.get_secret("from_other") == "other-value"
    _exercise(manager)
    assert file_backend(manager).unlock_count == 1
    assert file_backend(other).unlock_count == 1


def test_set_many_of_1000_names_is_a_single_write(home: Path, mocker: MockerFixture) -> None:
    make_store(home)
    store, backup = home / STORE_FILE, home / BACKUP_FILE
    generation = read_document(store, home).generation
    manager = open_store(home)
    spy = mocker.spy(encrypted_file, "atomic_write")
    items = {f"bulk_{i:04d}": f"value-{i}" for i in range(1000)}
    manager.set_many(items)
    assert spy.call_count == 1
    assert read_document(store, home).generation == generation + 1
    assert read_document(backup, home).generation == generation
    fresh = open_store(home)
    assert {name: fresh.get_secret(name) for name in items} == items
    assert fresh.get_secret(CANARY_NAME) == CANARY


# -- damage is loud, and never overwritten -----------------------------------


def _split(raw: bytes) -> tuple[bytes, bytes]:
    header, _, rest = raw.partition(b"\n")
    return header, rest.rstrip(b"\n")


def _flip_token_byte(position: int) -> Callable[[bytes], bytes]:
    """Flip one bit of the decoded Fernet token (version, timestamp, IV, ciphertext, HMAC)."""

    def damage(raw: bytes) -> bytes:
        header, token = _split(raw)
        decoded = bytearray(base64.urlsafe_b64decode(token))
        decoded[position] ^= 0x01
        return header + b"\n" + base64.urlsafe_b64encode(bytes(decoded)) + b"\n"

    return damage


def _replace_token_character(raw: bytes) -> bytes:
    header, token = _split(raw)
    middle = len(token) // 2
    replacement = b"A" if token[middle : middle + 1] != b"A" else b"B"
    return header + b"\n" + token[:middle] + replacement + token[middle + 1 :] + b"\n"


def _edit_header(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        header, token = _split(raw)
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
    "header missing": lambda raw: _split(raw)[1] + b"\n",
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


# -- the backup generation and the missing file ------------------------------


def test_backup_holds_the_previous_generation(home: Path) -> None:
    manager = open_store(home)
    manager.set_secret("token", "first-value")
    manager.set_many({"token": "second-value", "added_later": "later-value"})
    shutil.copyfile(home / BACKUP_FILE, home / STORE_FILE)
    forget_generations()  # the restore is read by a new process
    restored = open_store(home)
    assert restored.list_secrets() == ["token"]
    assert restored.get_secret("token") == "first-value"
    assert restored.get_secret("added_later") is None


def test_missing_store_with_a_backup_is_an_error_never_an_empty_store(home: Path) -> None:
    make_store(home)
    (home / STORE_FILE).unlink()
    before = snapshot(home)
    manager = open_store(home)
    for operation in OPERATIONS.values():
        with pytest.raises(StoreCorrupted, match="missing") as info:
            operation(manager)
        assert restore_hint(home) in str(info.value)
        assert_error_reveals_nothing(info.value)
    assert snapshot(home) == before
    shutil.copyfile(home / BACKUP_FILE, home / STORE_FILE)  # the advice in the message works
    forget_generations()  # in the next glassdome process
    assert open_store(home).get_secret(CANARY_NAME) == CANARY


# -- the forgotten-password procedure ----------------------------------------

_STAMP = re.compile(r"\d{8}T\d{6}Z")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _orphan_stamp(home: Path) -> str:
    """The timestamp of the single orphaned store in *home*."""
    orphans = sorted(home.glob(f"{STORE_FILE}.orphaned-*"))
    assert len(orphans) == 1, orphans
    stamp = orphans[0].name.removeprefix(f"{STORE_FILE}.orphaned-")
    assert _STAMP.fullmatch(stamp)
    return stamp


@pytest.mark.parametrize("first_access", list(OPERATIONS))
def test_forgotten_password_sets_the_old_store_aside_and_starts_afresh(
    home: Path, first_access: str
) -> None:
    make_store(home)
    old_store = (home / STORE_FILE).read_bytes()
    old_backup = (home / BACKUP_FILE).read_bytes()
    (home / KEY_FILE).unlink()
    notices: list[str] = []
    manager = open_store(home, password=NEW_PASSWORD, notice=notices.append)
    start = _now()
    OPERATIONS[first_access](manager)
    end = _now()
    stamp = _orphan_stamp(home)
    assert start <= datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) <= end
    orphaned_store = home / f"{STORE_FILE}.orphaned-{stamp}"
    orphaned_backup = home / f"{BACKUP_FILE}.orphaned-{stamp}"
    assert orphaned_store.read_bytes() == old_store
    assert orphaned_backup.read_bytes() == old_backup
    assert len(notices) == 1
    assert str(orphaned_store) in notices[0]
    assert str(orphaned_backup) in notices[0]
    assert_reveals_nothing(notices[0])

    manager.set_secret("fresh", "fresh-value")
    reopened = open_store(home, password=NEW_PASSWORD)
    assert reopened.get_secret("fresh") == "fresh-value"
    assert reopened.get_secret(CANARY_NAME) is None
    with pytest.raises(WrongMasterPassword):
        open_store(home, password=PASSWORD).get_secret("fresh")
    assert orphaned_store.read_bytes() == old_store
    assert orphaned_backup.read_bytes() == old_backup


def test_setting_an_orphan_aside_needs_no_password_and_is_announced_on_stderr(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_store(home)
    (home / KEY_FILE).unlink()
    manager = open_store(home, password=None, GLASSDOME_NO_INPUT="1")
    assert manager.get_secret(CANARY_NAME) is None
    stamp = _orphan_stamp(home)
    err = capsys.readouterr().err
    assert err.startswith("glassdome: ")
    assert f"{STORE_FILE}.orphaned-{stamp}" in err
    assert f"{BACKUP_FILE}.orphaned-{stamp}" in err
    assert_reveals_nothing(err)
    assert store_files(home) == sorted(
        [f"{STORE_FILE}.orphaned-{stamp}", f"{BACKUP_FILE}.orphaned-{stamp}"]
    )


# -- changing the master password -------------------------------------------


def test_changing_the_master_password_rewrites_the_key_file_store_and_backup(home: Path) -> None:
    make_store(home)
    manager = open_store(home)
    assert manager.get_secret(CANARY_NAME) == CANARY
    before = snapshot(home)
    manager.change_master_password(PASSWORD, Sensitive(NEW_PASSWORD))
    after = snapshot(home)
    assert sorted(after) == sorted(before)
    for name in (KEY_FILE, STORE_FILE, BACKUP_FILE):
        assert after[name][0] != before[name][0]
        assert after[name][3] == 0o600
    assert open_store(home, password=NEW_PASSWORD).get_secret(CANARY_NAME) == CANARY
    with pytest.raises(WrongMasterPassword):
        open_store(home, password=PASSWORD).get_secret(CANARY_NAME)
    manager.set_secret("after_change", "still-works")  # the manager holds the new data key
    assert open_store(home, password=NEW_PASSWORD).get_secret("after_change") == "still-works"


def test_changing_the_master_password_with_a_wrong_old_one_changes_nothing(home: Path) -> None:
    make_store(home)
    before = snapshot(home)
    with pytest.raises(WrongMasterPassword) as info:
        open_store(home).change_master_password(WRONG, NEW_PASSWORD)
    assert_error_reveals_nothing(info.value)
    assert snapshot(home) == before
    assert open_store(home).get_secret(CANARY_NAME) == CANARY


def test_changing_to_a_too_short_master_password_is_refused(home: Path) -> None:
    make_store(home)
    before = snapshot(home)
    with pytest.raises(WeakMasterPassword, match="8 characters") as info:
        open_store(home).change_master_password(PASSWORD, "tiny-pw")
    assert "tiny-pw" not in str(info.value)
    assert_error_reveals_nothing(info.value)
    assert snapshot(home) == before
    assert open_store(home).get_secret(CANARY_NAME) == CANARY


def test_changing_the_master_password_before_a_store_exists_is_refused(home: Path) -> None:
    with pytest.raises(SecretStoreError, match="no master password to change"):
        open_store(home).change_master_password(PASSWORD, NEW_PASSWORD)
    assert store_files(home) == []


# -- permissions -------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077], ids=oct)
def test_home_is_created_0700_and_every_file_0600_whatever_the_umask(
    home: Path, umask: int
) -> None:
    previous = os.umask(umask)
    try:
        manager = make_store(home)
        manager.change_master_password(PASSWORD, NEW_PASSWORD)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in home.iterdir()}
    assert modes == {STORE_FILE: 0o600, BACKUP_FILE: 0o600, KEY_FILE: 0o600, LOCK_FILE: 0o600}


# -- no value in reprs, errors or the file -----------------------------------


def test_reprs_and_descriptions_never_show_a_value(home: Path) -> None:
    """Errors are checked in every test above; this covers reprs, describe() and details."""
    manager = open_store(home)
    texts = [repr(manager)]
    manager.set_secret(CANARY_NAME, CANARY)
    backend = file_backend(manager)
    description = manager.describe()
    source = MasterPasswordSource(env=env_for())
    texts += [
        repr(manager),
        repr(backend),
        repr(description),
        str(description),
        repr(backend.details()),
        repr(source),
        repr(BackendContext(home, env_for(), source)),
    ]
    for text in texts:
        assert_reveals_nothing(text)
        assert "sk-live" not in text


def _encodings(text: str) -> set[bytes]:
    """*text* as UTF-8, and every base64 run it leaves inside a longer base64 stream."""
    raw = text.encode()
    forms = {raw}
    for skip in range(3):  # one of these alignments starts a base64 group
        tail = raw[skip:]
        whole = len(tail) // 3 * 3
        forms.add(base64.b64encode(tail[:whole]))
        forms.add(base64.urlsafe_b64encode(tail[:whole]))
    return forms


def test_the_files_show_neither_names_nor_values(home: Path) -> None:
    """The whole document is one token: no name or value is readable, even as base64."""
    entries = {
        CANARY_NAME: CANARY,
        "proxmox_token_value": "tok-3b9d1e77aa5f",
        "azure_client_secret": "az-secret-55cc01e9",
    }
    manager = open_store(home)
    manager.set_many(entries)
    manager.set_secret("later_name_x", "later-value-x")  # so the .bak holds a generation too
    for path in (home / STORE_FILE, home / BACKUP_FILE, home / KEY_FILE):
        content = path.read_bytes()
        for text in (*entries, *entries.values()):
            for form in _encodings(text):
                assert form not in content, (path.name, text)
    header, _ = _split((home / STORE_FILE).read_bytes())
    assert set(json.loads(header)) == {"format", "version", "key_id"}


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
