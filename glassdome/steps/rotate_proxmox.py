"""Rotating a Proxmox VE API token: create the new one, verify it alone, store it, revoke the old.

Each stage is a step type, so `playbooks/rotate/proxmox.yml` runs them in that order
with `--check`, `--json` and the recap of any playbook. The server and the token in
use come from the settings (``PROXMOX_[NN_]*``, as the setup wizard wrote them); the
login is the user's password (given, else the stored ``proxmox_password[_NN]``).
Until the new secret is stored, the old token is neither touched nor replaced: a new
token that cannot be verified or stored is deleted again. A failed revoke keeps the
new token and names the old one to remove by hand.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from glassdome.errors import GlassdomeError
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType, step_meta
from glassdome.steps.config import ConfigSet, ConfigSetArgs
from glassdome.steps.proxmox_api import TOKEN_NAME_RULE, Endpoint, call, instance_names, login
from glassdome.steps.proxmox_token import check_token
from glassdome.steps.tls import tls_from_settings, warn_insecure

__all__ = ["RotateCreate", "RotateRecord", "RotateRevoke", "RotateStore", "RotateVerify"]

_INSTANCE = r"^(0[2-9]|[1-9][0-9])?$"
_STAMP = re.compile(r"-\d{12}$")  # the suffix an earlier rotation added


def _blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class RotateArgs(StepArgs):
    """Which instance, and the password to log in with (default: the stored one)."""

    instance: str = Field("", pattern=_INSTANCE, description="'' or 02, 03, ...")
    password: str | None = Field(None, description="default: the stored proxmox_password[_NN]")
    otp: str | None = Field(None, description="the current TOTP code, if the user has TOTP")

    @field_validator("password", "otp", mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        return _blank(value)


class _Instance(BaseModel):
    endpoint: Endpoint
    token_name: str
    prefix: str


def _instance(args: RotateArgs) -> _Instance:
    """The server and the token in use, from the settings the setup wizard wrote."""
    from glassdome.core.config import Settings

    names = instance_names(args.instance)
    found = Settings().proxmox_instance(args.instance)
    if not found.host or not found.token_name:
        raise StepFailed(
            f"{names.env_prefix}HOST and {names.env_prefix}TOKEN_NAME are not both set: "
            f"run `glassdome setup proxmox` first"
        )
    tls = tls_from_settings(found.verify_ssl, found.ca_file, found.tls_fingerprint)
    try:
        endpoint = Endpoint(host=found.host, port=found.port, user=found.user, **tls)
    except ValueError as exc:
        raise StepFailed(f"{names.env_prefix}*: {exc}") from None
    return _Instance(endpoint=endpoint, token_name=found.token_name, prefix=names.env_prefix)


def _login(args: RotateArgs, ctx: StepContext, endpoint: Endpoint) -> Any:
    password = args.password or ctx.stored(instance_names(args.instance).password_secret)
    if not password:
        raise StepFailed(
            f"give the password of {endpoint.user} (the prompt, or GLASSDOME_INPUT_PASSWORD): "
            "rotating a token needs a password login"
        )
    return login(endpoint, password, args.otp)


def _discard(args: RotateArgs, ctx: StepContext, endpoint: Endpoint, token_name: str) -> str:
    """Delete a new token that will not be used; say what happened, for the error."""
    full_id = f"{endpoint.user}!{token_name}"
    try:
        api = _login(args, ctx, endpoint)
        call(
            endpoint, f"delete {full_id}", api.access.users(endpoint.user).token(token_name).delete
        )
    except StepFailed as exc:
        return f"the new token {full_id} could not be deleted ({exc}): remove it by hand"
    return f"the new token {full_id} was deleted again"


# --- proxmox.rotate_token: create the new token ------------------------------------------------


class CreateArgs(RotateArgs):
    new_token: str | None = Field(None, description="default: <old id>-<UTC yyyymmddHHMM>")

    @field_validator("new_token", mode="before")
    @classmethod
    def _token_name(cls, value: Any) -> Any:
        value = _blank(value)
        if value is not None and not re.fullmatch(TOKEN_NAME_RULE, str(value)):
            raise ValueError("a token id starts with a letter: letters, digits, '.', '_', '-'")
        return value


class CreateOutput(BaseModel):
    user: str
    old_token: str = Field(description="the token in use, to revoke")
    token_name: str = Field(description="the new token's id")
    full_id: str = Field(description="USER@REALM!NEW")
    token_value: str = Field(description="the new secret ('' in check mode); masked")


class RotateCreate(StepType[CreateArgs]):
    """Create a new API token beside the one in use: same privilege separation, same ACL."""

    Args = CreateArgs
    Output = CreateOutput
    secret_args = frozenset({"password", "otp"})
    secret_outputs = frozenset({"token_value"})
    summary = "create a new Proxmox VE API token with the old one's ACL"

    def check(self, args: CreateArgs, ctx: StepContext) -> Plan:
        """Log in; read the old token and its ACL entries; change nothing."""
        found = _instance(args)
        endpoint = found.endpoint
        warn_insecure(endpoint, ctx, endpoint.where)
        api = _login(args, ctx, endpoint)
        user = endpoint.user
        tokens = call(endpoint, "list the user's tokens", api.access.users(user).token.get) or []
        by_id = {str(t.get("tokenid")): t for t in tokens}
        old = by_id.get(found.token_name)
        if old is None:
            raise StepFailed(
                f"{endpoint.where}: the token {user}!{found.token_name} ({found.prefix}"
                "TOKEN_NAME) does not exist: nothing to rotate; run `glassdome setup proxmox`"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M")
        new = args.new_token or f"{_STAMP.sub('', found.token_name)}-{stamp}"
        if new in by_id:
            raise StepFailed(
                f"{endpoint.where}: a token {user}!{new} exists already: give another new_token"
            )
        old_id = f"{user}!{found.token_name}"
        entries = call(endpoint, "read the ACL", api.access.acl.get) or []
        acl = [e for e in entries if e.get("type") == "token" and e.get("ugid") == old_id]
        privsep = int(old.get("privsep", 1))
        outputs = CreateOutput(
            user=user,
            old_token=found.token_name,
            token_name=new,
            full_id=f"{user}!{new}",
            token_value="",
        ).model_dump()
        granted = ", ".join(f"{e.get('roleid')} on {e.get('path')}" for e in acl) or "none"
        message = (
            f"create {user}!{new} (privilege separation {'on' if privsep else 'off'}) "
            f"with the ACL of {old_id}: {granted}"
        )
        data = (api, privsep, str(old.get("comment") or "glassdome"), acl)
        return Plan(True, message, outputs, data=data)

    def apply(self, args: CreateArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Create the token and grant its ACL; a token half-made is deleted again."""
        api, privsep, comment, acl = plan.data
        endpoint = _instance(args).endpoint
        outputs = dict(plan.outputs)
        full_id, new = outputs["full_id"], outputs["token_name"]
        token = api.access.users(endpoint.user).token(new)
        created = call(endpoint, f"create {full_id}", token.post, privsep=privsep, comment=comment)
        value = str((created or {}).get("value") or "")
        if not value:
            raise StepFailed(f"{endpoint.where}: PVE created {full_id} but returned no secret")
        ctx.register_secret(value)
        try:
            for entry in acl:
                call(
                    endpoint,
                    f"grant {entry.get('roleid')} on {entry.get('path')} to {full_id}",
                    api.access.acl.put,
                    path=entry.get("path"),
                    roles=entry.get("roleid"),
                    tokens=full_id,
                    propagate=int(entry.get("propagate", 1)),
                )
        except StepFailed as exc:
            call(endpoint, f"delete {full_id}", token.delete)
            raise StepFailed(
                f"{exc}; {full_id} was deleted again, the old token is unchanged"
            ) from None
        return {**outputs, "token_value": value}


