"""What the wizards record beside the credentials they store: platform, identity, source.

The AWS wizard runs against moto with authentication on and the Proxmox wizard
against the PVE API server on 127.0.0.1, with the peers and helpers of
tests/setup/test_aws.py and test_proxmox.py; `secrets list --long` and
`secrets show` then read the records back through the real CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import Result
from tests.setup.peers.pve_server import PveServer
from tests.setup.proxmox.wizard import ENV_BEFORE, PASSWORD, base_answers, with_password, wizard
from tests.setup.support import WizardCli, assert_no_leak, statuses, work_folder
from tests.setup.test_aws import ACCOUNT, ENV_TEXT, USER, AwsCli, Moto

# `moto` imported as itself is the module-scoped fixture of test_aws.py, used here by name.
from tests.setup.test_aws import moto as moto


@pytest.fixture
def aws_cli(home: Path, tmp_path: Path, moto: Moto) -> AwsCli:
    return AwsCli(home=home, cwd=work_folder(tmp_path, ENV_TEXT), wizard="aws", endpoint=moto.url)


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[PveServer]:
    with PveServer(tmp_path, password=PASSWORD) as server:
        yield server


@pytest.fixture
def pve_cli(home: Path, tmp_path: Path) -> WizardCli:
    return WizardCli(home=home, cwd=work_folder(tmp_path, ENV_BEFORE), wizard="proxmox")


def record(cli: WizardCli, name: str) -> dict[str, Any]:
    """The metadata record of *name*, from ``secrets show NAME --json``."""
    result = cli("secrets", "show", name, "--json")
    assert result.code == 0, str(result)
    meta: dict[str, Any] = json.loads(result.out)["meta"]
    return meta


def looked_up(cli: WizardCli, name: str) -> list[Result]:
    """Every way of looking at the records: list --long (and --json), show (and --json)."""
    results = [
        cli("secrets", "list", "--long"),
        cli("secrets", "list", "--long", "--json"),
        cli("secrets", "show", name),
        cli("secrets", "show", name, "--json"),
    ]
    for result in results:
        assert result.code == 0, str(result)
    return results


def test_aws_wizard_records_the_account_arn_key_id_and_its_step(aws_cli: AwsCli, moto: Moto):
    result = aws_cli.play(
        "--no-input",
        "--set",
        f"access_key_id={moto.key_id}",
        "--set",
        "region=eu-central-1",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=moto.secret,
    )
    assert result.code == 0, str(result)
    meta = record(aws_cli, "aws_secret_access_key")
    assert meta["source"] == "playbook:setup/aws.yml#verify"
    assert meta["platform"] == "aws"
    assert meta["identity"] == {
        "account": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{USER}",
        "access_key_id": moto.key_id,
    }
    assert meta["expires"] is None
    results = looked_up(aws_cli, "aws_secret_access_key")
    assert f"{ACCOUNT} {moto.key_id}" in results[0].out  # the table's short identity
    assert_no_leak(moto.secret, [text for r in results for text in (r.out, r.err)])


def test_aws_wizard_without_verifying_records_only_the_key_id(aws_cli: AwsCli, moto: Moto):
    result = aws_cli.play(
        "--no-input",
        "--no-verify",
        "--set",
        f"access_key_id={moto.key_id}",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=moto.secret,
    )
    assert result.code == 0, str(result)
    meta = record(aws_cli, "aws_secret_access_key")
    assert meta["identity"] == {"access_key_id": moto.key_id}
    assert meta["verified"] is None


def test_proxmox_wizard_records_the_host_the_token_id_and_the_token_step(
    pve: PveServer, pve_cli: WizardCli
):
    result = wizard(pve_cli, base_answers(pve), **with_password())
    assert result.code == 0, str(result)
    assert statuses(result)["token"] == "changed"
    meta = record(pve_cli, "proxmox_token_value")
    assert meta["source"] == "playbook:setup/proxmox.yml#token"
    assert meta["platform"] == "proxmox"
    assert meta["identity"] == {"host": f"127.0.0.1:{pve.port}", "token_id": "root@pam!glassdome"}
    assert meta["expires"] is None  # created without an expiry
    secret = pve.state.tokens[("root@pam", "glassdome")].value
    results = looked_up(pve_cli, "proxmox_token_value")
    assert f"127.0.0.1:{pve.port} root@pam!glassdome" in results[0].out
    assert "identity.token_id  root@pam!glassdome" in results[2].out
    for value in (secret, PASSWORD):
        assert_no_leak(value, [text for r in results for text in (r.out, r.err)])


def test_an_existing_token_is_recorded_by_the_verify_step(pve: PveServer, pve_cli: WizardCli):
    secret = pve.state.add_token("root@pam", "ci", privsep=0)
    answers = base_answers(pve, mode="existing", token_id="root@pam!ci")
    result = wizard(pve_cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert result.code == 0, str(result)
    meta = record(pve_cli, "proxmox_token_value")
    assert meta["source"] == "playbook:setup/proxmox.yml#verify"
    assert meta["identity"]["token_id"] == "root@pam!ci"
