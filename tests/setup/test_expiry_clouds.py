"""The AWS and Azure wizards record expiry; `secrets show` carries it, `doctor` flags it.

AWS runs against moto with authentication on: only the ``keyreader`` user's policy allows
iam:ListAccessKeys, so the key's CreateDate is read for it alone; ``glassdome`` is
refused and records no date. Azure runs against the local Entra ID + ARM + Microsoft
Graph server (tests/setup/peers/azure_graph.py), once allowed to read the application and
once refused (403), when the wizard asks for the date instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.runner import Result
from tests.setup.expiry_support import assert_flagged_soon, days_from_now, doctor_expiry, shown
from tests.setup.peers.azure_graph import credential
from tests.setup.peers.azure_server import AzurePeer
from tests.setup.peers.azure_tenant import tenant
from tests.setup.support import assert_no_leak, failed_step, step_events, work_folder
from tests.setup.test_aws import ENV_TEXT as AWS_ENV
from tests.setup.test_aws import AwsCli, Moto
from tests.setup.test_aws import moto as moto  # test_aws.py's module-scoped fixture, by name
from tests.setup.test_azure import ENV_TEXT as AZURE_ENV
from tests.setup.test_azure import SECRET, AzureCli, answers, sets

# --- AWS -----------------------------------------------------------------------------------


@pytest.fixture
def aws(home: Path, tmp_path: Path, moto: Moto) -> AwsCli:
    return AwsCli(home=home, cwd=work_folder(tmp_path, AWS_ENV), wizard="aws", endpoint=moto.url)


def _aws_play(cli: AwsCli, key: tuple[str, str], **env: str) -> Result:
    key_id, secret = key
    return cli.play(
        "--no-input",
        "--json",
        "--set",
        f"access_key_id={key_id}",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=secret,
        **env,
    )


def test_aws_key_allowed_to_list_its_keys_records_creation_and_rotation_due(
    aws: AwsCli, moto: Moto
):
    key_id, secret = moto.keys["keyreader"]
    result = _aws_play(aws, (key_id, secret), GLASSDOME_AWS_KEY_MAX_AGE_DAYS="3")
    assert result.code == 0, str(result)
    meta = shown(aws, "aws_secret_access_key")
    created = datetime.fromisoformat(meta["identity"]["key_created"].replace("Z", "+00:00"))
    assert datetime.now(UTC) - created < timedelta(hours=1)  # moto made the key at start-up
    due = meta["expires"]
    assert datetime.fromisoformat(due.replace("Z", "+00:00")) == created + timedelta(days=3)
    verify = step_events(result)[0]
    assert f"key created {meta['identity']['key_created']}, rotation due {due}" in str(
        verify["message"]
    )
    assert_flagged_soon(aws, "aws_secret_access_key", due)
    assert_no_leak(secret, aws.outputs)


def test_aws_default_rotation_is_ninety_days_and_not_due_yet(aws: AwsCli, moto: Moto):
    result = _aws_play(aws, moto.keys["keyreader"])
    assert result.code == 0, str(result)
    assert 89 < days_from_now(shown(aws, "aws_secret_access_key")["expires"]) <= 90
    assert doctor_expiry(aws, "aws_secret_access_key") is None


def test_aws_key_refused_list_access_keys_records_no_date_and_does_not_fail(
    aws: AwsCli, moto: Moto
):
    result = _aws_play(aws, moto.keys["glassdome"], GLASSDOME_AWS_KEY_MAX_AGE_DAYS="3")
    assert result.code == 0, str(result)
    meta = shown(aws, "aws_secret_access_key")
    assert meta["expires"] is None
    assert "key_created" not in meta["identity"]
    message = str(step_events(result)[0]["message"])
    assert "key age not readable (iam:ListAccessKeys), no rotation date recorded" in message
    assert doctor_expiry(aws, "aws_secret_access_key") is None


@pytest.mark.parametrize("bad", ["ninety", "0", "-5", "99999"])
def test_aws_a_bad_max_age_is_one_line_and_stores_nothing(aws: AwsCli, moto: Moto, bad: str):
    result = _aws_play(aws, moto.keys["keyreader"], GLASSDOME_AWS_KEY_MAX_AGE_DAYS=bad)
    failed = failed_step(result)
    assert failed["message"] == (
        "GLASSDOME_AWS_KEY_MAX_AGE_DAYS must be a whole number of days from 1 to 3650: "
        "fix or unset it (default 90)"
    )
    assert not (aws.home / "secrets.encrypted").exists()


# --- Azure ---------------------------------------------------------------------------------


@pytest.fixture
def azure_peer() -> Iterator[AzurePeer]:
    """A tenant whose application has two client secrets; ours ends in four days."""
    with tenant(
        SECRET,
        password_credentials=[credential("Zz9-another", days=400), credential(SECRET, days=4)],
    ) as server:
        yield server


@pytest.fixture
def azure(home: Path, tmp_path: Path) -> AzureCli:
    return AzureCli(home=home, cwd=work_folder(tmp_path, AZURE_ENV), wizard="azure")


def _azure_play(cli: AzureCli, peer: AzurePeer, tmp_path: Path, *more: str) -> Result:
    values = answers(peer, peer.write_ca(tmp_path / "azure-ca.pem"))
    return cli.play(
        "--no-input", "--json", *sets(values), *more, GLASSDOME_INPUT_CLIENT_SECRET=SECRET
    )


def test_azure_reads_the_secret_end_from_graph_by_its_hint(
    azure: AzureCli, azure_peer: AzurePeer, tmp_path: Path
):
    result = _azure_play(azure, azure_peer, tmp_path)
    assert result.code == 0, str(result)
    ours = azure_peer.password_credentials[1]
    meta = shown(azure, "azure_client_secret")
    assert meta["expires"] == ours["endDateTime"]
    assert meta["identity"]["key_id"] == ours["keyId"]
    assert f"/v1.0/applications(appId='{azure_peer.client_id}')" in azure_peer.paths()
    statuses = {e["id"]: e["status"] for e in step_events(result)}
    assert statuses["ask_expiry"] == statuses["expiry"] == "skipped"
    assert_flagged_soon(azure, "azure_client_secret", ours["endDateTime"])
    assert_no_leak(SECRET, azure.outputs)


def test_azure_refused_by_graph_takes_the_date_given_instead(
    azure: AzureCli, azure_peer: AzurePeer, tmp_path: Path
):
    azure_peer.graph_readable = False
    day = (datetime.now(UTC) + timedelta(days=6)).date().isoformat()
    result = _azure_play(azure, azure_peer, tmp_path, "--set", f"secret_expires={day}")
    assert result.code == 0, str(result)
    verify = step_events(result)[0]
    assert "may not read its application in Microsoft Graph" in str(verify["message"])
    meta = shown(azure, "azure_client_secret")
    assert meta["expires"] == f"{day}T00:00:00Z"
    assert "key_id" not in meta["identity"]
    assert_flagged_soon(azure, "azure_client_secret", f"{day}T00:00:00Z")
    assert_no_leak(SECRET, azure.outputs)


def test_azure_refused_by_graph_and_no_date_given_records_none(
    azure: AzureCli, azure_peer: AzurePeer, tmp_path: Path
):
    azure_peer.graph_readable = False
    result = _azure_play(azure, azure_peer, tmp_path)
    assert result.code == 0, str(result)
    assert shown(azure, "azure_client_secret")["expires"] is None
    assert doctor_expiry(azure, "azure_client_secret") is None


def test_azure_a_given_date_that_is_not_one_is_one_line(
    azure: AzureCli, azure_peer: AzurePeer, tmp_path: Path
):
    azure_peer.graph_readable = False
    result = _azure_play(azure, azure_peer, tmp_path, "--set", "secret_expires=next spring")
    failed = failed_step(result)
    assert failed["id"] == "expiry"
    assert failed["message"] == (
        "secret_expires: not a date; give YYYY-MM-DD (e.g. --set secret_expires=2027-06-30) or none"
    )
