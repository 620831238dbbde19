"""moto's real server on 127.0.0.1 with authentication enforced, for the aws backend's tests.

`moto_server()` runs ``moto_server -H 127.0.0.1 -p PORT`` with
``INITIAL_NO_AUTH_ACTION_COUNT`` set so that exactly the requests that create
the test's IAM users, keys and policies go unchecked; every later request must
be signed with one of those keys and is allowed only what its policy allows.
It yields a `Moto` handle and stops the process by its PID (see
`tests.backends.local_server`); the `moto` fixture is one such server shared
by the whole test session.

`aws_environment()` is the environment a client needs: every real ``AWS_*``
variable is dropped, credentials come from a profile in a private credentials
file (so a child process gets them without a secret in its environment), the
endpoint from ``AWS_ENDPOINT_URL``, and the instance metadata service is off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.backends.local_server import HOST, answers, local_server, shared_server

__all__ = [
    "REGION",
    "TEAM_ACTIONS",
    "Moto",
    "aws_environment",
    "moto",
    "moto_server",
    "shared_moto",
    "use_aws",
]

REGION = "us-east-1"
PROFILE = "glassdome-tests"
# Bootstrap credentials: accepted only for the unauthenticated set-up requests.
_BOOTSTRAP = ("bootstrap", "bootstrap")
# What docs/TEAMS.md tells a team to allow (there limited to the prefix's secrets).
TEAM_ACTIONS = [
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:RestoreSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:ListSecrets",
]
# Each user costs three unchecked requests: CreateUser, CreateAccessKey, PutUserPolicy.
_USERS = {
    "glassdome": ["secretsmanager:*"],
    "team": TEAM_ACTIONS,
    "reader": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    # May read its own keys' ages (the AWS wizard's expiry); no other user may.
    "keyreader": ["iam:ListAccessKeys"],
}


def _client(service: str, endpoint: str, keys: tuple[str, str]) -> Any:
    import boto3

    key_id, secret = keys
    session = boto3.session.Session(
        aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION
    )
    return session.client(service, endpoint_url=endpoint)


@dataclass(frozen=True)
class Moto:
    """A running moto server and the access keys of its IAM users (by user name)."""

    endpoint: str
    keys: Mapping[str, tuple[str, str]]
    log: Path

    def secrets_client(self, user: str = "glassdome") -> Any:
        """A Secrets Manager client of its own as *user*, as another tool would use."""
        return _client("secretsmanager", self.endpoint, self.keys[user])


def _ready(endpoint: str) -> bool:
    return answers(f"{endpoint}/moto-api/")


def _create_users(endpoint: str) -> dict[str, tuple[str, str]]:
    iam = _client("iam", endpoint, _BOOTSTRAP)
    keys = {}
    for user, actions in _USERS.items():
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName=user, PolicyName="glassdome", PolicyDocument=json.dumps(policy)
        )
        keys[user] = (str(key["AccessKeyId"]), str(key["SecretAccessKey"]))
    return keys


@contextmanager
def moto_server(base: Path) -> Iterator[Moto]:
    """Run moto's server with authentication enforced after the IAM set-up; stop it on exit."""
    with local_server(
        "moto_server",
        lambda port: ["-H", HOST, "-p", str(port)],
        base,
        ready=_ready,
        env={"INITIAL_NO_AUTH_ACTION_COUNT": str(3 * len(_USERS))},
    ) as server:
        yield Moto(server.url, _create_users(server.url), server.log)


def shared_moto(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Moto:
    """One moto server for the whole test session (its start-up costs seconds), stopped at its end.

    Tests keep apart by using a name prefix of their own.
    """
    return shared_server(request, "moto", lambda: moto_server(tmp_path_factory.mktemp("moto")))


@pytest.fixture(scope="module")
def moto(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Moto:
    """The test session's moto server (see `shared_moto`)."""
    return shared_moto(request, tmp_path_factory)


def aws_environment(
    moto: Moto, folder: Path, *, user: str = "glassdome", **extra: str
) -> dict[str, str]:
    """The ``AWS_*`` variables that reach *moto* as *user*, with a credentials file in *folder*."""
    key_id, secret = moto.keys[user]
    credentials = folder / f"credentials-{user}"
    credentials.write_text(
        f"[{PROFILE}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
        encoding="utf-8",
    )
    credentials.chmod(0o600)
    env = {
        "AWS_PROFILE": PROFILE,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto.endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(extra)
    return env


def use_aws(
    monkeypatch: pytest.MonkeyPatch,
    moto: Moto,
    folder: Path,
    *,
    user: str = "glassdome",
    **extra: str,
) -> dict[str, str]:
    """Point this process at *moto* as *user*: drop every real ``AWS_*``, set the test's.

    Returns what was set (a child process needs the same).
    """
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = aws_environment(moto, folder, user=user, **extra)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
