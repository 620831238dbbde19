"""Proxmox VE API tokens: create one with a password login, or verify one with itself alone.

``proxmox.api_token`` logs in with a password and makes sure the token exists,
its secret is stored (the moment PVE returns it) and its ACL is granted;
``proxmox.verify_token`` checks a token with the token alone and stores a given
secret once it works. Every ``check`` only reads; what it found for ``apply``
travels in the plan. How requests are trusted and errors worded:
`glassdome.steps.proxmox_api`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from glassdome.errors import GlassdomeError
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType, step_meta
from glassdome.steps.proxmox_api import (
    TOKEN_NAME_RULE,
    Endpoint,
    InstanceEndpoint,
    call,
    failure,
    instance_names,
    login,
    token_api,
)
from glassdome.steps.proxmox_expiry import (
    MAX_EXPIRE_DAYS,
    TokenLife,
    expire_at,
    expires_text,
    read_life,
    token_meta,
)
from glassdome.steps.proxmox_roles import RoleChange, apply_role, has_acl, read_role, role_id
from glassdome.steps.tls import warn_insecure

__all__ = ["ApiToken", "TokenArgs", "TokenCheck", "VerifyToken", "check_token", "token_value"]


class _TokenId(InstanceEndpoint):
    """A token id: ``NAME``, or ``USER@REALM!NAME``, which also sets ``user``."""

    token_id: str = Field("glassdome", pattern=f"^{TOKEN_NAME_RULE}$")

    @model_validator(mode="before")
    @classmethod
    def _split_full_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "!" in str(data.get("token_id", "")):
            user, _, name = str(data["token_id"]).rpartition("!")
            return {**data, "user": user, "token_id": name}
        return data

    @property
    def full_id(self) -> str:
        """``USER@REALM!NAME``."""
        return f"{self.user}!{self.token_id}"


# --- proxmox.api_token ---------------------------------------------------------------------


class ApiTokenArgs(_TokenId):
    password: str = Field(min_length=1, description="used to log in; stored only if asked")
    otp: str | None = Field(None, description="the current TOTP code, if the user has TOTP")
    privsep: bool = Field(True, description="privilege separation: the token gets its own ACL")
    role: str = Field(
        "PVEVMAdmin",
        min_length=1,
        description="a role, or terraform-bpg, terraform-telmate, packer",
    )
    acl_path: str = Field("/", pattern=r"^/.*$")
    store_password: bool = False
    comment: str = "glassdome"
    expire_days: int = Field(
        0, ge=0, le=MAX_EXPIRE_DAYS, description="lifetime of a new token; 0: no expiry"
    )

    @field_validator("otp", mode="before")
    @classmethod
    def _no_otp(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class TokenOutput(BaseModel):
    user: str
    token_name: str
    full_id: str = Field(description="USER@REALM!NAME")
    secret_name: str = Field(description="where the token's secret is stored")
    version: str = Field(description="the Proxmox VE version")


@dataclass(frozen=True, slots=True)
class _Changes:
    """What `ApiToken.check` found for `apply`: the logged-in API and the changes, in order."""

    api: Any
    todo: tuple[str, ...]
    role: RoleChange | None = None


class ApiToken(StepType[ApiTokenArgs]):
    """Log in with a password; make sure the API token exists, its secret is stored, its ACL set.

    The ACL (role on a path) is granted only with privilege separation; a preset role
    (``terraform-bpg``, ...) is first made to match (`glassdome.steps.proxmox_roles`). A token that
    exists while its secret is not in the store cannot be recovered (PVE shows a secret
    once): that fails with what to do (`glassdome rotate proxmox` replaces it safely).
    """

    Args = ApiTokenArgs
    Output = TokenOutput
    secret_args = frozenset({"password", "otp"})
    summary = "create a Proxmox VE API token and store its secret"

    def check(self, args: ApiTokenArgs, ctx: StepContext) -> Plan:
        """Log in, read the version, the token, its ACL and the store; change nothing."""
        warn_insecure(args, ctx, args.where)
        names = instance_names(args.instance)
        full_id = args.full_id
        api = login(args, args.password, args.otp)
        version = call(args, "read the version", api.version.get)["version"]
        tokens = call(args, "list the user's tokens", api.access.users(args.user).token.get)
        existing = next((t for t in tokens or [] if t.get("tokenid") == args.token_id), None)
        todo: list[str] = []
        if existing is None:
            todo = ["create"]
        elif ctx.stored(names.token_secret) is None:
            raise StepFailed(
                f"the token {full_id} exists on {args.host} but its secret is not in the store "
                f"as {names.token_secret} (Proxmox VE shows a secret only once): replace it "
                "with a new token by `glassdome rotate proxmox` once PROXMOX_TOKEN_NAME names "
                "it, give another token_id, or use mode=existing with the secret you kept"
            )
        elif bool(int(existing.get("privsep", 1))) != args.privsep:
            todo = ["privsep"]
        role = read_role(api, args, args.role, str(version)) if args.privsep else None
        granted = role_id(args.role)
        if args.privsep and (
            "create" in todo or not has_acl(api, args, full_id, args.acl_path, granted)
        ):
            todo.append("acl")
        if role is not None and role.needed:
            todo.insert(0, "role")  # before the token: a refused role leaves no token behind
        stores: dict[str, str | None] = {}
        if args.store_password and ctx.stored(names.password_secret) != args.password:
            todo.insert(0, "password")
            stores[names.password_secret] = args.password
        if "create" in todo:
            stores[names.token_secret] = None  # PVE makes the secret when `apply` creates it
        outputs = TokenOutput(
            user=args.user,
            token_name=args.token_id,
            full_id=full_id,
            secret_name=names.token_secret,
            version=str(version),
        ).model_dump()
        if not todo:
            return Plan(
                False, f"PVE {version}: token {full_id} exists, its secret is stored", outputs
            )
        said = {
            "password": f"store the password as {names.password_secret}",
            "create": f"create the token{_lifetime(args)} and store its secret as "
            f"{names.token_secret}",
            "privsep": f"set privilege separation {'on' if args.privsep else 'off'}",
            "acl": f"grant {granted} on {args.acl_path}",
            "role": role.said if role else "",
        }
        message = f"PVE {version}: {full_id}: " + ", ".join(said[t] for t in todo)
        return Plan(True, message, outputs, stores, data=_Changes(api, tuple(todo), role))

    def apply(self, args: ApiTokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Make the changes in order; the new secret is stored the moment PVE returns it."""
        changes: _Changes = plan.data
        api, todo = changes.api, changes.todo
        names = instance_names(args.instance)
        full_id = args.full_id
        token = api.access.users(args.user).token(args.token_id)
        if "password" in todo:  # the login just worked
            meta = step_meta("proxmox", host=args.where, user=args.user)
            ctx.store(names.password_secret, args.password, meta)
        if "role" in todo and changes.role is not None:
            apply_role(api, args, changes.role)
        if "create" in todo:
            created = call(
                args,
                f"create the token {full_id}",
                token.post,
                privsep=int(args.privsep),
                comment=args.comment,
                **({"expire": expire_at(args.expire_days)} if args.expire_days else {}),
            )
            value = str((created or {}).get("value") or "")
            if not value:
                raise StepFailed(f"{args.where}: PVE created {full_id} but returned no secret")
            ctx.register_secret(value)
            try:
                # A new token replaces any stored secret of the old one on purpose: read it
                # first, so a check-and-set store (vault) writes on the version read.
                ctx.secrets().get_secret(names.token_secret)
                info = (created or {}).get("info") or {}  # what PVE says of it (no secret)
                expires = expires_text(info.get("expire") if isinstance(info, dict) else None)
                ctx.store(names.token_secret, value, token_meta(args, full_id, expires))
            except GlassdomeError as exc:
                # A token whose secret is lost is useless: take it away again.
                call(args, f"delete the token {full_id}", token.delete)
                raise StepFailed(
                    f"the token's secret could not be stored ({exc}); the token was deleted again"
                ) from None
        if "privsep" in todo:
            call(args, f"update the token {full_id}", token.put, privsep=int(args.privsep))
        if "acl" in todo:
            granted = role_id(args.role)
            call(
                args,
                f"grant {granted} on {args.acl_path} to {full_id}",
                api.access.acl.put,
                path=args.acl_path,
                roles=granted,
                tokens=full_id,
                propagate=1,
            )
        return dict(plan.outputs)


