"""`glassdome rotate aws` against moto with authentication enforced: the stored key creates its
successor, STS accepts it, it is stored, and the old key is deactivated and deleted (and then
refused by STS); a user with two keys is told which; a failed revoke names the old key."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from tests.backends.local_server import HOST, answers, local_server
from tests.cli.runner import Result
from tests.playbook.support import SETTINGS_VARIABLES, stored
from tests.setup.rotate.full_store import fill, small_tmpfs
from tests.setup.support import assert_no_leak, failed_step, statuses, work_folder
from tests.setup.test_aws import AwsCli

ADMIN = ("bootstrap", "bootstrap")
# What docs/setup/aws.md tells an IAM user to allow for `glassdome rotate aws` (on itself).
ROTATE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:ListAccessKeys",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        }
    ],
}
_NAMES = itertools.count(1)


def _client(service: str, endpoint: str, key: tuple[str, str]) -> Any:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name="us-east-1"
    )
    return session.client(service, endpoint_url=endpoint)


class Iam:
    """moto's server, and an admin key that makes a user of its own for each test."""

    def __init__(self, endpoint: str, admin: tuple[str, str]) -> None:
        self.endpoint = endpoint
        self.admin = _client("iam", endpoint, admin)

    def user(self, policy: dict[str, Any]) -> tuple[str, tuple[str, str]]:
        name = f"rotator{next(_NAMES)}"
        self.admin.create_user(UserName=name)
        # moto matches IAM actions against the resource "*" only (AWS: the user's own ARN,
        # with ${aws:username} filled in), so the test grants the documented actions on "*".
        document = json.dumps(policy).replace("arn:aws:iam::*:user/${aws:username}", "*")
        self.admin.put_user_policy(UserName=name, PolicyName="rotate", PolicyDocument=document)
        key = self.admin.create_access_key(UserName=name)["AccessKey"]
        return name, (key["AccessKeyId"], key["SecretAccessKey"])

    def keys(self, user: str) -> list[str]:
        listed = self.admin.list_access_keys(UserName=user)["AccessKeyMetadata"]
        return sorted(k["AccessKeyId"] for k in listed)

    def works(self, key: tuple[str, str]) -> bool:
        from botocore.exceptions import ClientError

        try:
            _client("sts", self.endpoint, key).get_caller_identity()
        except ClientError:
            return False
        return True


