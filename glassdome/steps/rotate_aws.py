"""Rotating an AWS access key: a second key for the same IAM user, then the old one goes.

The stored key logs in for its own rotation (the user needs ``iam:ListAccessKeys``,
``iam:CreateAccessKey``, ``iam:UpdateAccessKey`` and ``iam:DeleteAccessKey`` on
itself; docs/setup/aws.md has the policy). Until the new secret is stored the old key
is untouched (a new key that fails is deleted again with the old one); the old key
is revoked with the new key, and a revoke that fails names the key to delete by hand.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from glassdome.errors import GlassdomeError
from glassdome.primitives.names import normalize_name
from glassdome.steps.aws import ACCESS_KEY_ID, REGION, caller_identity
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType, step_meta
from glassdome.steps.net import TIMEOUT

__all__ = ["RotateCreate", "RotateRevoke", "RotateStore", "RotateVerify"]

_KEY_OR_NONE = f"^({ACCESS_KEY_ID})?$"


class RotateArgs(StepArgs):
    """Where the key's secret is stored, and the region to talk to STS in."""

    secret_name: str = Field("aws_secret_access_key", description="the store name of the secret")
    region: str = Field("", pattern=f"^({REGION})?$", description="default: AWS_REGION")


def _region(args: RotateArgs) -> str:
    from glassdome.core.config import settings

    return args.region or str(settings.aws_region or "") or "us-east-1"


def _old_key(args: RotateArgs, ctx: StepContext) -> tuple[str, str]:
    """The key in use: AWS_ACCESS_KEY_ID and the stored secret."""
    from glassdome.core.config import settings

    key_id = str(settings.aws_access_key_id or "")
    secret = ctx.secrets().get_secret(normalize_name(args.secret_name))
    if not key_id or not secret:
        raise StepFailed(
            f"AWS_ACCESS_KEY_ID and the stored {args.secret_name} are not both set: "
            "run `glassdome setup aws` first"
        )
    return key_id, secret


def _iam(key: tuple[str, str], region: str) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StepFailed("the AWS steps need boto3: pip install 'glassdome[aws]'") from None
    config = Config(
        connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"total_max_attempts": 1}
    )
    session = boto3.session.Session(
        aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=region
    )
    return session.client("iam", config=config)


