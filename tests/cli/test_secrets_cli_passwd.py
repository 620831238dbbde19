"""`glassdome secrets passwd` end to end: the new password works, the old one does not,
and an old key file reads nothing written after the change."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.runner import Cli, one_error_line
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def test_passwd_with_new_password_file_then_old_fails_and_new_works(cli: Cli, work: Path):
    cli.set("survives", "the change")
    (work / "new-password").write_text(NEW_PASSWORD + "\n")
    result = cli("secrets", "passwd", "--new-password-file", "new-password")
    assert result.code == 0, str(result)
    old = cli("secrets", "get", "survives")
    assert old.code == 1
    assert "wrong master password" in one_error_line(old)
    assert cli.get("survives", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD) == "the change"


def test_passwd_reads_the_old_password_from_the_password_file_variable(cli: Cli, work: Path):
    cli.set("survives", "the change")
    (work / "old-password").write_text(PASSWORD + "\n")
    (work / "new-password").write_text(NEW_PASSWORD + "\n")
    result = cli(
        "secrets",
        "passwd",
        "--new-password-file",
        "new-password",
        unset=("GLASSDOME_MASTER_PASSWORD",),
        GLASSDOME_MASTER_PASSWORD_FILE="old-password",
    )
    assert result.code == 0, str(result)
    assert cli.get("survives", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD) == "the change"


def test_passwd_with_a_wrong_old_password_exits_1_and_changes_nothing(cli: Cli, work: Path):
    cli.set("survives", "the change")
    (work / "new-password").write_text(NEW_PASSWORD + "\n")
    result = cli(
        "secrets",
        "passwd",
        "--new-password-file",
        "new-password",
        GLASSDOME_MASTER_PASSWORD="not the password",
    )
    assert result.code == 1
    assert "wrong master password" in one_error_line(result)
    assert cli.get("survives") == "the change"


def test_passwd_without_a_terminal_or_new_password_file_is_a_usage_error(cli: Cli):
    cli.set("survives", "the change")
    result = cli("secrets", "passwd")
    assert result.code == 2
    assert "--new-password-file" in one_error_line(result)
    assert cli.get("survives") == "the change"


def test_passwd_rotates_the_data_key_so_an_old_key_file_reads_nothing_new(
    cli: Cli, home: Path, work: Path
) -> None:
    cli.set("survives", "the change")
    cli.set("second", "kept")
    shutil.copy2(home / "master_key.enc", work / "old-key")
    (work / "new-password").write_text(NEW_PASSWORD + "\n")
    result = cli("secrets", "passwd", "--new-password-file", "new-password")
    assert result.code == 0, str(result)
    cli.set("written_after", "after-passwd-value-9c1e", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD)
    assert cli.get("survives", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD) == "the change"
    assert (
        cli.get("written_after", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD)
        == "after-passwd-value-9c1e"
    )

    shutil.copy2(work / "old-key", home / "master_key.enc")
    old = cli("secrets", "get", "written_after")
    assert old.code == 1
    assert "after-passwd-value-9c1e" not in old.out + old.err
    assert one_error_line(old)
    said = result.err_lines + result.out.splitlines()
    assert [line for line in said if "secrets.encrypted.bak" in line]
