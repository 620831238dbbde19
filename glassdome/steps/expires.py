"""`secret.expires`: record when a stored credential expires, from a date someone gave.

For a credential whose platform would not say (an Azure client secret whose principal may
not read its own application), the wizard asks for the date and this step writes it into
the secret's metadata record (``expires``); the value is left untouched. ``none`` or an
empty answer records nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from glassdome.primitives.names import normalize_name
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType

__all__ = ["SecretExpires", "parse_expiry"]

_NONE = ("", "none", "unknown", "never")


def parse_expiry(text: str) -> str | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 time as UTC ISO; None for none/empty.

    ValueError when *text* is neither.
    """
    text = text.strip()
    if text.lower() in _NONE:
        return None
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class SecretExpiresArgs(StepArgs):
    name: str = Field(description="the stored secret whose expiry this is")
    expires: str = Field("", description="YYYY-MM-DD or an ISO-8601 time (UTC); '' or none")
    answer: str = Field("expires", description="where the date came from, for messages")


class SecretExpires(StepType[SecretExpiresArgs]):
    """Record a given expiry date in a stored secret's metadata (ok when already recorded)."""

    Args = SecretExpiresArgs
    summary = "record when a stored secret expires"

    def check(self, args: SecretExpiresArgs, ctx: StepContext) -> Plan:
        """Read the date and compare it with the recorded one; change nothing."""
        key = normalize_name(args.name)
        try:
            expires = parse_expiry(args.expires)
        except ValueError:
            raise StepFailed(
                f"{args.answer}: not a date; give YYYY-MM-DD (e.g. --set {args.answer}="
                "2027-06-30) or none"
            ) from None
        if expires is None:
            return Plan(False, f"no expiry recorded for {key}")
        if not ctx.has_secret(key):
            raise StepFailed(f"{key} is not in the store: there is no expiry to record")
        recorded = None if key in ctx.pending else ctx.secrets().get_meta(key)
        if recorded is not None and recorded.expires == expires:
            return Plan(False, f"{key} expires {expires} (already recorded)")
        return Plan(True, f"record that {key} expires {expires}", data=expires)

    def apply(self, args: SecretExpiresArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Write the date into the secret's metadata record."""
        from glassdome.primitives.meta import SecretMeta

        ctx.secrets().update_meta(normalize_name(args.name), SecretMeta(expires=str(plan.data)))
        return {}
