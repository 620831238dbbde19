"""AWS access keys' age: when a key was made (IAM ListAccessKeys) and when its rotation is due.

An access key never expires on its own; CIS AWS Foundations 1.14 asks for rotation every
90 days. So for AWS the store's ``expires`` means "rotation due": the key's
``CreateDate`` plus ``GLASSDOME_AWS_KEY_MAX_AGE_DAYS`` (default 90). Reading the date
needs ``iam:ListAccessKeys`` on the caller's own user; a key without it (or one of a
role, or a temporary key) records no date, and the wizard goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from glassdome.steps.base import StepFailed
from glassdome.steps.net import TIMEOUT

__all__ = ["DEFAULT_MAX_AGE_DAYS", "MAX_AGE_VARIABLE", "KeyAge", "key_age", "max_age_days"]

MAX_AGE_VARIABLE = "GLASSDOME_AWS_KEY_MAX_AGE_DAYS"
DEFAULT_MAX_AGE_DAYS = 90
_MAX_DAYS = 3650


def max_age_days(env: Mapping[str, str]) -> int:
    """The days an access key may live, from ``GLASSDOME_AWS_KEY_MAX_AGE_DAYS`` (default 90)."""
    raw = env.get(MAX_AGE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_AGE_DAYS
    days = int(raw) if raw.isdigit() else 0
    if not 1 <= days <= _MAX_DAYS:
        raise StepFailed(
            f"{MAX_AGE_VARIABLE} must be a whole number of days from 1 to {_MAX_DAYS}: "
            "fix or unset it (default 90)"
        )
    return days


@dataclass(frozen=True, slots=True)
class KeyAge:
    """When a key was created and when it is due for rotation (UTC ISO-8601)."""

    created: str
    due: str

    @classmethod
    def of(cls, created: datetime, max_days: int) -> KeyAge:
        """The age of a key created at *created* that may live *max_days*."""
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        return cls(_iso(created), _iso(created + timedelta(days=max_days)))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _user_name(arn: str) -> str | None:
    """The IAM user of an ARN (``arn:aws:iam::ACCOUNT:user/path/NAME``); None for others."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("user/"):
        return None
    return parts[5].rsplit("/", 1)[-1] or None


def key_age(
    access_key_id: str, secret_access_key: str, region: str, arn: str, max_days: int
) -> KeyAge | None:
    """The key's age from IAM ListAccessKeys on its own user; None when it cannot be read.

    Only a long-term key (AKIA) of an IAM user has one. Any refusal or failure is None:
    the date is a convenience, never a reason to stop.
    """
    user = _user_name(arn)
    if user is None or not access_key_id.startswith("AKIA"):
        return None
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return None
    config = Config(
        connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"total_max_attempts": 1}
    )
    try:
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        reply = session.client("iam", config=config).list_access_keys(UserName=user)
    except (BotoCoreError, ClientError):
        return None
    for key in reply.get("AccessKeyMetadata") or []:
        created = key.get("CreateDate")
        if key.get("AccessKeyId") == access_key_id and isinstance(created, datetime):
            return KeyAge.of(created, max_days)
    return None