def _call(doing: str, request: Any, **kw: Any) -> Any:
    """One IAM request; a refusal or a network error is one line."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return request(**kw)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        message = " ".join(str(error.get("Message") or "no message").split())
        raise StepFailed(f"AWS IAM: {doing}: {error.get('Code') or 'error'}: {message}") from None
    except BotoCoreError as exc:
        raise StepFailed(f"AWS IAM: {doing}: {' '.join(str(exc).split())}") from None


def _discard(old: tuple[str, str], region: str, user: str, key_id: str) -> str:
    """Delete a new key that will not be used (with the old key); say what happened."""
    try:
        iam = _iam(old, region)
        _call(f"delete {key_id}", iam.delete_access_key, UserName=user, AccessKeyId=key_id)
    except StepFailed as exc:
        return f"the new key {key_id} could not be deleted ({exc}): delete it by hand"
    return f"the new key {key_id} was deleted again"


# --- aws.rotate_key: a second key for the same user ---------------------------------------------


class CreateOutput(BaseModel):
    user: str = Field(description="the IAM user name")
    account: str
    arn: str
    old_access_key_id: str
    access_key_id: str = Field(description="the new key ('' in check mode)")
    secret_access_key: str = Field(description="its secret ('' in check mode); masked")


class RotateCreate(StepType[RotateArgs]):
    """Create a second access key for the IAM user the stored key belongs to."""

    Args = RotateArgs
    Output = CreateOutput
    secret_outputs = frozenset({"secret_access_key"})
    summary = "create a new AWS access key for the stored key's IAM user"

    def check(self, args: RotateArgs, ctx: StepContext) -> Plan:
        """Ask STS who the stored key is, list the user's keys; change nothing."""
        old = _old_key(args, ctx)
        region = _region(args)
        who = caller_identity(*old, region)
        resource = who.arn.split(":", 5)[-1]
        if not resource.startswith("user/"):
            raise StepFailed(
                f"{who.arn} is not an IAM user: only an IAM user's access key can be rotated"
            )
        user = resource.rsplit("/", 1)[-1]
        iam = _iam(old, region)
        listed = _call(f"list {user}'s access keys", iam.list_access_keys, UserName=user)
        keys = sorted(str(k["AccessKeyId"]) for k in listed.get("AccessKeyMetadata", []))
        if len(keys) >= 2:
            others = [k for k in keys if k != old[0]]
            raise StepFailed(
                f"IAM user {user} already has two access keys ({', '.join(keys)}), the most "
                f"AWS allows: delete the one not in use (aws iam delete-access-key --user-name "
                f"{user} --access-key-id {others[0] if others else keys[-1]}), then rotate again"
            )
        outputs = CreateOutput(
            user=user,
            account=who.account,
            arn=who.arn,
            old_access_key_id=old[0],
            access_key_id="",
            secret_access_key="",
        ).model_dump()
        message = f"create a second access key for {who.arn} (replacing {old[0]})"
        return Plan(True, message, outputs, data=(old, region))

    def apply(self, args: RotateArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """CreateAccessKey for the user."""
        old, region = plan.data
        user = plan.outputs["user"]
        made = _call(
            f"create an access key for {user}", _iam(old, region).create_access_key, UserName=user
        )["AccessKey"]
        secret = str(made["SecretAccessKey"])
        ctx.register_secret(secret)
        return {
            **plan.outputs,
            "access_key_id": str(made["AccessKeyId"]),
            "secret_access_key": secret,
        }


# --- aws.rotate_verify / rotate_store ------------------------------------------------------------


class NewKeyArgs(RotateArgs):
    user: str = Field(min_length=1, description="the IAM user name")
    account: str = ""
    arn: str = ""
    access_key_id: str = Field("", pattern=_KEY_OR_NONE, description="the new key")
    secret_access_key: str = Field("", description="its secret; masked")
    attempts: int = Field(10, ge=1, le=60, description="STS tries before giving up")
    delay: float = Field(2.0, ge=0, le=30, description="seconds between tries")


class RotateVerify(StepType[NewKeyArgs]):
    """Wait until STS accepts the new key (a new IAM key takes a few seconds to work)."""

    Args = NewKeyArgs
    secret_args = frozenset({"secret_access_key"})
    summary = "verify the new AWS access key with STS"

    def check(self, args: NewKeyArgs, ctx: StepContext) -> Plan:
        """GetCallerIdentity with the new key, up to *attempts* times; delete it if never."""
        if not args.access_key_id:
            return Plan(False, "the new key is not verified (--check creates no key)")
        region = _region(args)
        last: StepFailed | None = None
        for attempt in range(args.attempts):
            if attempt:
                time.sleep(args.delay)
            try:
                who = caller_identity(args.access_key_id, args.secret_access_key, region)
            except StepFailed as exc:
                last = exc
                continue
            return Plan(False, f"{args.access_key_id} works: account {who.account}, {who.arn}")
        undone = _discard(_old_key(args, ctx), region, args.user, args.access_key_id)
        raise StepFailed(f"{last}; {undone}; the stored key is unchanged")


class RotateStore(StepType[NewKeyArgs]):
    """Store the new secret with its record (one write); delete the new key if that fails."""

    Args = NewKeyArgs
    secret_args = frozenset({"secret_access_key"})
    summary = "store the new AWS access key's secret"

    def check(self, args: NewKeyArgs, ctx: StepContext) -> Plan:
        """Say where the secret goes."""
        name = normalize_name(args.secret_name)
        return Plan(True, f"store the new key's secret as {name}", stores={name: None})

    def apply(self, args: NewKeyArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Write value and record together."""
        from glassdome.core.config import settings
        from glassdome.primitives.meta import SecretMeta, now_utc

        name = normalize_name(args.secret_name)
        old = (str(settings.aws_access_key_id or ""), ctx.secrets().get_secret(name) or "")
        meta = step_meta(
            "aws", account=args.account, arn=args.arn, access_key_id=args.access_key_id
        )
        meta = meta.merged(SecretMeta(verified=now_utc(), last_check="ok"))
        try:
            ctx.store(name, args.secret_access_key, meta)
        except (GlassdomeError, OSError) as exc:
            undone = _discard(old, _region(args), args.user, args.access_key_id)
            reason = exc if isinstance(exc, GlassdomeError) else type(exc).__name__
            raise StepFailed(
                f"{name} could not be stored ({reason}); {undone}; the stored key still works"
            ) from None
        return {}


# --- aws.rotate_revoke ---------------------------------------------------------------------------


class RevokeArgs(NewKeyArgs):
    old_access_key_id: str = Field(pattern=f"^{ACCESS_KEY_ID}$", description="the key to revoke")


class RevokeOutput(BaseModel):
    deleted: bool


class RotateRevoke(StepType[RevokeArgs]):
    """UpdateAccessKey Inactive, then DeleteAccessKey, on the old key (signed with the new one)."""

    Args = RevokeArgs
    Output = RevokeOutput
    secret_args = frozenset({"secret_access_key"})
    summary = "deactivate and delete the old AWS access key"

    def check(self, args: RevokeArgs, ctx: StepContext) -> Plan:
        """Say which key goes."""
        message = f"deactivate, then delete the old key {args.old_access_key_id} of {args.user}"
        return Plan(True, message, {"deleted": False})

    def apply(self, args: RevokeArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Both requests with the new key; a failure names the old key to delete by hand."""
        old, user = args.old_access_key_id, args.user
        try:
            iam = _iam((args.access_key_id, args.secret_access_key), _region(args))
            _call(
                f"deactivate {old}",
                iam.update_access_key,
                UserName=user,
                AccessKeyId=old,
                Status="Inactive",
            )
            _call(f"delete {old}", iam.delete_access_key, UserName=user, AccessKeyId=old)
        except StepFailed as exc:
            raise StepFailed(
                f"{exc}; the new key is stored and in use: delete the old key by hand "
                f"(aws iam delete-access-key --user-name {user} --access-key-id {old})"
            ) from None
        return {"deleted": True}
