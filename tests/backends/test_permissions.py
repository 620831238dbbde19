"""StrictModes for the file store, private parent folders, and in-process rollback.

A home or store file that another user could replace is refused with one line
naming the path and the command that fixes it, before anything is read or
written; missing parents of the home are created 0700 whatever the umask; a
store that goes back to an older generation while a process runs is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from glassdome.backends.encrypted_file import BACKUP_FILE, KEY_FILE, LOCK_FILE, STORE_FILE
from glassdome.core.secrets import MARKER_FILE
from glassdome.errors import InsecurePermissions, SecretStoreError, StoreCorrupted
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    assert_reveals_nothing,
    make_store,
    open_store,
    snapshot,
)
from tests.cli.runner import Cli
from tests.conftest import REPO, subprocess_env

NOBODY = 65534


def refused(home: Path) -> str:
    """The one-line error a fresh manager over *home* gives on a read and on a write."""
    with pytest.raises(InsecurePermissions) as read:
        open_store(home).get_secret(CANARY_NAME)
    with pytest.raises(InsecurePermissions) as write:
        open_store(home).set_secret("another", "value")
    message = str(read.value)
    assert str(write.value) == message
    assert "\n" not in message
    assert isinstance(read.value, SecretStoreError)
    assert_reveals_nothing(message)
    return message


def test_a_home_writable_by_others_is_refused_and_nothing_changes(home: Path) -> None:
    make_store(home)
    home.chmod(0o777)
    before = snapshot(home)
    message = refused(home)
    assert str(home) in message
    assert f"chmod go-w {home}" in message
    assert "0777" in message
    assert snapshot(home) == before
    assert stat.S_IMODE(home.stat().st_mode) == 0o777


@pytest.mark.parametrize("name", [STORE_FILE, BACKUP_FILE, KEY_FILE, LOCK_FILE, MARKER_FILE])
def test_a_store_file_writable_by_others_is_refused(home: Path, name: str) -> None:
    make_store(home)
    path = home / name
    if not path.exists():
        path.write_text("file\n")
    path.chmod(0o666)
    before = snapshot(home)
    message = refused(home)
    assert str(path) in message
    assert f"chmod go-w {path}" in message
    assert snapshot(home) == before


def test_a_group_writable_store_file_is_refused(home: Path) -> None:
    make_store(home)
    (home / STORE_FILE).chmod(0o620)
    assert f"chmod go-w {home / STORE_FILE}" in refused(home)


def test_a_store_file_owned_by_another_user_is_refused(home: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    make_store(home)
    os.chown(home / KEY_FILE, NOBODY, NOBODY)
    message = refused(home)
    assert str(home / KEY_FILE) in message
    assert f"uid {NOBODY}" in message
    assert "chown" in message


def test_a_home_owned_by_another_user_is_refused(home: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder away")
    make_store(home)
    os.chown(home, NOBODY, NOBODY)
    message = refused(home)
    assert str(home) in message
    assert f"uid {NOBODY}" in message


def test_a_symlinked_store_file_is_refused(home: Path, tmp_path: Path) -> None:
    make_store(home)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(home / STORE_FILE, elsewhere)
    (home / STORE_FILE).symlink_to(elsewhere)
    message = refused(home)
    assert str(home / STORE_FILE) in message
    assert "symbolic link" in message


def test_a_tidy_store_is_checked_once_per_open_not_per_get(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_store(home)
    manager = open_store(home)
    assert manager.get_secret(CANARY_NAME) == CANARY
    home.chmod(0o777)  # too late for this open; the next one refuses
    assert manager.get_secret(CANARY_NAME) == CANARY
    refused(home)


_UMASK_000 = """
import os, sys
from pathlib import Path
from glassdome.core.secrets import SecretsManager
os.umask(0)
home = Path(sys.argv[1])
manager = SecretsManager(home=home, backend="file")
manager.set_secret("name", "value")
assert manager.get_secret("name") == "value"
"""


def test_missing_parents_of_the_home_are_created_0700_under_umask_000(tmp_path: Path) -> None:
    home = tmp_path / "a" / "b" / "home"
    env = subprocess_env(home)
    subprocess.run(
        [sys.executable, "-c", _UMASK_000, str(home)], env=env, cwd=REPO, check=True, timeout=60
    )
    for folder in (tmp_path / "a", tmp_path / "a" / "b", home):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    # and a later open accepts what it created
    assert open_store(home).get_secret("name") == "value"


def test_doctor_reports_a_home_writable_by_others(home: Path, work: Path) -> None:
    cli = Cli(home=home, cwd=work)
    cli.set("something", "value")
    home.chmod(0o777)
    (home / STORE_FILE).chmod(0o666)
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1, str(result)
    assert "Traceback" not in result.err, str(result)
    checks = {c["name"]: c for c in json.loads(result.out)["checks"]}
    home_check = checks[f"permissions {home.name}"]
    assert home_check["status"] == "attention"
    assert f"chmod go-w {home}" in home_check["detail"]
    store_check = checks[f"permissions {STORE_FILE}"]
    assert store_check["status"] == "attention"
    assert f"chmod go-w {home / STORE_FILE}" in store_check["detail"]
    table = cli("secrets", "doctor")
    assert table.code == 1, str(table)
    assert "go-w" in table.out
    # and the store itself is refused, with one error line
    get = cli("secrets", "get", "something")
    assert get.code != 0, str(get)
    assert f"chmod go-w {home}" in get.err
    assert "Traceback" not in get.err


def test_a_restored_backup_is_refused_by_a_process_that_saw_the_newer_generation(
    home: Path,
) -> None:
    manager = make_store(home)  # two writes: the .bak holds the first generation
    reader = open_store(home)
    assert reader.get_secret("second") == "second-value"
    newer = (home / STORE_FILE).read_bytes()
    shutil.copy(home / BACKUP_FILE, home / STORE_FILE)
    for stale in (manager, reader):
        with pytest.raises(StoreCorrupted, match="rolled back"):
            stale.get_secret(CANARY_NAME)
    with pytest.raises(StoreCorrupted, match="rolled back"):
        open_store(home).get_secret(CANARY_NAME)  # a new manager in the same process
    # putting the newer generation back is accepted again
    (home / STORE_FILE).write_bytes(newer)
    assert open_store(home).get_secret("second") == "second-value"


def test_a_restored_backup_is_accepted_by_a_new_process(home: Path) -> None:
    """What is NOT detected (SECURITY.md): a whole older generation, read by a new process."""
    make_store(home)
    shutil.copy(home / BACKUP_FILE, home / STORE_FILE)
    code = (
        "from glassdome.core.secrets import SecretsManager\n"
        "print(SecretsManager(backend='file').get_secret('second'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(home),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout == "None\n"  # the first generation, before "second" was set


def test_doctor_judges_a_file_store_left_in_the_home_when_another_backend_is_chosen(
    home: Path, work: Path
) -> None:
    cli = Cli(home=home, cwd=work)
    cli.set("something", "value")
    (home / STORE_FILE).chmod(0o666)
    # The keyring is asked for (usable here or not): the encrypted file left in the home
    # still holds secrets, so its files are judged all the same.
    result = cli(
        "secrets",
        "doctor",
        "--json",
        unset=("DBUS_SESSION_BUS_ADDRESS",),
        GLASSDOME_SECRETS_BACKEND="keyring",
    )
    assert result.code == 1, str(result)
    checks = {c["name"]: c for c in json.loads(result.out)["checks"]}
    assert "keyring" in checks["backend"]["detail"]
    store_check = checks[f"permissions {STORE_FILE}"]
    assert store_check["status"] == "attention"
    assert f"chmod go-w {home / STORE_FILE}" in store_check["detail"]
    assert checks["KDF"]["status"] in {"ok", "attention"}
