"""`glassdome secrets copy` and `invoke secrets.copy` between the file store, OpenBao and AWS."""

from __future__ import annotations

import io
import json
import os
import pty
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from glassdome.commands.copy import copy_secrets
from glassdome.core.secrets import SecretsManager
from glassdome.ui.console import Terminal

# Names imported `as` themselves are fixtures (of tests/backends), used here by name.
from tests.backends.moto_server import moto as moto
from tests.backends.openbao import OpenBao
from tests.backends.openbao import openbao as openbao
from tests.backends.remote import aws_env as aws_env
from tests.backends.remote import prefix as prefix
from tests.backends.remote import token_env as token_env
from tests.cli.runner import Cli, Result, one_error_line

VALUES = {
    "proxmox_password": "pve-Pässword-1",
    "esxi_password": "esxi secret with spaces",
    "openai_api_key": "sk-" + "x" * 60,
}


@pytest.fixture
def vault(token_env: dict[str, str]) -> dict[str, str]:
    """What a run needs, beyond VAULT_ADDR and a token of its own, to reach this test's prefix."""
    return {"GLASSDOME_VAULT_PREFIX": token_env["GLASSDOME_VAULT_PREFIX"]}


@pytest.fixture
def filled(cli: Cli, home: Path, password_env: str) -> Cli:
    """The file store that *cli* uses holds VALUES."""
    SecretsManager(home=home, backend="file").set_many(VALUES)
    return cli


def in_vault(openbao: OpenBao, prefix: str) -> dict[str, str]:
    """Every secret under *prefix*, read with hvac directly."""
    import hvac

    kv = openbao.client().secrets.kv.v2
    try:
        keys = kv.list_secrets(path=prefix, mount_point="secret")["data"]["keys"]
    except hvac.exceptions.InvalidPath:
        return {}
    return {key: openbao.read_kv(f"{prefix}/{key}")["value"] for key in keys}


def copy(
    cli: Cli, source: str, target: str, *options: str, unset: Iterable[str] = (), **env: str
) -> Result:
    """``glassdome secrets copy --from SOURCE --to TARGET OPTIONS`` run by *cli*."""
    return cli("secrets", "copy", "--from", source, "--to", target, *options, unset=unset, **env)


def no_values_in(result: Result) -> None:
    for value in VALUES.values():
        assert value not in result.out + result.err, str(result)


