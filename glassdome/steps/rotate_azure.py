"""Rotating an Azure client secret: a new secret on the same application, then the old one goes.

The stored secret logs in for its own rotation (client credentials; the application
needs the Microsoft Graph permission Application.ReadWrite.OwnedBy and must own itself,
docs/setup/azure.md). Until the new secret is stored the old one is untouched (a new
secret that fails is removed again); the old one is removed with the new secret, and a
removal that fails names its keyId to remove by hand.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from glassdome.errors import GlassdomeError
from glassdome.primitives.names import normalize_name
from glassdome.steps.azure import (
    GUID,
    VerifyServicePrincipalArgs,
    arm_token,
    check_principal,
    https_endpoint,
)
from glassdome.steps.azure_graph import DEFAULT_GRAPH_ENDPOINT
from glassdome.steps.azure_passwords import Graph
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType, step_meta
from glassdome.steps.tls import requests_session

__all__ = ["RotateCreate", "RotateRevoke", "RotateStore", "RotateVerify"]

_GUID_OR_NONE = f"^({GUID})?$"


class RotateArgs(StepArgs):
    """Where the secret is stored, and Microsoft Graph's endpoint."""

    secret_name: str = Field("azure_client_secret", description="the store name of the secret")
    graph_endpoint: str = Field(DEFAULT_GRAPH_ENDPOINT, description="Microsoft Graph https URL")

    @field_validator("graph_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        return https_endpoint(value)


def _principal(args: RotateArgs, ctx: StepContext, secret: str) -> VerifyServicePrincipalArgs:
    """The service principal as `glassdome setup azure` recorded it, logging in with *secret*."""
    from glassdome.core.config import settings

    recorded = ctx.secrets().get_meta(normalize_name(args.secret_name))
    identity = recorded.identity if recorded is not None else {}
    ca_file = settings.azure_ca_file
    try:
        return VerifyServicePrincipalArgs(
            tenant_id=identity.get("tenant") or settings.azure_tenant_id or "",
            client_id=identity.get("client_id") or settings.azure_client_id or "",
            client_secret=secret,
            subscription_id=settings.azure_subscription_id or "",
            authority_host=settings.azure_authority_host,
            arm_endpoint=settings.azure_arm_endpoint,
            graph_endpoint=args.graph_endpoint,
            secret_name=args.secret_name,
            tls="ca" if ca_file else "verify",
            ca_file=ca_file or None,
            fingerprint=None,
        )
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(map(str, e["loc"])) for e in exc.errors(include_input=False, include_url=False)
        )
        raise StepFailed(
            f"the Azure settings are missing or not valid ({fields}): run `glassdome setup azure`"
        ) from None


def _stored(args: RotateArgs, ctx: StepContext) -> str:
    secret = ctx.secrets().get_secret(normalize_name(args.secret_name))
    if not secret:
        raise StepFailed(f"{args.secret_name} is not stored: run `glassdome setup azure` first")
    return secret


@contextmanager
def _graph(principal: VerifyServicePrincipalArgs, ctx: StepContext) -> Iterator[Graph]:
    """Microsoft Graph, logged in as *principal* (its client secret)."""
    with requests_session(principal) as session:
        token = arm_token(principal, session, scope=f"{principal.graph_endpoint}/.default")
        ctx.register_secret(token)
        yield Graph(principal, session, token)


def _discard(args: RotateArgs, ctx: StepContext, object_id: str, key_id: str) -> str:
    """Remove a new secret that will not be used (logged in with the old one)."""
    try:
        with _graph(_principal(args, ctx, _stored(args, ctx)), ctx) as graph:
            graph.remove_password(object_id, key_id)
    except StepFailed as exc:
        return f"the new client secret {key_id} could not be removed ({exc}): remove it by hand"
    return f"the new client secret {key_id} was removed again"