def _lifetime(args: ApiTokenArgs) -> str:
    return f" (expiring in {args.expire_days} days)" if args.expire_days else ""


# --- proxmox.verify_token ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What PVE says of a token used alone: its version and what the token may do."""

    version: str
    privileges: int  # over all paths
    paths: int


def check_token(args: Endpoint, token_name: str, value: str, *, if_401: str = "") -> TokenCheck:
    """Authenticate with the token ``args.user!token_name`` alone (read-only) and say what it holds.

    `StepFailed` in one line when PVE refuses it (*if_401* added on a 401), cannot be
    reached, or the token holds no privileges at all.
    """
    full_id = f"{args.user}!{token_name}"
    api = token_api(args, token_name, value)
    try:
        version = api.version.get()["version"]
        permissions = api.access.permissions.get() or {}
    except Exception as exc:  # noqa: BLE001 - requests, urllib3 and proxmoxer errors alike
        raise failure(args, f"the token {full_id}", exc, if_401=if_401) from None
    privileges = sum(len(privs) for privs in permissions.values() if isinstance(privs, dict))
    if not privileges:
        raise StepFailed(
            f"{args.where}: the token {full_id} works but holds no privileges; grant it a "
            f"role, e.g. pveum acl modify / --roles PVEVMAdmin --tokens '{full_id}'"
        )
    return TokenCheck(str(version), privileges, len(permissions))


