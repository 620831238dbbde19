"""The encrypted file store never loses a secret: across processes, in one unlock and
one write per batch, and in the backup generation it keeps.

Every test works on real files in ``tmp_path`` with the fast, floor-compliant KDF
from ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from glassdome.backends import encrypted_file
from glassdome.backends.encrypted_file import BACKUP_FILE, STORE_FILE
from glassdome.core.secrets import SecretsManager
from glassdome.errors import StoreCorrupted
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    OPERATIONS,
    assert_error_reveals_nothing,
    file_backend,
    forget_generations,
    make_store,
    open_store,
    read_document,
    restore_hint,
    snapshot,
)
from tests.conftest import subprocess_env


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
