"""The Azure wizard end to end against a local Entra ID + ARM server over real TLS.

The server (tests.setup.peers.azure_server) follows the documented token
endpoint and ARM subscription API; its certificate comes from a per-run CA
that only the wizard's ``ca_file`` input makes trusted. azure-identity's own
``ClientSecretCredential`` talks to it (no mock of the client), and the
wizard's child process gets no AZURE_* or CA-bundle variable from the test run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.cli.runner import finish
from tests.setup.peers.azure_server import AzurePeer
from tests.setup.peers.azure_tenant import tenant
from tests.setup.support import WizardCli, assert_no_leak, failed_step, step_events, work_folder

# Characters that change under form-, URL- and JSON-encoding, and a non-ASCII one.
SECRET = 'Az~8Q.s3cr3t_+/="q"\\é'
KEYS = (
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_AUTHORITY_HOST",
    "AZURE_ARM_ENDPOINT",
    "AZURE_GRAPH_ENDPOINT",
    "AZURE_CA_FILE",
)
ENV_TEXT = (
    "# lab settings\n"
    "PROXMOX_HOST=pve.lab\n"
    'AZURE_TENANT_ID="00000000-0000-0000-0000-000000000000"  # an old tenant, replaced\n'
    "\n"
    "MAIL_HOST='mail.lab'  # a comment that must survive\n"
    "# the end\n"
)
# What would steer the child's HTTPS elsewhere or trust the test CA behind the wizard's back.
_STEERING = (
    "AZURE_",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(scope="module")
def peer() -> Iterator[AzurePeer]:
    """One tenant, application and subscription on 127.0.0.1, over TLS from a per-run CA."""
    with tenant(SECRET) as server:
        yield server


@pytest.fixture
def ca_file(peer: AzurePeer, tmp_path: Path) -> Path:
    return peer.write_ca(tmp_path / "azure-ca.pem")


@dataclass
class AzureCli(WizardCli):
    """glassdome with no Azure or CA-bundle variable from the test run."""

    def env(self, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        env = super().env(unset, **extra)
        return {k: v for k, v in env.items() if not k.startswith(_STEERING)}


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> AzureCli:
    return AzureCli(home=home, cwd=work_folder(tmp_path, ENV_TEXT), wizard="azure")


def answers(peer: AzurePeer, ca_file: Path, **changes: str) -> dict[str, str]:
    """Every input but the secret."""
    values = {
        "tenant_id": peer.tenant_id,
        "client_id": peer.client_id,
        "subscription_id": peer.subscription_id,
        "authority_host": peer.authority,
        "arm_endpoint": peer.arm_endpoint,
        "graph_endpoint": peer.graph_endpoint,
        "tls": "ca",
        "ca_file": str(ca_file),
    }
    values.update(changes)
    return values


def sets(values: dict[str, str]) -> list[str]:
    return [part for name, value in values.items() for part in ("--set", f"{name}={value}")]


def outside(text: str, keys: Iterable[str]) -> list[str]:
    """The lines of an .env text that bind none of *keys*, byte for byte."""
    prefixes = tuple(f"{k}=" for k in keys)
    return [line for line in text.splitlines(keepends=True) if not line.startswith(prefixes)]


def assert_env_written(work: Path, peer: AzurePeer, ca_file: Path) -> None:
    after = (work / ".env").read_text(encoding="utf-8")
    assert outside(after, KEYS) == outside(ENV_TEXT, KEYS), after
    values = dotenv_values(work / ".env")
    assert {k: values.get(k) for k in KEYS} == {
        "AZURE_TENANT_ID": peer.tenant_id,
        "AZURE_CLIENT_ID": peer.client_id,
        "AZURE_SUBSCRIPTION_ID": peer.subscription_id,
        "AZURE_AUTHORITY_HOST": peer.authority,
        "AZURE_ARM_ENDPOINT": peer.arm_endpoint,
        "AZURE_GRAPH_ENDPOINT": peer.graph_endpoint,
        "AZURE_CA_FILE": str(ca_file),
    }
    assert values["MAIL_HOST"] == "mail.lab"


def test_pty_typed_answers_get_a_token_read_the_subscription_and_store_the_secret(
    cli: AzureCli, peer: AzurePeer, ca_file: Path
):
    asked = answers(peer, ca_file)
    child = cli.spawn_play()
    child.expect(r"Directory \(tenant\) ID")
    child.sendline(asked["tenant_id"])
    child.expect(r"Application \(client\) ID")
    child.sendline(asked["client_id"])
    child.expect("Client secret value")
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(SECRET)
    child.expect("Subscription ID")
    child.sendline(asked["subscription_id"])
    child.expect(r"Microsoft Entra login host.*\(login\.microsoftonline\.com\)")
    child.sendline(asked["authority_host"])
    child.expect(r"Azure Resource Manager endpoint.*\(https://management\.azure\.com\)")
    child.sendline(asked["arm_endpoint"])
    child.expect(r"Microsoft Graph endpoint.*\(https://graph\.microsoft\.com\)")
    child.sendline(asked["graph_endpoint"])
    child.expect(r"How to trust the servers' certificates.*\(verify\)")
    child.sendline("ca")
    child.expect("CA file")
    child.sendline(asked["ca_file"])
    code, transcript = finish(child)
    assert code == 0, transcript
    key_id = peer.password_credentials[0]["keyId"]
    assert "subscription 'Lab subscription' (Enabled); the client secret" in transcript
    assert f"({key_id}) expires" in transcript
    assert "azure_client_secret will be stored" in transcript
    assert cli.get("azure_client_secret") == SECRET
    assert_env_written(cli.cwd, peer, ca_file)
    assert_no_leak(SECRET, [transcript, *cli.outputs, (cli.cwd / ".env").read_text()])
    # azure-identity read the tenant's OpenID configuration, then asked for a token;
    # then the wizard read the subscription through ARM with it.
    paths = peer.paths()
    wanted = [
        f"/{peer.tenant_id}/v2.0/.well-known/openid-configuration",
        f"/{peer.tenant_id}/oauth2/v2.0/token",
        f"/subscriptions/{peer.subscription_id}",
    ]
    assert all(path in paths for path in wanted), paths
    assert [paths.index(path) for path in wanted] == sorted(paths.index(path) for path in wanted)


def test_answers_file_through_invoke_then_a_second_run_changes_nothing(
    cli: AzureCli, peer: AzurePeer, ca_file: Path
):
    path = cli.write_answers(answers(peer, ca_file), "azure-answers.yml")
    secret_env = {"GLASSDOME_INPUT_CLIENT_SECRET": SECRET}
    first = cli.invoke("setup.azure", "--answers", str(path), "--no-input", **secret_env)
    assert first.code == 0, str(first)
    assert "subscription 'Lab subscription' (Enabled)" in first.out
    assert cli.get("azure_client_secret") == SECRET
    assert_env_written(cli.cwd, peer, ca_file)
    env_after_first = (cli.cwd / ".env").read_bytes()
    store_after_first = (cli.home / "secrets.encrypted").read_bytes()

    second = cli.play("--answers", str(path), "--no-input", "--json", **secret_env)
    assert second.code == 0, str(second)
    assert [(e["id"], e["status"]) for e in step_events(second)] == [
        ("verify", "ok"),
        ("ask_expiry", "skipped"),
        ("expiry", "skipped"),
        ("settings", "ok"),
    ]
    end = peer.password_credentials[0]
    assert step_events(second)[0]["message"] == (
        f"subscription 'Lab subscription' (Enabled); the client secret ({end['keyId']}) "
        f"expires {end['endDateTime']}; azure_client_secret already stored"
    )
    assert (cli.cwd / ".env").read_bytes() == env_after_first
    assert (cli.home / "secrets.encrypted").read_bytes() == store_after_first
    assert_no_leak(SECRET, cli.outputs)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "wrong secret",
            "Microsoft Entra ID refused the client credentials: AADSTS7000215: Invalid client "
            "secret provided.",
        ),
        (
            "unknown subscription",
            "Azure Resource Manager: HTTP 404 SubscriptionNotFound: The subscription ",
        ),
        ("system CAs only", "TLS certificate not trusted (unable to get local issuer certificate)"),
    ],
    ids=["wrong-secret", "unknown-subscription", "system-cas-only"],
)
def test_a_failed_verification_stores_nothing_and_says_why_in_one_line(
    cli: AzureCli, peer: AzurePeer, ca_file: Path, case: str, expected: str
):
    cli.set("azure_client_secret", "the-old-secret-stays")
    store_before = (cli.home / "secrets.encrypted").read_bytes()
    secret = SECRET + "-wrong" if case == "wrong secret" else SECRET
    changes = {
        "unknown subscription": {"subscription_id": str(uuid.uuid4())},
        "system CAs only": {"tls": "verify"},
    }.get(case, {})
    result = cli.play(
        "--json",
        "--no-input",
        *sets(answers(peer, ca_file, **changes)),
        GLASSDOME_INPUT_CLIENT_SECRET=secret,
    )
    failed = failed_step(result)
    message = str(failed["message"])
    assert failed["id"] == "verify"
    if case == "system CAs only":
        expected = f"127.0.0.1:{peer.port}: {expected}"
    assert message.startswith(expected), message
    assert (cli.home / "secrets.encrypted").read_bytes() == store_before
    assert (cli.cwd / ".env").read_text(encoding="utf-8") == ENV_TEXT
    assert_no_leak(secret, cli.outputs)


def test_no_verify_stores_without_asking_azure(cli: AzureCli, peer: AzurePeer, ca_file: Path):
    before = len(peer.requests)
    result = cli.play(
        "--no-verify",
        "--no-input",
        *sets(answers(peer, ca_file, tls="verify")),
        GLASSDOME_INPUT_CLIENT_SECRET="unverified-secret",
    )
    assert result.code == 0, str(result)
    assert "--no-verify" in result.err
    assert f"client {peer.client_id} not verified (--no-verify)" in result.out
    assert cli.get("azure_client_secret") == "unverified-secret"
    assert len(peer.requests) == before
    assert dotenv_values(cli.cwd / ".env")["AZURE_CA_FILE"] == ""


def test_malformed_ids_are_refused_before_anything_runs(cli: AzureCli, peer: AzurePeer):
    result = cli.play(
        "--no-input",
        "--set",
        "tenant_id=x",
        "--set",
        "client_id=not-a-guid",
        "--set",
        "subscription_id=also-not",
        GLASSDOME_INPUT_CLIENT_SECRET="whatever",
    )
    assert result.code == 3, str(result)
    assert "client_id: must match" in result.err
    assert "subscription_id: must match" in result.err
    assert not (cli.home / "secrets.encrypted").exists()


def test_no_ca_bundle_or_azure_variable_of_the_test_run_reaches_the_wizard(
    cli: AzureCli, ca_file: Path, monkeypatch: pytest.MonkeyPatch
):
    """Guard: only the ca_file input can make the wizard trust the test CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "login.example")
    assert not [name for name in cli.env() if name.startswith(_STEERING)]