def test_file_to_vault_copies_everything_and_reads_it_back(
    filled: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    result = copy(filled, "file", "vault", **vault)
    assert result.code == 0, str(result)
    assert "Copied 3, overwritten 0, unchanged 0, conflicts 0" in result.out
    assert "Nothing was deleted from file" in result.out
    no_values_in(result)
    assert in_vault(openbao, prefix) == VALUES
    assert filled.names() == sorted(VALUES)  # the source keeps everything

    again = copy(filled, "file", "vault", **vault)
    assert again.code == 0, str(again)
    assert "Copied 0, overwritten 0, unchanged 3, conflicts 0" in again.out


def test_a_different_value_in_the_target_is_a_conflict_left_as_it_is(
    filled: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    openbao.write_kv(f"{prefix}/esxi_password", value="someone else's")
    result = copy(filled, "file", "vault", **vault)
    assert result.code == 1, str(result)
    assert "Copied 2, overwritten 0, unchanged 0, conflicts 1" in result.out
    assert "--overwrite replaces" in result.err
    assert "someone else's" not in result.out + result.err
    no_values_in(result)
    assert in_vault(openbao, prefix)["esxi_password"] == "someone else's"

    forced = copy(filled, "file", "vault", "--overwrite", **vault)
    assert forced.code == 0, str(forced)
    assert "Copied 0, overwritten 1, unchanged 2, conflicts 0" in forced.out
    assert in_vault(openbao, prefix) == VALUES


def test_only_copies_the_named_secrets_and_reports_a_missing_one(
    filled: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    result = copy(filled, "file", "vault", "--only", "proxmox_password", **vault)
    assert result.code == 0, str(result)
    assert in_vault(openbao, prefix) == {"proxmox_password": VALUES["proxmox_password"]}

    missing = copy(filled, "file", "vault", "--only", "Esxi_Password,not_there", **vault)
    assert missing.code == 1, str(missing)
    assert "not_there" in missing.out
    assert "missing 1" in missing.out
    assert set(in_vault(openbao, prefix)) == {"proxmox_password", "esxi_password"}


def test_dry_run_writes_nothing(
    filled: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    result = copy(filled, "file", "vault", "--dry-run", **vault)
    assert result.code == 0, str(result)
    assert "Dry run: nothing written (3 to copy" in result.out
    assert in_vault(openbao, prefix) == {}


def test_vault_to_file_through_invoke(
    cli: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    for name, value in VALUES.items():
        openbao.write_kv(f"{prefix}/{name}", value=value)
    result = cli.invoke("secrets.copy", "--from", "vault", "--to", "file", **vault)
    assert result.code == 0, str(result)
    no_values_in(result)
    assert cli.stored_variables() == {name.upper(): value for name, value in VALUES.items()}
    assert in_vault(openbao, prefix) == VALUES  # nothing deleted from the source


def test_the_same_backend_twice_is_a_usage_error(cli: Cli) -> None:
    result = copy(cli, "file", "FILE")
    assert result.code == 2, str(result)
    assert "both" in one_error_line(result)


def test_an_unusable_target_is_one_error_line(filled: Cli, tmp_path: Path) -> None:
    unset = ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_ROLE_ID")
    result = copy(filled, "file", "vault", unset=unset, HOME=str(tmp_path))
    assert result.code == 1, str(result)
    assert "VAULT_ADDR is not set" in one_error_line(result)


# -- any pair: the file store to AWS Secrets Manager, in process -------------------------


def test_file_to_aws_copies_and_a_second_run_changes_nothing(
    aws_env: dict[str, str], home: Path, password_env: str
) -> None:
    SecretsManager(home=home, backend="file").set_many(VALUES)

    def run(**options: Any) -> tuple[int, str]:
        out = io.StringIO()
        term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
        code = copy_secrets(
            term,
            "file",
            "aws",
            source=SecretsManager(home=home, backend="file"),
            target=SecretsManager(home=home, backend="aws"),
            **options,
        )
        return code, out.getvalue()

    code, said = run()
    assert code == 0, said
    assert "Copied 3" in said
    target = SecretsManager(home=home, backend="aws")
    assert {name: target.get_secret(name) for name in target.list_secrets()} == VALUES
    code, said = run()
    assert code == 0, said
    assert "unchanged 3" in said


def test_json_is_one_document_with_a_status_per_name_and_no_value(
    filled: Cli, vault: dict[str, str], openbao: OpenBao, prefix: str
) -> None:
    openbao.write_kv(f"{prefix}/esxi_password", value="someone else's")
    planned = copy(filled, "file", "vault", "--json", "--dry-run", **vault)
    assert planned.code == 1, str(planned)  # the conflict
    assert json.loads(planned.out)["dry_run"] is True
    assert in_vault(openbao, prefix) == {"esxi_password": "someone else's"}

    only = "esxi_password,proxmox_password,x"
    result = copy(filled, "file", "vault", "--json", "--only", only, **vault)
    assert result.code == 1, str(result)
    assert result.err == ""
    no_values_in(result)
    assert "someone else's" not in result.out
    assert result.out.count("\n") == 1
    found = json.loads(result.out)
    assert found == {
        "command": "secrets copy",
        "dry_run": False,
        "from": "file",
        "to": "vault",
        "secrets": [
            {
                "name": "esxi_password",
                "status": "conflict",
                "detail": "a different value is stored; kept as it is",
            },
            {"name": "proxmox_password", "status": "stored"},
            {"name": "x", "status": "missing", "detail": "not in the file backend"},
        ],
        "counts": {
            "stored": 1,
            "overwritten": 0,
            "unchanged": 0,
            "conflict": 1,
            "skipped": 0,
            "missing": 1,
            "failed": 0,
        },
    }


def test_a_bar_shows_the_comparing_and_reading_back_on_a_terminal_only_without_json(
    aws_env: dict[str, str], home: Path, password_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stderr on a pseudo-terminal: the bar's words; with --json nothing; the report on stdout."""
    monkeypatch.setenv("TERM", "xterm-256color")  # Rich draws no bar on a dumb terminal
    SecretsManager(home=home, backend="file").set_many(VALUES)
    leader, follower = pty.openpty()
    try:
        with open(follower, "w", closefd=False) as stream:

            def run(*, as_json: bool) -> tuple[str, str]:
                out = io.StringIO()
                term = Terminal(stdin=io.StringIO(), stdout=out, stderr=stream, env={})
                code = copy_secrets(
                    term,
                    "file",
                    "aws",
                    as_json=as_json,
                    overwrite=True,
                    source=SecretsManager(home=home, backend="file"),
                    target=SecretsManager(home=home, backend="aws"),
                )
                assert code == 0, out.getvalue()
                stream.flush()
                os.set_blocking(leader, False)
                try:
                    shown = os.read(leader, 1 << 16).decode("utf-8", "replace")
                except BlockingIOError:
                    shown = ""
                return out.getvalue(), shown

            report, shown = run(as_json=False)
            assert "Comparing source and target" in shown
            assert "Reading back from the target" in shown
            assert "Copied 3" in report
            document, quiet = run(as_json=True)
            assert quiet == ""
            assert json.loads(document)["counts"]["unchanged"] == 3
    finally:
        os.close(leader)
        os.close(follower)
