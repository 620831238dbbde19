"""`glassdome secrets exec` end to end: the secrets reach the command as variables, and
nothing from the store chooses the program, loads code into it, or hands it the store's
own credentials."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli.runner import DUMP_SECRETS, Cli, one_error_line
from tests.conftest import PASSWORD


def test_exec_passes_secrets_and_returns_the_child_exit_code(cli: Cli):
    cli.set("proxmox_password", "exec me")
    result = cli(
        "secrets",
        "exec",
        "--",
        "sh",
        "-c",
        'test "$PROXMOX_PASSWORD" = "exec me" || exit 99; exit 7',
    )
    assert result.code == 7, str(result)


def test_exec_names_variables_in_upper_case_with_dots_and_dashes_as_underscores(cli: Cli):
    cli.set("lab.api-key", "dotted")
    result = cli("secrets", "exec", "--", "sh", "-c", 'printf %s "$LAB_API_KEY"')
    assert result.code == 0, str(result)
    assert result.out == "dotted"


def test_exec_only_limits_the_variables(cli: Cli):
    cli.set("proxmox_password", "wanted")
    cli.set("esxi_password", "unwanted")
    result = cli(
        "secrets", "exec", "--only", "proxmox_password", "--", sys.executable, "-c", DUMP_SECRETS
    )
    assert result.code == 0, str(result)
    assert json.loads(result.out) == {"PROXMOX_PASSWORD": "wanted"}


def test_exec_never_passes_the_master_password_on(cli: Cli, work: Path):
    """The command gets the secrets, not the key to the whole store (nor where it is kept)."""
    cli.set("proxmox_password", "wanted")
    (work / "pw").write_text("irrelevant\n")
    script = (
        "import os, sys; names = ('GLASSDOME_MASTER_PASSWORD', 'GLASSDOME_MASTER_PASSWORD_FILE',"
        " 'GLASSDOME_NEW_MASTER_PASSWORD_FILE'); sys.exit(sum(n in os.environ for n in names))"
    )
    result = cli(
        "secrets",
        "exec",
        "--",
        sys.executable,
        "-c",
        script,
        GLASSDOME_NEW_MASTER_PASSWORD_FILE=str(work / "pw"),
    )
    assert result.code == 0, str(result)


def test_exec_only_with_a_missing_secret_exits_1_without_running(cli: Cli, work: Path):
    cli.set("present", "value")
    result = cli("secrets", "exec", "--only", "present,absent", "--", "touch", "ran")
    assert result.code == 1
    assert "absent" in one_error_line(result)
    assert not (work / "ran").exists()


SENTINEL = "sentinel-value-never-printed"


def _planted(folder: Path, name: str, marker: Path) -> Path:
    """An executable *name* in *folder* that creates *marker* when run."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    program.chmod(0o755)
    return program


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("ld_preload", "LD_PRELOAD"),
        ("path", "PATH"),
        ("pythonpath", "PYTHONPATH"),
        ("bash_env", "BASH_ENV"),
        ("glassdome_home", "GLASSDOME_HOME"),
    ],
)
def test_exec_refuses_a_stored_secret_that_would_set_a_code_loading_variable(
    cli: Cli, work: Path, name: str, variable: str
):
    cli.set(name, SENTINEL)
    result = cli("secrets", "exec", "--", "touch", "ran")
    assert result.code == 1, str(result)
    assert variable in one_error_line(result)
    assert SENTINEL not in result.out + result.err
    assert not (work / "ran").exists()


def test_exec_refuses_a_denied_variable_asked_for_with_only(cli: Cli, work: Path):
    cli.set("ld_library_path", SENTINEL)
    result = cli("secrets", "exec", "--only", "ld_library_path", "--", "touch", "ran")
    assert result.code == 1, str(result)
    assert "LD_LIBRARY_PATH" in one_error_line(result)
    assert SENTINEL not in result.out + result.err
    assert not (work / "ran").exists()


def test_exec_never_runs_a_program_planted_on_a_path_from_the_store(cli: Cli, work: Path):
    """A PATH secret naming a folder of look-alike programs picks nothing: refused, nothing run."""
    evil = work / "evil"
    _planted(evil, "touch", work / "planted-ran")
    _planted(evil, "only-planted", work / "planted-ran")
    cli.set("path", f"{evil}:/usr/bin:/bin")
    for command in ("touch", "only-planted"):
        result = cli("secrets", "exec", "--", command, "ran")
        assert result.code != 0, str(result)
        assert not (work / "planted-ran").exists(), str(result)
        assert not (work / "ran").exists()


def test_exec_looks_the_command_up_on_the_parent_path_not_the_childs(
    work: Path, monkeypatch: pytest.MonkeyPatch
):
    """Even with the name check out of the way, a PATH secret does not choose the program."""
    from glassdome.commands import secrets as commands
    from glassdome.ui.console import Terminal

    good, evil = work / "good", work / "evil"
    _planted(good, "tool", work / "good-ran")
    _planted(evil, "tool", work / "evil-ran")

    class Store:
        backend_name = "file"

        def list_secrets(self) -> list[str]:
            return ["path"]

        def get_secret(self, name: str) -> str | None:
            return f"{evil}:/usr/bin:/bin" if name == "path" else None

    monkeypatch.setattr(commands, "is_denied", lambda variable: False)
    term = Terminal(env={"PATH": f"{good}:/usr/bin:/bin"})
    code = commands.exec_with_secrets(term, ["tool"], manager=Store())  # type: ignore[arg-type]
    assert code == 0
    assert (work / "good-ran").exists()
    assert not (work / "evil-ran").exists()


