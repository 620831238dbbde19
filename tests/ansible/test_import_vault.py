"""`glassdome secrets import ansible-vault` over files made by the real ansible-vault."""

from __future__ import annotations

import io
import json
import os
import pty
import sys
from pathlib import Path

import pytest

from glassdome.commands.import_vault import import_ansible_vault
from glassdome.ui.console import Terminal
from tests.ansible.vaults import (
    CANARIES,
    DEFAULT_PASSWORD,
    DEV_PASSWORD,
    INLINE_DEFAULT,
    INLINE_DEV,
    PLAIN,
    WHOLE,
    Vaults,
    make_vaults,
)
from tests.cli.runner import Cli, Result, finish, one_error_line
from tests.leaks import forms

IMPORT = ("secrets", "import", "ansible-vault")


@pytest.fixture(scope="module")
def vaults(tmp_path_factory: pytest.TempPathFactory) -> Vaults:
    return make_vaults(tmp_path_factory.mktemp("vaults"))


def run(cli: Cli, vaults: Vaults, file: str, *args: str, **extra: str) -> Result:
    """Import *file*; no canary in any form may show in what glassdome printed."""
    result = cli(*IMPORT, vaults / file, *args, **extra)
    printed = result.out + result.err
    for canary in (*CANARIES, DEFAULT_PASSWORD):
        for form, text in forms(canary).items():
            assert text not in printed, f"{form} of a vault value printed:\n{result}"
    return result


def row(result: Result, variable: str) -> str:
    (line,) = [line for line in result.out.splitlines() if f" {variable} " in line]
    return line


def test_a_whole_file_vault_stores_each_text_value_under_its_lower_cased_name(
    cli: Cli, vaults: Vaults
):
    result = run(cli, vaults, "whole.yml", "--vault-password-file", vaults / "default-password")
    assert result.code == 0, str(result)
    assert cli.get("proxmox_token_value") == WHOLE["proxmox_token_value"]
    assert cli.get("esxi_password") == WHOLE["ESXI_PASSWORD"]
    assert cli.names() == ["esxi_password", "proxmox_token_value"]
    assert "skip (not text)" in row(result, "nested")
    assert "skip (not text)" in row(result, "port")
    assert "skip (empty)" in row(result, "empty")
    assert "Stored 2, unchanged 0, conflicts 0, skipped 3." in result.out


def test_a_second_import_of_the_same_file_changes_nothing(cli: Cli, vaults: Vaults):
    password = ("--vault-password-file", vaults / "default-password")
    assert run(cli, vaults, "whole.yml", *password).code == 0
    result = run(cli, vaults, "whole.yml", *password)
    assert result.code == 0, str(result)
    assert "Stored 0, unchanged 2, conflicts 0, skipped 3." in result.out


def test_inline_values_under_two_vault_ids_are_all_decrypted(cli: Cli, vaults: Vaults):
    result = run(
        cli,
        vaults,
        "inline.yml",
        "--vault-password-file",
        vaults / "default-password",
        "--vault-id",
        f"dev@{vaults / 'dev-password'}",
    )
    assert result.code == 0, str(result)
    assert cli.get("aws_secret_access_key") == INLINE_DEFAULT
    assert cli.get("mail_api") == INLINE_DEV
    assert cli.get("plain_note") == PLAIN


def test_a_whole_file_vault_of_a_vault_id_opens_with_that_ids_password(cli: Cli, vaults: Vaults):
    result = run(cli, vaults, "dev-whole.yml", "--vault-id", f"dev@{vaults / 'dev-password'}")
    assert result.code == 0, str(result)
    assert cli.get("proxmox_token_value") == WHOLE["proxmox_token_value"]


@pytest.mark.parametrize(
    ("file", "passwords"),
    [
        ("whole.yml", ("--vault-password-file", "wrong-password")),
        ("dev-whole.yml", ("--vault-password-file", "default-password")),
        # The default id's value would decrypt: the dev one does not, so nothing is stored.
        ("inline.yml", ("--vault-password-file", "default-password")),
    ],
    ids=["wrong-password", "wrong-vault-id", "one-of-two-ids-missing"],
)
def test_a_wrong_vault_password_stores_nothing(
    cli: Cli, vaults: Vaults, home: Path, file: str, passwords: tuple[str, str]
):
    result = run(cli, vaults, file, passwords[0], vaults / passwords[1])
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert f"the vault password does not decrypt {vaults / file}" in line
    assert "nothing was stored" in line
    assert not home.exists()