# --- proxmox.rotate_verify / rotate_store: the new token alone, then into the store -----------


class NewTokenArgs(RotateArgs):
    token_name: str = Field(pattern=f"^{TOKEN_NAME_RULE}$", description="the new token's id")
    token_value: str = Field("", description="its secret ('' in check mode)")


class RotateVerify(StepType[NewTokenArgs]):
    """Authenticate with the new token alone; a token that fails is deleted again."""

    Args = NewTokenArgs
    secret_args = frozenset({"password", "otp", "token_value"})
    summary = "verify the new Proxmox VE API token with the token alone"

    def check(self, args: NewTokenArgs, ctx: StepContext) -> Plan:
        """Read the version and permissions with the new token (read-only)."""
        endpoint = _instance(args).endpoint
        full_id = f"{endpoint.user}!{args.token_name}"
        if not args.token_value:
            return Plan(False, f"{full_id}: not verified (--check creates no token)")
        try:
            found = check_token(endpoint, args.token_name, args.token_value)
        except StepFailed as exc:
            undone = _discard(args, ctx, endpoint, args.token_name)
            raise StepFailed(f"{exc}; {undone}; the stored token is unchanged") from None
        return Plan(
            False,
            f"{full_id} works alone: PVE {found.version}, {found.privileges} privileges",
        )