def test_exec_command_not_found_on_the_parent_path_runs_nothing(cli: Cli):
    result = cli("secrets", "exec", "--", "no-such-command-anywhere")
    assert result.code == 127, str(result)
    assert len(result.err_lines) == 1, str(result)
    assert "command not found: no-such-command-anywhere" in result.err


def test_exec_env_maps_a_secret_to_any_allowed_variable(cli: Cli):
    cli.set("tf-token", "mapped value")
    cli.set("proxmox_password", "other")
    result = cli(
        "secrets",
        "exec",
        "--env",
        "TF_VAR_x=tf-token",
        "--only",
        "proxmox_password",
        "--",
        sys.executable,
        "-c",
        "import json, os; print(json.dumps("
        "[os.environ.get('TF_VAR_x'), os.environ.get('TF_TOKEN'), "
        "os.environ.get('PROXMOX_PASSWORD')]))",
    )
    assert result.code == 0, str(result)
    assert json.loads(result.out) == ["mapped value", None, "other"]


def test_exec_env_hands_a_secret_named_like_a_denied_variable_over_under_another_name(cli: Cli):
    cli.set("path", "not a search path")
    result = cli(
        "secrets", "exec", "--env", "APP_PATH=path", "--", "sh", "-c", 'printf %s "$APP_PATH"'
    )
    assert result.code == 0, str(result)
    assert result.out == "not a search path"


@pytest.mark.parametrize("variable", ["PATH", "LD_PRELOAD", "PYTHONSTARTUP", "BASH_ENV", "path"])
def test_exec_env_refuses_a_denied_variable(cli: Cli, work: Path, variable: str):
    cli.set("name", SENTINEL)
    result = cli("secrets", "exec", "--env", f"{variable}=name", "--", "touch", "ran")
    assert result.code == 2, str(result)
    assert variable in one_error_line(result)
    assert SENTINEL not in result.out + result.err
    assert not (work / "ran").exists()


@pytest.mark.parametrize("mapping", ["1X=name", "A-B=name", "=name", "NOEQUALS", "X="])
def test_exec_env_needs_a_posix_variable_name_and_a_secret(cli: Cli, work: Path, mapping: str):
    cli.set("name", SENTINEL)
    result = cli("secrets", "exec", "--env", mapping, "--", "touch", "ran")
    assert result.code == 2, str(result)
    assert "--env" in one_error_line(result)
    assert not (work / "ran").exists()


STORE_CREDENTIALS = (
    "GLASSDOME_MASTER_PASSWORD",
    "GLASSDOME_MASTER_PASSWORD_FILE",
    "VAULT_TOKEN",
    "VAULT_SECRET_ID",
)
SHOW_STORE_CREDENTIALS = (
    "import json, os; print(json.dumps({n: os.environ.get(n) for n in "
    + repr(STORE_CREDENTIALS)
    + "}))"
)


def test_exec_keeps_the_store_credentials_from_the_command_by_default(cli: Cli, work: Path):
    cli.set("proxmox_password", "wanted")
    (work / "pw").write_text(PASSWORD + "\n")
    extra = {
        "VAULT_TOKEN": "hvs.parent-token",
        "VAULT_SECRET_ID": "parent-secret-id",
        "GLASSDOME_MASTER_PASSWORD_FILE": str(work / "pw"),
    }
    result = cli("secrets", "exec", "--", sys.executable, "-c", SHOW_STORE_CREDENTIALS, **extra)
    assert result.code == 0, str(result)
    assert json.loads(result.out) == dict.fromkeys(STORE_CREDENTIALS)


def test_exec_passes_the_store_credentials_on_when_asked(cli: Cli, work: Path):
    cli.set("proxmox_password", "wanted")
    (work / "pw").write_text(PASSWORD + "\n")
    extra = {
        "VAULT_TOKEN": "hvs.parent-token",
        "VAULT_SECRET_ID": "parent-secret-id",
        "GLASSDOME_MASTER_PASSWORD_FILE": str(work / "pw"),
    }
    result = cli(
        "secrets",
        "exec",
        "--pass-store-credentials",
        "--",
        sys.executable,
        "-c",
        SHOW_STORE_CREDENTIALS,
        **extra,
    )
    assert result.code == 0, str(result)
    assert json.loads(result.out) == {
        "GLASSDOME_MASTER_PASSWORD": PASSWORD,
        "GLASSDOME_MASTER_PASSWORD_FILE": str(work / "pw"),
        "VAULT_TOKEN": "hvs.parent-token",
        "VAULT_SECRET_ID": "parent-secret-id",
    }
