"""The AWS wizard end to end against moto's server on 127.0.0.1, with authentication on.

moto starts with ``INITIAL_NO_AUTH_ACTION_COUNT=2``: the first two requests
(create an IAM user, create its access key) go through unsigned checks, every
later one must be signed with a key moto issued. So the wizard's STS
GetCallerIdentity really succeeds with the right secret and really fails with
a wrong one. The wizard finds moto through ``AWS_ENDPOINT_URL``, as boto3 does
for everyone; no other AWS variable or config file reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.backends.local_server import free_port
from tests.backends.moto_server import moto_server
from tests.cli.runner import finish
from tests.setup.support import WizardCli, assert_no_leak, failed_step, step_events, work_folder

ACCOUNT = "123456789012"  # moto's default account
USER = "glassdome"  # the IAM user tests.backends.moto_server creates
KEYS = ("AWS_ACCESS_KEY_ID", "AWS_REGION")
ENV_TEXT = (
    "# lab settings\n"
    "PROXMOX_HOST=pve.lab\n"
    "\n"
    "export AWS_REGION=eu-west-1   # replaced in place\n"
    "MAIL_HOST='mail.lab'  # a comment that must survive\n"
    "# the end\n"
)
# Variables that would steer boto3 away from the test server (or at a real account).
_AWS_PREFIXES = (
    "AWS_",
    "BOTO_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@dataclass(frozen=True)
class Moto:
    """A running moto server and the access key it issued."""

    url: str
    key_id: str
    secret: str
    # Every user's key, by user name (tests.backends.moto_server); only "keyreader" may
    # call iam:ListAccessKeys.
    keys: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _no_aws(env: dict[str, str], home: Path) -> dict[str, str]:
    clean = {k: v for k, v in env.items() if not k.startswith(_AWS_PREFIXES)}
    clean.update(
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return clean


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    """moto's server with authentication enforced (tests.backends.moto_server), and a key."""
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        key_id, secret = server.keys["glassdome"]
        yield Moto(server.endpoint, key_id, secret, dict(server.keys))