def test_map_stores_a_variable_under_another_name(cli: Cli, vaults: Vaults):
    result = run(cli, vaults, "plain.yml", "--map", "plain_note=secret_key", "--json")
    assert result.code == 0, str(result)
    assert cli.names() == ["secret_key"]
    assert cli.get("secret_key") == PLAIN


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("no_such_key=secret_key", "plain.yml has no top-level variable no_such_key"),
        ("plain_note", "--map takes KEY=name"),
        ("plain_note=Not A Name", "invalid secret name"),
    ],
)
def test_a_wrong_map_is_a_usage_error_that_stores_nothing(
    cli: Cli, vaults: Vaults, home: Path, option: str, said: str
):
    result = run(cli, vaults, "plain.yml", "--map", option)
    assert result.code == 2, str(result)
    assert said in one_error_line(result)
    assert not home.exists()


def test_dry_run_reports_the_plan_and_changes_nothing(cli: Cli, vaults: Vaults, home: Path):
    cli.set("proxmox_token_value", "stored-before")
    before = {p.name: p.read_bytes() for p in home.iterdir()}
    result = run(
        cli, vaults, "whole.yml", "--vault-password-file", vaults / "default-password", "--dry-run"
    )
    assert result.code == 1, str(result)  # the conflict is reported as migrate reports it
    assert "(would do)" in result.out
    assert "conflict" in row(result, "proxmox_token_value")
    assert "store" in row(result, "ESXI_PASSWORD")
    assert (
        "Dry run: nothing stored (1 to store, unchanged 0, conflicts 1, skipped 3)." in result.out
    )
    assert {p.name: p.read_bytes() for p in home.iterdir()} == before


def test_a_conflict_is_kept_until_overwrite_replaces_it(cli: Cli, vaults: Vaults):
    password = ("--vault-password-file", vaults / "default-password")
    cli.set("proxmox_token_value", "stored-before")
    kept = run(cli, vaults, "whole.yml", *password)
    assert kept.code == 1, str(kept)
    assert "conflict (a different value is stored" in row(kept, "proxmox_token_value")
    assert cli.get("proxmox_token_value") == "stored-before"
    assert cli.get("esxi_password") == WHOLE["ESXI_PASSWORD"]
    replaced = run(cli, vaults, "whole.yml", *password, "--overwrite")
    assert replaced.code == 0, str(replaced)
    assert "overwrite" in row(replaced, "proxmox_token_value")
    assert cli.get("proxmox_token_value") == WHOLE["proxmox_token_value"]


def test_json_reports_names_and_statuses_and_records_the_import_as_the_source(
    cli: Cli, vaults: Vaults
):
    result = run(
        cli, vaults, "whole.yml", "--json", ANSIBLE_VAULT_PASSWORD_FILE=vaults / "default-password"
    )
    assert result.code == 0, str(result)
    assert result.err == ""
    report = json.loads(result.out)  # the shape of every batch report (glassdome.ui.batch)
    assert report["command"] == "secrets import ansible-vault"
    assert report["backend"] == "file"
    assert report["dry_run"] is False
    assert report["counts"]["stored"] == 2
    assert report["counts"]["skipped"] == 3
    assert {entry["variable"]: entry["status"] for entry in report["secrets"]} == {
        "ESXI_PASSWORD": "stored",
        "empty": "skipped",
        "nested": "skipped",
        "port": "skipped",
        "proxmox_token_value": "stored",
    }
    reasons = {entry["variable"]: entry.get("detail") for entry in report["secrets"]}
    assert reasons["empty"] == "empty"
    assert reasons["port"] == "not text"
    shown = cli("secrets", "show", "esxi_password", "--json")
    assert json.loads(shown.out)["meta"]["source"] == "import:ansible-vault"


def test_a_plain_vars_file_needs_no_vault_password(cli: Cli, vaults: Vaults):
    result = run(cli, vaults, "plain.yml")
    assert result.code == 0, str(result)
    assert cli.get("plain_note") == PLAIN


def test_without_a_password_or_a_terminal_it_says_how_to_give_one(
    cli: Cli, vaults: Vaults, home: Path
):
    result = run(cli, vaults, "whole.yml")
    assert result.code == 2, str(result)
    assert "--vault-password-file" in one_error_line(result)
    assert not home.exists()


