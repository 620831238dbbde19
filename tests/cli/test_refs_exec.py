"""`glassdome secrets exec` and references: inherited ``glassdome:NAME`` values become the
secrets they name before the command starts, ``--env`` maps a secret to any allowed variable,
and nothing that loads code is ever set from the store."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from tests.cli.runner import Cli, one_error_line
from tests.leaks import forms

TOKEN = "canary-Exec-Ref-3c81"
PASSWORD_VALUE = "canary-Exec-Pw-77aa"
# A stand-in command: prints the SHA-256 of each variable named on its command line
# (null when unset), so a test compares values without ever printing them.
HASHES = (
    "import hashlib, json, os, sys; print(json.dumps({n: (hashlib.sha256(os.environ[n].encode())"
    ".hexdigest() if n in os.environ else None) for n in sys.argv[1:]}))"
)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def received(cli: Cli, *options: str, variables: list[str], **env: str) -> dict[str, str | None]:
    result = cli("secrets", "exec", *options, "--", sys.executable, "-c", HASHES, *variables, **env)
    assert result.code == 0, str(result)
    assert_no_canary(result.out + result.err)
    found: dict[str, str | None] = json.loads(result.out)
    return found


def assert_no_canary(text: str) -> None:
    for canary in (TOKEN, PASSWORD_VALUE):
        for form in forms(canary).values():
            assert form not in text


@pytest.fixture
def stored(cli: Cli) -> Cli:
    cli.set("proxmox_token_value", TOKEN)
    cli.set("proxmox_password", PASSWORD_VALUE)
    return cli


def test_inherited_references_become_the_secrets_they_name(stored: Cli):
    found = received(
        stored,
        "--only",
        "proxmox_password",
        variables=["TF_VAR_pm_api_token_secret", "PROXMOX_PASSWORD", "LITERAL", "PLAIN"],
        TF_VAR_pm_api_token_secret="glassdome:proxmox_token_value",
        LITERAL="glassdome::kept",
        PLAIN="plain",
    )
    assert found == {
        "TF_VAR_pm_api_token_secret": digest(TOKEN),
        "PROXMOX_PASSWORD": digest(PASSWORD_VALUE),
        "LITERAL": digest("glassdome:kept"),
        "PLAIN": digest("plain"),
    }


def test_env_maps_a_secret_to_a_terraform_variable(stored: Cli):
    found = received(
        stored,
        "--only",
        "proxmox_password",
        "--env",
        "TF_VAR_pm_api_token_secret=proxmox_token_value",
        variables=["TF_VAR_pm_api_token_secret", "PROXMOX_TOKEN_VALUE", "PROXMOX_PASSWORD"],
    )
    assert found == {
        "TF_VAR_pm_api_token_secret": digest(TOKEN),
        "PROXMOX_TOKEN_VALUE": None,
        "PROXMOX_PASSWORD": digest(PASSWORD_VALUE),
    }


def test_env_takes_the_reference_form_too(stored: Cli):
    found = received(
        stored,
        "--mapped-only",
        "--env",
        "TF_VAR_pm_api_token_secret=glassdome:proxmox_token_value",
        variables=["TF_VAR_pm_api_token_secret"],
    )
    assert found == {"TF_VAR_pm_api_token_secret": digest(TOKEN)}


def test_an_env_mapping_wins_over_an_inherited_reference_to_a_missing_name(stored: Cli):
    found = received(
        stored,
        "--only",
        "proxmox_password",
        "--env",
        "PM_API_TOKEN_SECRET=proxmox_token_value",
        variables=["PM_API_TOKEN_SECRET"],
        PM_API_TOKEN_SECRET="glassdome:not_stored",
    )
    assert found == {"PM_API_TOKEN_SECRET": digest(TOKEN)}


def test_a_reference_to_a_missing_name_is_one_error_line_and_runs_nothing(stored: Cli, work: Path):
    result = stored("secrets", "exec", "--", "touch", "ran", TF_VAR_x="glassdome:proxmox_tokn")
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert "TF_VAR_x (in the environment) refers to the secret 'proxmox_tokn'" in line
    assert not (work / "ran").exists()


@pytest.mark.parametrize(
    "variable", ["LD_LIBRARY_PATH", "PYTHONSTARTUP", "BASH_ENV", "NODE_OPTIONS"]
)
def test_a_reference_in_a_code_loading_variable_is_refused(stored: Cli, work: Path, variable: str):
    result = stored(
        "secrets", "exec", "--", "touch", "ran", **{variable: "glassdome:proxmox_token_value"}
    )
    assert result.code == 1, str(result)
    assert variable in one_error_line(result)
    assert_no_canary(result.out + result.err)
    assert not (work / "ran").exists()


@pytest.mark.parametrize("variable", ["PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "GLASSDOME_HOME"])
def test_env_still_refuses_the_loader_variables(stored: Cli, work: Path, variable: str):
    result = stored(
        "secrets", "exec", "--env", f"{variable}=proxmox_token_value", "--", "touch", "ran"
    )
    assert result.code == 2, str(result)
    assert variable in one_error_line(result)
    assert_no_canary(result.out + result.err)
    assert not (work / "ran").exists()


def test_mapped_only_hands_over_the_mappings_and_references_and_nothing_else(stored: Cli):
    found = received(
        stored,
        "--mapped-only",
        "--env",
        "PM_API_TOKEN_SECRET=proxmox_token_value",
        variables=["PM_API_TOKEN_SECRET", "TF_VAR_pw", "PROXMOX_TOKEN_VALUE", "PROXMOX_PASSWORD"],
        TF_VAR_pw="glassdome:proxmox_password",
    )
    assert found == {
        "PM_API_TOKEN_SECRET": digest(TOKEN),
        "TF_VAR_pw": digest(PASSWORD_VALUE),
        "PROXMOX_TOKEN_VALUE": None,
        "PROXMOX_PASSWORD": None,
    }


def test_mapped_only_with_only_is_a_usage_error(stored: Cli, work: Path):
    result = stored(
        "secrets", "exec", "--mapped-only", "--only", "proxmox_password", "--", "touch", "ran"
    )
    assert result.code == 2, str(result)
    assert "--mapped-only" in one_error_line(result)
    assert not (work / "ran").exists()