@dataclass
class AwsCli(WizardCli):
    """glassdome whose only way to AWS is *endpoint* (no AWS variable of the test run leaks in)."""

    endpoint: str = ""

    def env(self, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        env = _no_aws(super().env(unset, **extra), self.home.parent)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        return env


@pytest.fixture
def cli(home: Path, tmp_path: Path, moto: Moto) -> AwsCli:
    return AwsCli(home=home, cwd=work_folder(tmp_path, ENV_TEXT), wizard="aws", endpoint=moto.url)


def outside(text: str, keys: Iterable[str]) -> list[str]:
    """The lines of an .env text that bind none of *keys*, byte for byte."""
    names = tuple(keys)
    return [
        line
        for line in text.splitlines(keepends=True)
        if not line.removeprefix("export ").startswith(tuple(f"{k}=" for k in names))
    ]


def assert_env_written(work: Path, key_id: str, region: str) -> None:
    after = (work / ".env").read_text(encoding="utf-8")
    assert outside(after, KEYS) == outside(ENV_TEXT, KEYS), after
    values = dotenv_values(work / ".env")
    assert values["AWS_ACCESS_KEY_ID"] == key_id
    assert values["AWS_REGION"] == region
    assert values["MAIL_HOST"] == "mail.lab"


def test_pty_typed_answers_verify_show_the_account_and_store_the_secret(cli: AwsCli, moto: Moto):
    child = cli.spawn_play()
    child.expect("AWS access key ID")
    child.sendline(moto.key_id)
    child.expect("AWS secret access key")
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(moto.secret)
    child.expect(r"AWS region.*\(eu-west-1\)")  # the default comes from the .env
    child.sendline("eu-central-1")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert f"account {ACCOUNT}, arn:aws:iam::{ACCOUNT}:user/{USER}" in transcript
    assert cli.get("aws_secret_access_key") == moto.secret
    assert_env_written(cli.cwd, moto.key_id, "eu-central-1")
    assert_no_leak(moto.secret, [transcript, *cli.outputs, (cli.cwd / ".env").read_text()])


def test_answers_file_through_invoke_then_a_second_run_changes_nothing(cli: AwsCli, moto: Moto):
    answers = cli.cwd / "aws-answers.yml"
    answers.write_text(f"access_key_id: {moto.key_id}\nregion: ap-southeast-2\n")
    secret_env = {"GLASSDOME_INPUT_SECRET_ACCESS_KEY": moto.secret}
    first = cli.invoke("setup.aws", "--answers", str(answers), "--no-input", **secret_env)
    assert first.code == 0, str(first)
    assert f"arn:aws:iam::{ACCOUNT}:user/{USER}" in first.out
    assert cli.get("aws_secret_access_key") == moto.secret
    assert_env_written(cli.cwd, moto.key_id, "ap-southeast-2")
    env_after_first = (cli.cwd / ".env").read_bytes()
    store_after_first = (cli.home / "secrets.encrypted").read_bytes()

    second = cli.play("--answers", str(answers), "--no-input", "--json", **secret_env)
    assert second.code == 0, str(second)
    assert [(e["id"], e["status"]) for e in step_events(second)] == [
        ("verify", "ok"),
        ("settings", "ok"),
    ]
    verify = step_events(second)[0]
    who = f"account {ACCOUNT}, arn:aws:iam::{ACCOUNT}:user/{USER}"
    no_age = "key age not readable (iam:ListAccessKeys), no rotation date recorded"
    assert verify["message"] == f"{who}; {no_age}; aws_secret_access_key already stored"
    assert (cli.cwd / ".env").read_bytes() == env_after_first
    assert (cli.home / "secrets.encrypted").read_bytes() == store_after_first
    assert_no_leak(moto.secret, cli.outputs)


@pytest.mark.parametrize(
    ("wrong", "code"),
    [("secret", "SignatureDoesNotMatch"), ("key id", "InvalidClientTokenId")],
    ids=["wrong-secret", "unknown-key-id"],
)
def test_a_wrong_key_stores_nothing_and_says_why_in_one_line(
    cli: AwsCli, moto: Moto, wrong: str, code: str
):
    cli.set("aws_secret_access_key", "the-old-secret-stays")
    store_before = (cli.home / "secrets.encrypted").read_bytes()
    key_id = "AKIAZZZZZZZZZZZZZZZZ" if wrong == "key id" else moto.key_id
    secret = moto.secret + "x" if wrong == "secret" else moto.secret
    result = cli.play(
        "--json",
        "--no-input",
        "--set",
        f"access_key_id={key_id}",
        "--set",
        "region=us-east-1",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=secret,
    )
    failed = failed_step(result)
    message = str(failed["message"])
    assert failed["id"] == "verify"
    assert message.startswith(f"AWS refused access key {key_id}: {code}: "), message
    assert (cli.home / "secrets.encrypted").read_bytes() == store_before
    assert (cli.cwd / ".env").read_text(encoding="utf-8") == ENV_TEXT
    assert_no_leak(secret, cli.outputs)


def test_an_unreachable_endpoint_is_one_line_and_stores_nothing(cli: AwsCli, moto: Moto):
    cli.endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = cli.play(
        "--no-input",
        "--set",
        f"access_key_id={moto.key_id}",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=moto.secret,
    )
    assert result.code == 1, str(result)
    assert "connection refused (is the service running on that port?)" in result.out
    assert not (cli.home / "secrets.encrypted").exists()
    assert (cli.cwd / ".env").read_text(encoding="utf-8") == ENV_TEXT
    assert_no_leak(moto.secret, cli.outputs)


def test_no_verify_stores_without_asking_aws(cli: AwsCli, moto: Moto):
    cli.endpoint = f"http://127.0.0.1:{free_port()}"  # would fail if it were asked
    result = cli.play(
        "--no-verify",
        "--no-input",
        "--set",
        f"access_key_id={moto.key_id}",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY="unverified-secret",
    )
    assert result.code == 0, str(result)
    assert "--no-verify" in result.err
    assert f"{moto.key_id} not verified (--no-verify)" in result.out
    assert cli.get("aws_secret_access_key") == "unverified-secret"
    assert_env_written(cli.cwd, moto.key_id, "eu-west-1")


def test_a_malformed_access_key_id_is_refused_before_anything_runs(cli: AwsCli):
    result = cli.play(
        "--no-input",
        "--set",
        "access_key_id=not-a-key",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY="whatever",
    )
    assert result.code == 3, str(result)
    assert "access_key_id: must match (AKIA|ASIA)[A-Z0-9]{16} (from --set)" in result.err
    assert not (cli.home / "secrets.encrypted").exists()
