"""`glassdome secrets set|get|list|delete` end to end: the real CLI in a subprocess
against a real file store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.runner import Cli, one_error_line

# -- set ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("piped", "stored"),
    [
        ("value\n", "value"),
        ("a\n\n", "a\n"),
        ("no newline at all", "no newline at all"),
        ("  spaces kept  \n", "  spaces kept  "),
        ("line one\nline two\n", "line one\nline two"),
    ],
    ids=["one-newline", "only-one-of-two", "none", "spaces", "multi-line"],
)
def test_set_from_stdin_strips_exactly_one_trailing_newline(cli: Cli, piped: str, stored: str):
    result = cli("secrets", "set", "piped", input=piped)
    assert result.code == 0, str(result)
    assert result.out == ""
    assert "piped" in result.err
    assert piped not in result.err
    assert cli.get("piped") == stored


def test_set_value_flag_works_but_warns_about_shell_history_and_ps(cli: Cli):
    result = cli("secrets", "set", "flagged", "--value", "from-argv")
    assert result.code == 0, str(result)
    warning = result.err_lines[0]
    assert warning.startswith("warning:")
    assert "history" in warning
    assert "`ps`" in warning
    assert "from-argv" not in result.err
    assert cli.get("flagged") == "from-argv"


def test_set_from_file_reads_the_file_without_its_trailing_newline(cli: Cli, work: Path):
    (work / "token.txt").write_bytes(b"file-value\n")
    result = cli("secrets", "set", "from_file", "--from-file", "token.txt")
    assert result.code == 0, str(result)
    assert "warning" not in result.err
    assert cli.get("from_file") == "file-value"


def test_set_from_a_missing_file_fails_with_one_line(cli: Cli):
    result = cli("secrets", "set", "from_file", "--from-file", "missing.txt")
    assert result.code == 1
    assert "missing.txt" in one_error_line(result)


def test_set_invalid_name_fails_with_one_line(cli: Cli):
    result = cli("secrets", "set", "Not A Name!", input="value\n")
    assert result.code == 1
    assert "invalid secret name" in one_error_line(result)


# -- get ----------------------------------------------------------------------


def test_get_prints_only_the_value_on_stdout_when_piped(cli: Cli):
    cli.set("proxmox_password", "pve-secret")
    result = cli("secrets", "get", "PROXMOX_PASSWORD")
    assert result.code == 0, str(result)
    assert result.out == "pve-secret\n"
    assert result.err == ""  # the terminal warning is for terminals only


def test_get_missing_name_exits_1_with_one_line(cli: Cli):
    cli.set("present", "here")
    result = cli("secrets", "get", "absent")
    assert result.code == 1
    assert result.out == ""
    assert "absent" in one_error_line(result)


# -- list ---------------------------------------------------------------------


def test_list_shows_names_and_backend_as_a_table_never_values(cli: Cli):
    cli.set("esxi_password", "esxi-value")
    cli.set("mail_api", "mail-value")
    result = cli("secrets", "list")
    assert result.code == 0, str(result)
    assert "file backend" in result.out
    assert "┃ name" in result.out  # a Rich table
    assert "esxi_password" in result.out
    assert "mail_api" in result.out
    assert "esxi-value" not in result.out + result.err
    assert "mail-value" not in result.out + result.err


def test_list_json_is_for_scripts(cli: Cli):
    cli.set("b_second", "2")
    cli.set("a_first", "1")
    result = cli("secrets", "list", "--json")
    assert result.code == 0, str(result)
    assert json.loads(result.out) == {"backend": "file", "secrets": ["a_first", "b_second"]}


def test_list_on_an_empty_store_says_so(cli: Cli):
    result = cli("secrets", "list")
    assert result.code == 0, str(result)
    assert "No secrets stored in the file backend" in result.err


# -- delete -------------------------------------------------------------------


def test_delete_without_terminal_and_without_yes_is_a_usage_error_and_deletes_nothing(cli: Cli):
    cli.set("keep_me", "value")
    result = cli("secrets", "delete", "keep_me")
    assert result.code == 2
    assert "--yes" in one_error_line(result)
    assert cli.names() == ["keep_me"]


def test_delete_with_yes_deletes(cli: Cli):
    cli.set("doomed", "value")
    cli.set("survivor", "value")
    result = cli("secrets", "delete", "doomed", "--yes")
    assert result.code == 0, str(result)
    assert cli.names() == ["survivor"]
    assert cli("secrets", "get", "doomed").code == 1


def test_delete_of_a_missing_name_exits_1(cli: Cli):
    cli.set("other", "value")
    result = cli("secrets", "delete", "absent", "-y")
    assert result.code == 1
    assert "absent" in one_error_line(result)