def _stamp(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- azure.rotate_secret: a new client secret on the same application ---------------------------


class CreateArgs(RotateArgs):
    lifetime_days: int = Field(180, ge=1, le=730, description="days until the new secret ends")


class CreateOutput(BaseModel):
    tenant_id: str
    client_id: str
    object_id: str = Field(description="the application's object id in Microsoft Graph")
    old_key_id: str = Field(description="the keyId of the secret in use")
    key_id: str = Field(description="the new secret's keyId ('' in check mode)")
    client_secret: str = Field(description="the new secret ('' in check mode); masked")
    expires: str = Field(description="the new secret's endDateTime ('' in check mode)")


class RotateCreate(StepType[CreateArgs]):
    """Add a client secret to the application the stored secret belongs to (Graph addPassword)."""

    Args = CreateArgs
    Output = CreateOutput
    secret_outputs = frozenset({"client_secret"})
    summary = "add a new client secret to the stored Azure service principal's application"

    def check(self, args: CreateArgs, ctx: StepContext) -> Plan:
        """Log in to Graph with the stored secret and find it among the application's; no change."""
        old = _stored(args, ctx)
        principal = _principal(args, ctx, old)
        with _graph(principal, ctx) as graph:
            app = graph.application()
        recorded = ctx.secrets().get_meta(normalize_name(args.secret_name))
        key_id = recorded.identity.get("key_id", "") if recorded is not None else ""
        if key_id not in app.key_ids():
            key_id = app.key_for(old)
        if not key_id:
            raise StepFailed(
                f"which client secret of application {principal.client_id} is the stored one is "
                "not known (no recorded keyId, and no single secret matches its hint): "
                "run `glassdome setup azure` again, then rotate"
            )
        outputs = CreateOutput(
            tenant_id=principal.tenant_id,
            client_id=principal.client_id,
            object_id=app.object_id,
            old_key_id=key_id,
            key_id="",
            client_secret="",
            expires="",
        ).model_dump()
        message = (
            f"add a client secret to application {principal.client_id} ending in "
            f"{args.lifetime_days} days (replacing {key_id})"
        )
        return Plan(True, message, outputs, data=principal)

    def apply(self, args: CreateArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """addPassword, named ``glassdome <UTC stamp>``, ending *lifetime_days* from now."""
        now = datetime.now(UTC)
        end = _stamp(now + timedelta(days=args.lifetime_days))
        name = f"glassdome {now.strftime('%Y-%m-%dT%H:%MZ')}"
        with _graph(plan.data, ctx) as graph:
            made = graph.add_password(plan.outputs["object_id"], name, end)
        ctx.register_secret(made.secret)
        return {
            **plan.outputs,
            "key_id": made.key_id,
            "client_secret": made.secret,
            "expires": made.end,
        }


# --- azure.rotate_verify / rotate_store ----------------------------------------------------------


class NewSecretArgs(RotateArgs):
    object_id: str = Field(min_length=1, description="the application's object id")
    key_id: str = Field("", pattern=_GUID_OR_NONE, description="the new secret's keyId")
    client_secret: str = Field("", description="the new secret; masked")
    expires: str = Field("", description="its endDateTime")
    attempts: int = Field(10, ge=1, le=60, description="tries before giving up")
    delay: float = Field(3.0, ge=0, le=30, description="seconds between tries")


class RotateVerify(StepType[NewSecretArgs]):
    """Get a token with the new secret alone and read the subscription; remove it if it fails.

    A new secret takes a few seconds to work in Entra ID, hence the bounded retries.
    """

    Args = NewSecretArgs
    secret_args = frozenset({"client_secret"})
    summary = "verify the new Azure client secret (token and subscription)"

    def check(self, args: NewSecretArgs, ctx: StepContext) -> Plan:
        """`check_principal` with the new secret, up to *attempts* times."""
        if not args.key_id:
            return Plan(False, "the new client secret is not verified (--check creates none)")
        principal = _principal(args, ctx, args.client_secret)
        last: StepFailed | None = None
        for attempt in range(args.attempts):
            if attempt:
                time.sleep(args.delay)
            try:
                subscription = check_principal(principal, ctx.register_secret)
            except StepFailed as exc:
                last = exc
                continue
            said = f"subscription {subscription.name!r} ({subscription.state})"
            return Plan(False, f"the new client secret {args.key_id} works: {said}")
        undone = _discard(args, ctx, args.object_id, args.key_id)
        raise StepFailed(f"{last}; {undone}; the stored secret is unchanged")


class RotateStore(StepType[NewSecretArgs]):
    """Store the new secret with its record (one write); remove it again if that fails."""

    Args = NewSecretArgs
    secret_args = frozenset({"client_secret"})
    summary = "store the new Azure client secret"

    def check(self, args: NewSecretArgs, ctx: StepContext) -> Plan:
        """Say where the secret goes."""
        name = normalize_name(args.secret_name)
        return Plan(True, f"store the new client secret as {name}", stores={name: None})

    def apply(self, args: NewSecretArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Write value and record (tenant, client id, keyId, end date) together."""
        from glassdome.primitives.meta import SecretMeta, now_utc

        name = normalize_name(args.secret_name)
        principal = _principal(args, ctx, args.client_secret)
        meta = step_meta(
            "azure",
            expires=args.expires or None,
            tenant=principal.tenant_id,
            client_id=principal.client_id,
            key_id=args.key_id,
        )
        meta = meta.merged(SecretMeta(verified=now_utc(), last_check="ok"))
        try:
            ctx.store(name, args.client_secret, meta)
        except (GlassdomeError, OSError) as exc:
            undone = _discard(args, ctx, args.object_id, args.key_id)
            reason = exc if isinstance(exc, GlassdomeError) else type(exc).__name__
            raise StepFailed(
                f"{name} could not be stored ({reason}); {undone}; the stored secret still works"
            ) from None
        return {}


# --- azure.rotate_revoke -------------------------------------------------------------------------


class RevokeArgs(NewSecretArgs):
    old_key_id: str = Field(pattern=f"^{GUID}$", description="the keyId of the secret to remove")


class RevokeOutput(BaseModel):
    deleted: bool


class RotateRevoke(StepType[RevokeArgs]):
    """removePassword for the old secret's keyId, logged in with the new secret."""

    Args = RevokeArgs
    Output = RevokeOutput
    secret_args = frozenset({"client_secret"})
    summary = "remove the old Azure client secret"

    def check(self, args: RevokeArgs, ctx: StepContext) -> Plan:
        """Say which secret goes."""
        return Plan(True, f"remove the old client secret {args.old_key_id}", {"deleted": False})

    def apply(self, args: RevokeArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """One request with the new secret; a failure names the old keyId to remove by hand."""
        principal = _principal(args, ctx, args.client_secret)
        try:
            with _graph(principal, ctx) as graph:
                graph.remove_password(args.object_id, args.old_key_id)
        except StepFailed as exc:
            raise StepFailed(
                f"{exc}; the new client secret is stored and in use: remove the old one by hand "
                f"(az ad app credential delete --id {principal.client_id} "
                f"--key-id {args.old_key_id})"
            ) from None
        return {"deleted": True}