@pytest.fixture(scope="module")
def iam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Iam]:
    """moto: three unchecked requests make the admin user, then every request is checked."""
    with local_server(
        "moto_server",
        lambda port: ["-H", HOST, "-p", str(port)],
        tmp_path_factory.mktemp("moto-rotate"),
        ready=lambda url: answers(f"{url}/moto-api/"),
        env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"},
    ) as server:
        boot = _client("iam", server.url, ADMIN)
        boot.create_user(UserName="admin")
        key = boot.create_access_key(UserName="admin")["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        boot.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(policy))
        yield Iam(server.url, (key["AccessKeyId"], key["SecretAccessKey"]))


def lab(
    iam: Iam, home: Path, tmp_path: Path, policy: dict[str, Any] = ROTATE_POLICY
) -> tuple[AwsCli, str, tuple[str, str]]:
    """A user with one key, set up by the wizard: its secret stored, its id in .env."""
    user, key = iam.user(policy)
    cli = AwsCli(
        home=home,
        cwd=work_folder(tmp_path, "AWS_REGION=us-east-1\n"),
        wizard="aws",
        endpoint=iam.endpoint,
    )
    result = cli.play(
        "--no-input",
        "--set",
        f"access_key_id={key[0]}",
        unset=SETTINGS_VARIABLES,
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=key[1],
    )
    assert result.code == 0, str(result)
    return cli, user, key


def rotate(cli: AwsCli, *args: str) -> Result:
    result = cli("rotate", "aws", "--json", "--no-input", *args, unset=SETTINGS_VARIABLES)
    cli.outputs += [result.out, result.err]
    return result


def test_rotation_stores_a_working_new_key_and_deletes_the_old_one(
    iam: Iam, home: Path, tmp_path: Path
) -> None:
    cli, user, old = lab(iam, home, tmp_path)
    result = rotate(cli)
    assert result.code == 0, str(result)
    assert set(statuses(result).values()) <= {"ok", "changed"}
    (new_id,) = iam.keys(user)
    assert new_id != old[0]
    new_secret = stored(cli.home)["aws_secret_access_key"]
    assert iam.works((new_id, new_secret))
    assert not iam.works(old)
    assert dotenv_values(cli.cwd / ".env")["AWS_ACCESS_KEY_ID"] == new_id
    record = json.loads(cli("secrets", "show", "aws_secret_access_key", "--json").out)["meta"]
    assert record["identity"]["access_key_id"] == new_id
    assert record["source"] == "playbook:rotate/aws.yml#store"
    verified = cli("verify", "--json", unset=SETTINGS_VARIABLES)
    assert verified.code == 0, str(verified)
    for secret in (old[1], new_secret):
        assert_no_leak(secret, [*cli.outputs, verified.out, verified.err])


def test_check_mode_changes_nothing(iam: Iam, home: Path, tmp_path: Path) -> None:
    cli, user, old = lab(iam, home, tmp_path)
    before = stored(cli.home)
    result = rotate(cli, "--check")
    assert result.code == 0, str(result)
    assert iam.keys(user) == [old[0]]
    assert stored(cli.home) == before
    assert dotenv_values(cli.cwd / ".env")["AWS_ACCESS_KEY_ID"] == old[0]


def test_a_user_with_two_keys_is_told_which_and_nothing_changes(
    iam: Iam, home: Path, tmp_path: Path
) -> None:
    cli, user, old = lab(iam, home, tmp_path)
    other = iam.admin.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    result = rotate(cli)
    failed = failed_step(result)
    assert failed["id"] == "create"
    assert "two access keys" in failed["message"]
    assert other in failed["message"]
    assert iam.keys(user) == sorted([old[0], other])
    assert iam.works(old)


def test_a_user_who_may_not_manage_keys_keeps_the_old_one(
    iam: Iam, home: Path, tmp_path: Path
) -> None:
    policy = {
        **ROTATE_POLICY,
        "Statement": [{**ROTATE_POLICY["Statement"][0], "Action": ["iam:ListAccessKeys"]}],
    }
    cli, user, old = lab(iam, home, tmp_path, policy)
    before = stored(cli.home)
    result = rotate(cli)
    failed = failed_step(result)
    assert (
        failed["id"] == "create" and "CreateAccessKey" in failed["message"]
    ) or "AccessDenied" in failed["message"]
    assert iam.keys(user) == [old[0]]
    assert stored(cli.home) == before
    assert iam.works(old)


def test_a_revoke_that_is_refused_keeps_the_new_key_and_names_the_old(
    iam: Iam, home: Path, tmp_path: Path
) -> None:
    allowed = ["iam:ListAccessKeys", "iam:CreateAccessKey"]
    policy = {**ROTATE_POLICY, "Statement": [{**ROTATE_POLICY["Statement"][0], "Action": allowed}]}
    cli, user, old = lab(iam, home, tmp_path, policy)
    result = rotate(cli)
    assert result.code == 1, str(result)
    status = statuses(result)
    assert (status["revoke"], status["record"], status["revoked"]) == (
        "failed",
        "changed",
        "failed",
    )
    assert old[0] in result.out
    assert "by hand" in result.out
    new_id = next(k for k in iam.keys(user) if k != old[0])
    assert iam.works((new_id, stored(cli.home)["aws_secret_access_key"]))
    assert dotenv_values(cli.cwd / ".env")["AWS_ACCESS_KEY_ID"] == new_id


def test_a_store_that_cannot_be_written_deletes_the_new_key_and_keeps_the_old(
    iam: Iam, home: Path, tmp_path: Path
) -> None:
    """The store folder is a small tmpfs, full by the time the rotation stores (as root)."""
    with small_tmpfs(home):
        cli, user, old = lab(iam, home, tmp_path)
        before = stored(cli.home)
        filler = home / "filler"
        with pytest.raises(OSError, match="No space"):
            fill(filler)
        result = rotate(cli)
        filler.unlink()
        assert result.code != 0, str(result)
        assert failed_step(result)["id"] == "store", str(result)
        assert iam.keys(user) == [old[0]]  # the new key was deleted again
        assert iam.works(old)
        assert stored(cli.home) == before
        assert dotenv_values(cli.cwd / ".env")["AWS_ACCESS_KEY_ID"] == old[0]
        verified = cli("verify", "--json", unset=SETTINGS_VARIABLES)
        assert verified.code == 0, str(verified)
        assert_no_leak(old[1], [*cli.outputs, verified.out, verified.err])


def test_a_new_key_sts_never_accepts_is_deleted_and_the_old_one_kept(
    iam: Iam, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """AWS may take a while to accept a new key; one it never accepts is deleted again.

    moto accepts a new key at once, so STS's answer for the new key is replaced here by
    the one AWS gives a key it does not know yet (the rotation runs in this process); the
    create, the deletion of the new key and everything else go to moto.
    """
    import glassdome.steps.rotate_aws as rotate_aws
    from glassdome.cli import main
    from glassdome.steps.base import StepFailed

    cli, user, old = lab(iam, home, tmp_path)
    before = stored(cli.home)
    real = rotate_aws.caller_identity

    def caller_identity(key_id: str, secret: str, region: str) -> Any:
        if key_id != old[0]:
            raise StepFailed("STS: InvalidClientTokenId (the security token is not valid)")
        return real(key_id, secret, region)

    monkeypatch.setattr(rotate_aws, "caller_identity", caller_identity)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in cli.env(unset=SETTINGS_VARIABLES).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cli.cwd)
    code = main(["rotate", "aws", "--json", "--no-input", "--set", "verify_tries=2"])
    out = capsys.readouterr()
    failed = failed_step(Result(("glassdome", "rotate", "aws"), code, out.out, out.err))
    assert failed["id"] == "verify", out
    assert "the stored key is unchanged" in failed["message"]
    assert iam.keys(user) == [old[0]]  # the new key was deleted again
    assert iam.works(old)
    assert stored(cli.home) == before
    assert dotenv_values(cli.cwd / ".env")["AWS_ACCESS_KEY_ID"] == old[0]
    assert_no_leak(old[1], [out.out, out.err])