class RotateStore(StepType[NewTokenArgs]):
    """Store the new token's secret with its record (one write); undo the token if that fails."""

    Args = NewTokenArgs
    secret_args = frozenset({"password", "otp", "token_value"})
    summary = "store the new Proxmox VE API token's secret"

    def check(self, args: NewTokenArgs, ctx: StepContext) -> Plan:
        """Say where the secret goes."""
        name = instance_names(args.instance).token_secret
        full_id = f"{_instance(args).endpoint.user}!{args.token_name}"
        return Plan(True, f"store {full_id}'s secret as {name}", stores={name: None})

    def apply(self, args: NewTokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Write value and record together; on failure delete the new token."""
        from glassdome.primitives.meta import now_utc

        endpoint = _instance(args).endpoint
        name = instance_names(args.instance).token_secret
        full_id = f"{endpoint.user}!{args.token_name}"
        meta = step_meta("proxmox", host=endpoint.where, token_id=full_id)
        meta = meta.merged(type(meta)(verified=now_utc(), last_check="ok"))
        try:
            ctx.store(name, args.token_value, meta)
        except (GlassdomeError, OSError) as exc:
            undone = _discard(args, ctx, endpoint, args.token_name)
            reason = exc if isinstance(exc, GlassdomeError) else type(exc).__name__
            raise StepFailed(
                f"{name} could not be stored ({reason}); {undone}; the stored token still works"
            ) from None
        return {}


# --- proxmox.rotate_revoke / rotate_record: the old token goes, .env names the new one ----------


class OldTokenArgs(RotateArgs):
    token_name: str = Field(pattern=f"^{TOKEN_NAME_RULE}$", description="the old token's id")


class RevokeOutput(BaseModel):
    deleted: bool


class RotateRevoke(StepType[OldTokenArgs]):
    """Delete the old token; if that fails, say which one to remove by hand."""

    Args = OldTokenArgs
    Output = RevokeOutput
    secret_args = frozenset({"password", "otp"})
    summary = "delete the old Proxmox VE API token"

    def check(self, args: OldTokenArgs, ctx: StepContext) -> Plan:
        """Say which token goes."""
        endpoint = _instance(args).endpoint
        return Plan(
            True, f"delete the old token {endpoint.user}!{args.token_name}", {"deleted": False}
        )

    def apply(self, args: OldTokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """DELETE /access/users/USER/token/OLD."""
        endpoint = _instance(args).endpoint
        user, old = endpoint.user, args.token_name
        try:
            api = _login(args, ctx, endpoint)
            call(endpoint, f"delete {user}!{old}", api.access.users(user).token(old).delete)
        except StepFailed as exc:
            raise StepFailed(
                f"{exc}; the new token is stored and in use: remove the old token {user}!{old} "
                f"by hand (pveum user token remove {user} {old})"
            ) from None
        return {"deleted": True}


class RecordArgs(StepArgs):
    instance: str = Field("", pattern=_INSTANCE)
    token_name: str = Field(pattern=f"^{TOKEN_NAME_RULE}$", description="the new token's id")


class RotateRecord(StepType[RecordArgs]):
    """Write the new token's id to ``.env`` (PROXMOX_[NN_]TOKEN_NAME), keeping every other line."""

    Args = RecordArgs
    summary = "write the new Proxmox VE token id to .env"

    def _values(self, args: RecordArgs) -> ConfigSetArgs:
        key = f"{instance_names(args.instance).env_prefix}TOKEN_NAME"
        return ConfigSetArgs(values={key: args.token_name}, file=None)

    def check(self, args: RecordArgs, ctx: StepContext) -> Plan:
        """Compare with ``.env``."""
        return ConfigSet().check(self._values(args), ctx)

    def apply(self, args: RecordArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Edit ``.env`` in place, atomically."""
        return ConfigSet().apply(self._values(args), ctx, plan)
