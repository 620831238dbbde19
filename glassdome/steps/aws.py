"""AWS: verify an access key with STS GetCallerIdentity, then store its secret.

GetCallerIdentity is read-only and needs no IAM permission, so any working key
passes it, and it names the account and the identity (ARN) the key belongs to.
boto3 follows ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_STS`` (and
``AWS_CA_BUNDLE``) from the environment, which is how tests point it at moto.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, Field

from glassdome.primitives.names import normalize_name
from glassdome.steps.aws_keys import KeyAge, key_age, max_age_days
from glassdome.steps.base import (
    Plan,
    StepArgs,
    StepContext,
    StepFailed,
    StepType,
    step_meta,
    stored_plan,
)
from glassdome.steps.net import TIMEOUT, connect_error_from

__all__ = ["ACCESS_KEY_ID", "REGION", "CallerIdentity", "VerifyAccessKey"]

# Long-term keys start AKIA, temporary (STS) ones ASIA; 20 characters in all.
ACCESS_KEY_ID = r"(AKIA|ASIA)[A-Z0-9]{16}"
# us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4 ...
REGION = r"[a-z]{2}(-[a-z]+)+-\d{1,2}"


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """Who an access key belongs to, as STS reports it."""

    account: str
    arn: str
    user_id: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def caller_identity(access_key_id: str, secret_access_key: str, region: str) -> CallerIdentity:
    """Ask STS who the key is; raise `StepFailed` with one line saying why not."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError
    except ImportError:
        raise StepFailed("the AWS steps need boto3: pip install 'glassdome[aws]'") from None

    config = Config(
        connect_timeout=TIMEOUT,
        read_timeout=TIMEOUT,
        retries={"total_max_attempts": 1},  # a wizard: say what is wrong now, do not back off
    )
    try:
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        reply = session.client("sts", config=config).get_caller_identity()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or "error"
        message = _one_line(str(error.get("Message") or "no message"))
        raise StepFailed(f"AWS refused access key {access_key_id}: {code}: {message}") from None
    except (BotoConnectionError, HTTPClientError) as exc:
        url = str(exc.kwargs.get("endpoint_url") or f"https://sts.{region}.amazonaws.com")
        raise connect_error_from(url, exc) from None
    except BotoCoreError as exc:
        raise StepFailed(f"AWS STS: {_one_line(str(exc))}") from None
    return CallerIdentity(
        account=str(reply.get("Account", "")),
        arn=str(reply.get("Arn", "")),
        user_id=str(reply.get("UserId", "")),
    )


def _said(age: KeyAge | None) -> str:
    if age is None:
        return "key age not readable (iam:ListAccessKeys), no rotation date recorded"
    return f"key created {age.created}, rotation due {age.due}"


class VerifyAccessKeyArgs(StepArgs):
    """An access key, the region to use it in, and where to store its secret."""

    access_key_id: str = Field(pattern=f"^{ACCESS_KEY_ID}$", description="AKIA... or ASIA...")
    secret_access_key: str = Field(min_length=1, description="masked in all output")
    region: str = Field("us-east-1", pattern=f"^{REGION}$", description="e.g. eu-central-1")
    secret_name: str = Field("aws_secret_access_key", description="the store name of the secret")


class VerifyAccessKeyOutput(BaseModel):
    """Who the key belongs to (empty with --no-verify)."""

    account: str = Field("", description="the 12-digit account id")
    arn: str = Field("", description="the ARN of the user or role")
    user_id: str = Field("", description="the unique id of that user or role")


class VerifyAccessKey(StepType[VerifyAccessKeyArgs]):
    """Verify an access key with STS GetCallerIdentity and store the secret access key.

    ``check`` makes the read-only STS call (skipped with --no-verify) and says
    which account and ARN the key belongs to; ``apply`` stores the secret at
    once. Ok (no change) when the store already holds exactly this secret.
    """

    Args = VerifyAccessKeyArgs
    Output = VerifyAccessKeyOutput
    secret_args = frozenset({"secret_access_key"})
    summary = "verify an AWS access key (STS GetCallerIdentity) and store its secret"

    def check(self, args: VerifyAccessKeyArgs, ctx: StepContext) -> Plan:
        """Ask STS who the key is, then compare the secret with the stored one."""
        key = normalize_name(args.secret_name)
        max_days = max_age_days(os.environ)
        outputs: dict[str, Any] = {"account": "", "arn": "", "user_id": ""}
        age = None
        if ctx.verify:
            who = caller_identity(args.access_key_id, args.secret_access_key, args.region)
            outputs = {"account": who.account, "arn": who.arn, "user_id": who.user_id}
            age = key_age(
                args.access_key_id, args.secret_access_key, args.region, who.arn, max_days
            )
            said = f"account {who.account}, {who.arn}; {_said(age)}"
        else:
            said = f"{args.access_key_id} not verified (--no-verify)"
        plan = stored_plan(ctx, key, args.secret_access_key, said, outputs)
        plan.data = age
        return plan

    def apply(self, args: VerifyAccessKeyArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the verified secret now, before any later step can fail."""
        who = plan.outputs  # empty with --no-verify: only the key id is known then
        meta = step_meta(
            "aws",
            account=str(who.get("account", "")),
            arn=str(who.get("arn", "")),
            access_key_id=args.access_key_id,
        )
        age = plan.data if isinstance(plan.data, KeyAge) else None
        if age is not None:  # "expires" is when rotation is due (CIS 1.14), not a hard end
            meta = replace(
                meta, expires=age.due, identity={**meta.identity, "key_created": age.created}
            )
        ctx.store(normalize_name(args.secret_name), args.secret_access_key, meta)
        return dict(plan.outputs)