class TokenArgs(_TokenId):
    """A token to use: its id and, for one not stored yet, its secret."""

    token_value: str | None = Field(None, description="default: the stored secret")

    @field_validator("token_value", mode="before")
    @classmethod
    def _no_value(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def token_value(args: TokenArgs, ctx: StepContext) -> str | None:
    """The token's secret: given, else stored (or, in check mode, what an earlier step stores)."""
    return args.token_value or ctx.stored(instance_names(args.instance).token_secret)


class VerifyOutput(BaseModel):
    user: str
    token_name: str
    full_id: str
    version: str = Field(description="the Proxmox VE version ('' when not verified)")
    privileges: int = Field(description="privileges the token holds, over all paths")


class VerifyToken(StepType[TokenArgs]):
    """Authenticate with the API token alone (version, permissions); store a given secret.

    Without ``token_value`` the stored secret is checked. With one (an existing token),
    it is checked first and stored the moment it works.
    """

    Args = TokenArgs
    Output = VerifyOutput
    secret_args = frozenset({"token_value"})
    summary = "verify a Proxmox VE API token with the token alone"

    def check(self, args: TokenArgs, ctx: StepContext) -> Plan:
        """Ask PVE who the token is and what it may do; compare with the store."""
        warn_insecure(args, ctx, args.where)
        secret_name = instance_names(args.instance).token_secret
        full_id = args.full_id
        value = token_value(args, ctx)
        outputs: dict[str, Any] = {"user": args.user, "token_name": args.token_id}
        outputs |= {"full_id": full_id, "version": "", "privileges": 0}
        stores: dict[str, str | None] = {}
        if args.token_value is not None and ctx.stored(secret_name) != args.token_value:
            stores[secret_name] = args.token_value
        store_note = f"; it will be stored as {secret_name}" if stores else ""
        if value is None:
            if secret_name in ctx.pending:  # check mode: an earlier step creates the token
                return Plan(False, f"{full_id}: not verified (a real run creates it)", outputs)
            raise StepFailed(f"{secret_name} is not in the store: there is no token to verify")
        if not ctx.verify:
            message = f"{full_id}: not verified (--no-verify){store_note}"
            return Plan(bool(stores), message, outputs, stores)
        hint = (
            ""
            if args.token_value
            else f" (the stored {secret_name} is stale: `glassdome rotate proxmox` replaces it)"
        )
        found = check_token(args, args.token_id, value, if_401=hint)
        version, privileges, paths = found.version, found.privileges, found.paths
        outputs |= {"version": str(version), "privileges": privileges}
        life = read_life(args, args.token_id, value)
        return Plan(
            bool(stores),
            f"{full_id} works with the token alone: PVE {version}, {privileges} privileges "
            f"on {paths} path{'s' if paths != 1 else ''}; {life.said}{store_note}",
            outputs,
            stores,
            data=life,
        )

    def apply(self, args: TokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the secret that was just verified, with the expiry PVE told (if it did)."""
        life = plan.data if isinstance(plan.data, TokenLife) else TokenLife(readable=False)
        for name, value in plan.stores.items():
            if value is not None:
                ctx.store(name, value, token_meta(args, args.full_id, life.expires))
        return dict(plan.outputs)
