"""moto's real server on 127.0.0.1 with authentication enforced, for the aws backend's tests.

`moto_server()` runs ``moto_server -H 127.0.0.1 -p PORT`` with
``INITIAL_NO_AUTH_ACTION_COUNT`` set so that exactly the requests that create
the test's IAM users, keys and policies go unchecked; every later request must
be signed with one of those keys and is allowed only what its policy allows.
It yields a `Moto` handle and stops the process by its PID.

`aws_environment()` is the environment a client needs: every real ``AWS_*``
variable is dropped, credentials come from a profile in a private credentials
file (so a child process gets them without a secret in its environment), the
endpoint from ``AWS_ENDPOINT_URL``, and the instance metadata service is off.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.conftest import require_tool

if TYPE_CHECKING:
    import pytest

__all__ = ["REGION", "Moto", "aws_environment", "moto_server", "shared_moto", "use_aws"]

REGION = "us-east-1"
GUARD = 30.0
PROFILE = "glassdome-tests"
# Bootstrap credentials: accepted only for the unauthenticated set-up requests.
_BOOTSTRAP = {"AWS_ACCESS_KEY_ID": "bootstrap", "AWS_SECRET_ACCESS_KEY": "bootstrap"}
# Each user costs three unchecked requests: CreateUser, CreateAccessKey, PutUserPolicy.
_USERS = {
    "glassdome": ["secretsmanager:*"],
    "reader": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
}


@dataclass(frozen=True)
class Moto:
    """A running moto server and the access keys of its IAM users (by user name)."""

    endpoint: str
    keys: Mapping[str, tuple[str, str]]
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310 - 127.0.0.1
            return True
    except (OSError, urllib.error.URLError):
        return False


def _create_users(endpoint: str) -> dict[str, tuple[str, str]]:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=_BOOTSTRAP["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=_BOOTSTRAP["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    iam = session.client("iam", endpoint_url=endpoint)
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


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=GUARD)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=GUARD)


@contextmanager
def moto_server(base: Path) -> Iterator[Moto]:
    """Run moto's server with authentication enforced after the IAM set-up; stop it on exit."""
    require_tool("moto_server")
    binary = shutil.which("moto_server")
    assert binary is not None
    base.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = base / f"moto-{port}.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(base),
        "LANG": "C.UTF-8",
        "INITIAL_NO_AUTH_ACTION_COUNT": str(3 * len(_USERS)),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=base,
            process_group=0,
        )
    try:
        deadline = time.monotonic() + GUARD
        while not _ready(endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"moto_server did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.02)
        yield Moto(endpoint, _create_users(endpoint), log)
    finally:
        _stop(process)


_shared: dict[str, Moto] = {}


def shared_moto(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Moto:
    """One moto server for the whole test session (its start-up costs seconds), stopped at its end.

    Tests keep apart by using a name prefix of their own.
    """
    if "moto" not in _shared:
        running = moto_server(tmp_path_factory.mktemp("moto"))
        _shared["moto"] = running.__enter__()

        def stop() -> None:
            del _shared["moto"]
            running.__exit__(None, None, None)

        request.config.add_cleanup(stop)
    return _shared["moto"]


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