@pytest.mark.parametrize(
    ("file", "args", "prompt", "password"),
    [
        ("whole.yml", (), "Vault password: ", DEFAULT_PASSWORD),
        ("dev-whole.yml", ("--vault-id", "dev@prompt"), r"Vault password \(dev\): ", DEV_PASSWORD),
    ],
    ids=["default", "vault-id-at-prompt"],
)
def test_on_a_terminal_the_vault_password_is_asked_hidden(
    cli: Cli, vaults: Vaults, file: str, args: tuple[str, ...], prompt: str, password: str
):
    child = cli.spawn_glassdome(*IMPORT, vaults / file, *args)
    child.expect(prompt)
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(password)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert password not in transcript
    for canary in CANARIES:
        assert canary not in transcript
    assert cli.get("proxmox_token_value") == WHOLE["proxmox_token_value"]


def test_without_ansible_core_it_names_the_extra_to_install(cli: Cli, vaults: Vaults):
    hide_ansible = (
        "import sys; sys.modules['ansible'] = None; "  # as if ansible-core were not installed
        "from glassdome.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = cli.run([sys.executable, "-c", hide_ansible, *IMPORT, vaults / "whole.yml"])
    assert result.code == 1, str(result)
    assert "pip install 'glassdome[ansible]'" in one_error_line(result)


@pytest.mark.parametrize(
    ("text", "code", "said"),
    [
        ("_private: a-value-Rt\n", 1, "variable '_private' in "),
        ("TOKEN: one-value-Rt\ntoken: two-value-Rt\n", 2, "TOKEN and token in "),
    ],
    ids=["not-a-secret-name", "two-variables-one-name"],
)
def test_a_variable_without_a_name_of_its_own_stops_the_import(
    cli: Cli, work: Path, home: Path, text: str, code: int, said: str
):
    (work / "vars.yml").write_text(text, encoding="utf-8")
    result = cli(*IMPORT, "vars.yml")
    assert result.code == code, str(result)
    line = one_error_line(result)
    assert said in line
    assert "--map" in line
    assert "-value-Rt" not in result.out + result.err
    assert not home.exists()


def test_a_file_that_is_not_a_mapping_of_variables_is_refused(cli: Cli, work: Path):
    (work / "list.yml").write_text("- one\n- two\n", encoding="utf-8")
    result = cli(*IMPORT, "list.yml")
    assert result.code == 1, str(result)
    assert "does not hold a mapping of variables" in one_error_line(result)


def test_a_yaml_error_does_not_show_the_files_text(cli: Cli, work: Path):
    (work / "broken.yml").write_text("key: [broken-canary-Hs55\nother: x\n", encoding="utf-8")
    result = cli(*IMPORT, "broken.yml")
    assert result.code == 1, str(result)
    assert "is not a YAML file of variables" in one_error_line(result)
    assert "broken-canary" not in result.out + result.err


@pytest.mark.parametrize("as_json", [False, True], ids=["report", "json"])
def test_a_progress_bar_is_drawn_on_a_terminal_except_with_json(
    vaults: Vaults, password_env: str, monkeypatch: pytest.MonkeyPatch, as_json: bool
):
    monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", "file")
    monkeypatch.setenv("TERM", "xterm")  # Rich draws no live display on a dumb terminal
    leader, follower = pty.openpty()
    try:
        with open(follower, "w", closefd=False) as stream:
            term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=stream, env={})
            code = import_ansible_vault(
                term,
                Path(vaults / "whole.yml"),
                password_files=[Path(vaults / "default-password")],
                as_json=as_json,
            )
            stream.flush()
            os.set_blocking(leader, False)
            try:
                drawn = os.read(leader, 65536)
            except BlockingIOError:
                drawn = b""
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 0
    assert (b"Importing" in drawn) is not as_json
    for canary in CANARIES:
        assert canary.encode() not in drawn


def test_a_variable_given_twice_keeps_the_last_value_as_ansible_does_and_shows_neither(
    cli: Cli, work: Path
):
    (work / "twice.yml").write_text(
        "esxi_password: first-canary-Bq30\nesxi_password: last-canary-Bq31\n", encoding="utf-8"
    )
    result = cli(*IMPORT, "twice.yml")
    assert result.code == 0, str(result)
    assert "duplicate" in result.err  # ansible's own warning
    assert "canary-Bq3" not in result.out + result.err
    assert cli.get("esxi_password") == "last-canary-Bq31"
