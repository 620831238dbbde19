"""`glassdome secrets ...` end to end: the real CLI in a subprocess against a real file store."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.cli.runner import DUMP_SECRETS, Cli, one_error_line
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def checks_by_name(result) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in json.loads(result.out)["checks"]}


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


# -- failures: one line, exit 1 -------------------------------------------------


def test_wrong_master_password_exits_1_with_one_line_and_no_traceback(cli: Cli):
    cli.set("guarded", "value")
    result = cli("secrets", "get", "guarded", GLASSDOME_MASTER_PASSWORD="not the password")
    assert result.code == 1
    assert result.out == ""
    assert "wrong master password" in one_error_line(result)


@pytest.mark.parametrize("damage", ["garbage", "tampered-token", "truncated"])
def test_corrupt_store_exits_1_with_one_line(cli: Cli, home: Path, damage: str):
    cli.set("precious", "value")
    store = home / "secrets.encrypted"
    raw = store.read_bytes()
    if damage == "garbage":
        store.write_bytes(b"this is not a glassdome store\n")
    elif damage == "tampered-token":
        header, token = raw.split(b"\n", 1)
        flipped = token[:40] + (b"A" if token[40:41] != b"A" else b"B") + token[41:]
        store.write_bytes(header + b"\n" + flipped)
    else:
        store.write_bytes(raw[: len(raw) // 2])
    result = cli("secrets", "get", "precious")
    assert result.code == 1
    assert "corrupted" in one_error_line(result)


def test_keyring_backend_without_dbus_exits_1_naming_the_reason(cli: Cli, tmp_path: Path):
    runtime = tmp_path / "xdg-runtime"
    for folder in (runtime, tmp_path / "xdg-config", tmp_path / "xdg-data"):
        folder.mkdir(mode=0o700)
    result = cli(
        "secrets",
        "list",
        unset=("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND"),
        GLASSDOME_SECRETS_BACKEND="keyring",
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )
    assert result.code == 1
    line = one_error_line(result)
    assert "GLASSDOME_SECRETS_BACKEND=keyring" in line
    reason = line.partition("was asked for, but ")[2]
    assert any(
        why in reason for why in ("no usable OS keyring", "D-Bus", "did not answer", "failed")
    ), line


# -- usage errors: exit 2 -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["secrets"],
        ["secrets", "bogus"],
        ["secrets", "get"],
        ["secrets", "list", "--bogus"],
        ["secrets", "set", "x", "--value", "v", "--from-file", "f"],
        ["secrets", "exec"],
        ["secrets", "exec", "--"],
    ],
    ids=lambda args: " ".join(args) or "nothing",
)
def test_usage_errors_exit_2_with_one_line(cli: Cli, args: list[str]):
    result = cli(*args)
    assert result.code == 2, str(result)
    one_error_line(result)


# -- GLASSDOME_DEBUG ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [(["secrets", "get", "absent"], 1), (["secrets", "bogus"], 2)],
    ids=["failure", "usage-error"],
)
def test_debug_shows_the_traceback_and_keeps_the_exit_code(cli: Cli, args: list[str], code: int):
    quiet = cli(*args)
    loud = cli(*args, GLASSDOME_DEBUG="1")
    assert quiet.code == loud.code == code
    assert "Traceback" not in quiet.err
    assert "Traceback (most recent call last):" in loud.err
    assert one_error_line(quiet) in loud.err_lines


# -- exec -----------------------------------------------------------------------


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


# -- passwd ---------------------------------------------------------------------


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


# -- doctor ---------------------------------------------------------------------


def test_doctor_reports_backend_keyring_paths_permissions_and_a_weak_kdf(cli: Cli, home: Path):
    cli.set("something", "value")
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1, str(result)  # the test KDF is below the default
    checks = checks_by_name(result)
    assert checks["backend"]["status"] == "ok"
    assert checks["backend"]["detail"] == "file: GLASSDOME_SECRETS_BACKEND=file"
    assert checks["OS keyring"]["status"] in {"ok", "info"}
    assert checks["OS keyring"]["detail"]
    assert checks["store"]["detail"] == str(home / "secrets.encrypted")
    assert checks["key"]["detail"] == str(home / "master_key.enc")
    assert checks[f"permissions {home.name}"] == {
        "name": f"permissions {home.name}",
        "status": "ok",
        "detail": "0700",
    }
    for name in ("secrets.encrypted", "master_key.enc"):
        assert checks[f"permissions {name}"]["status"] == "ok"
        assert checks[f"permissions {name}"]["detail"] == "0600"
    assert checks["KDF"]["status"] == "attention"
    assert "argon2id m=19 MiB t=2" in checks["KDF"]["detail"]
    assert "below the current default" in checks["KDF"]["detail"]
    attention = [c["name"] for c in checks.values() if c["status"] == "attention"]
    assert attention == ["KDF"]
    assert [c["name"] for c in checks.values() if "argon2id" in c["detail"]] == ["KDF"]


def test_doctor_table_names_the_finding_and_exits_1(cli: Cli):
    cli.set("something", "value")
    result = cli("secrets", "doctor")
    assert result.code == 1, str(result)
    assert "┃ check" in result.out
    assert "KDF" in result.out
    assert "attention" in result.out
    assert "1 finding(s) need attention." in result.err


def test_doctor_flags_loose_permissions(cli: Cli, home: Path):
    cli.set("something", "value")
    (home / "secrets.encrypted").chmod(0o644)
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1
    check = checks_by_name(result)["permissions secrets.encrypted"]
    assert check["status"] == "attention"
    assert "chmod 0600" in check["detail"]


def test_doctor_flags_plaintext_secrets_in_env_by_name_only(cli: Cli, work: Path):
    (work / ".env").write_text("PROXMOX_HOST=pve\nPROXMOX_PASSWORD=plain-in-env\n")
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1
    check = checks_by_name(result)[".env"]
    assert check["status"] == "attention"
    assert "PROXMOX_PASSWORD" in check["detail"]
    assert "plain-in-env" not in result.out + result.err


def test_doctor_exits_0_when_nothing_needs_attention(cli: Cli):
    result = cli("secrets", "doctor", "--json")
    assert result.code == 0, str(result)
    assert all(c["status"] != "attention" for c in checks_by_name(result).values())


# -- python -m glassdome ----------------------------------------------------------


def test_python_m_glassdome_works_like_the_glassdome_command(cli: Cli):
    script = Path(sys.executable).with_name("glassdome")
    command = str(script) if script.exists() else shutil.which("glassdome")
    assert command, "the glassdome console script is not installed"
    cli.set("shared", "value")
    for args in (["--version"], ["--help"], ["secrets", "list", "--json"], ["secrets", "get"]):
        by_module = cli(*args)
        by_script = cli.run([command, *args])
        assert (by_script.code, by_script.out, by_script.err) == (
            by_module.code,
            by_module.out,
            by_module.err,
        ), args


@pytest.mark.parametrize(
    "args",
    [
        ("secrets", "Typed-Canary-93b1"),  # where the sub-command goes
        ("secrets", "get", "proxmox_password", "Typed-Canary-93b1"),  # one argument too many
        ("secrets", 'it\'s "Typed-Canary-93b1"'),  # quoted by argparse with double quotes
        ("Typed-Canary-93b1",),
    ],
)
def test_a_value_typed_in_the_wrong_place_is_never_repeated(cli: Cli, args: tuple[str, ...]):
    result = cli(*args)
    assert result.code == 2, str(result)
    assert "Typed-Canary-93b1" not in result.out + result.err
    assert result.err.startswith("glassdome: error: ")
