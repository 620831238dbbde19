"""The encrypted file store's master password: where it comes from, how often it is
asked for, what a wrong or short one does, the forgotten-password procedure, and
changing it.

Errors are checked for what they say and for what they must never say (a stored
value or a master password).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from glassdome.backends.encrypted_file import BACKUP_FILE, KEY_FILE, STORE_FILE
from glassdome.core.secrets import SecretsManager
from glassdome.errors import (
    MasterPasswordUnavailable,
    SecretStoreError,
    WeakMasterPassword,
    WrongMasterPassword,
)
from glassdome.primitives.master import ENV_PASSWORD, ENV_PASSWORD_FILE, MasterPasswordSource
from glassdome.primitives.sensitive import Sensitive
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    NEW_PASSWORD,
    OPERATIONS,
    WRONG,
    assert_error_reveals_nothing,
    assert_reveals_nothing,
    env_for,
    file_backend,
    make_store,
    open_store,
    snapshot,
    store_files,
)
from tests.conftest import PASSWORD


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


# -- master password ---------------------------------------------------------


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
