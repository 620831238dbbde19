"""Proxmox VE setup steps: create an API token, verify it, list the nodes, save the settings.

``proxmox.api_token`` logs in with a password and makes sure the token exists,
its secret is stored (the moment PVE returns it) and its ACL is granted;
``proxmox.verify_token`` and ``proxmox.nodes`` use the token alone;
``proxmox.settings`` writes ``PROXMOX_[NN_]*`` to ``.env``. Every ``check``
only reads, so check mode and a second run that changes nothing fall out.
How requests are trusted and errors worded: `glassdome.steps.proxmox_api`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from glassdome.errors import GlassdomeError
from glassdome.primitives.envfile import read_values
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType
from glassdome.steps.config import ConfigSet, ConfigSetArgs
from glassdome.steps.proxmox_api import Endpoint, call, failure, login, token_api
from glassdome.steps.tls import colon_hex, warn_insecure

__all__ = ["STEP_TYPES", "ApiToken", "Nodes", "SaveSettings", "VerifyToken", "instance_names"]

_TOKEN_NAME = r"[A-Za-z][A-Za-z0-9._-]*"  # noqa: S105 - a pattern, not a secret
_INSTANCE = r"(0[2-9]|[1-9][0-9])?"
# A Proxmox VE node name is its host name: one DNS label (letters, digits, inner hyphens).
_NODE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


@dataclass(frozen=True, slots=True)
class InstanceNames:
    """Where one Proxmox instance's values live: store names and the ``.env`` prefix."""

    token_secret: str
    password_secret: str
    env_prefix: str


def instance_names(instance: str) -> InstanceNames:
    """``""``: proxmox_token_value, PROXMOX_*; ``"02"``: proxmox_token_value_02, PROXMOX_02_*."""
    suffix = f"_{instance}" if instance else ""
    return InstanceNames(
        f"proxmox_token_value{suffix}",
        f"proxmox_password{suffix}",
        f"PROXMOX_{instance}_" if instance else "PROXMOX_",
    )


class _Endpoint(Endpoint):
    """The server, how to trust it, and which instance (``''``, ``02``, ...) the values are for."""

    instance: str = Field("", pattern=f"^{_INSTANCE}$", description="'' or 02, 03, ...")


class _TokenId(_Endpoint):
    """A token id: ``NAME``, or ``USER@REALM!NAME``, which also sets ``user``."""

    token_id: str = Field("glassdome", pattern=f"^{_TOKEN_NAME}$")

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
    role: str = Field("PVEVMAdmin", min_length=1)
    acl_path: str = Field("/", pattern=r"^/.*$")
    rotate: bool = Field(False, description="delete and recreate the token if it exists")
    store_password: bool = False
    comment: str = "glassdome"

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


class ApiToken(StepType[ApiTokenArgs]):
    """Log in with a password; make sure the API token exists, its secret is stored, its ACL set.

    The ACL (role on a path) is granted only with privilege separation. A token that
    exists while its secret is not in the store cannot be recovered (PVE shows a secret
    once): that fails with what to do, unless ``rotate`` recreates it.
    """

    name = "proxmox.api_token"
    Args = ApiTokenArgs
    Output = TokenOutput
    secret_args = frozenset({"password", "otp"})
    summary = "create a Proxmox VE API token and store its secret"

    def __init__(self) -> None:
        self._api: Any = None
        self._todo: list[str] = []

    def check(self, args: ApiTokenArgs, ctx: StepContext) -> Plan:
        """Log in, read the version, the token, its ACL and the store; change nothing."""
        warn_insecure(args, ctx, args.where)
        names = instance_names(args.instance)
        full_id = args.full_id
        api = self._api = login(args, args.password, args.otp)
        version = call(args, "read the version", api.version.get)["version"]
        tokens = call(args, "list the user's tokens", api.access.users(args.user).token.get)
        existing = next((t for t in tokens or [] if t.get("tokenid") == args.token_id), None)
        secrets = ctx.secrets()
        todo: list[str] = []
        if existing is None:
            todo = ["create"]
        elif args.rotate:
            todo = ["delete", "create"]
        elif secrets.get_secret(names.token_secret) is None:
            raise StepFailed(
                f"the token {full_id} exists on {args.host} but its secret is not in the store "
                f"as {names.token_secret} (Proxmox VE shows a secret only once): rerun with "
                "rotate=true to delete and recreate it, or use mode=existing with the secret "
                "you kept"
            )
        elif bool(int(existing.get("privsep", 1))) != args.privsep:
            todo = ["privsep"]
        if args.privsep and ("create" in todo or not self._has_acl(args, full_id)):
            todo.append("acl")
        if args.store_password and secrets.get_secret(names.password_secret) != args.password:
            todo.insert(0, "password")
        self._todo = todo
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
            "delete": "delete the token (rotate)",
            "create": f"create the token and store its secret as {names.token_secret}",
            "privsep": f"set privilege separation {'on' if args.privsep else 'off'}",
            "acl": f"grant {args.role} on {args.acl_path}",
        }
        return Plan(True, f"PVE {version}: {full_id}: " + ", ".join(said[t] for t in todo), outputs)

    def _has_acl(self, args: ApiTokenArgs, full_id: str) -> bool:
        entries = call(args, "read the ACL", self._api.access.acl.get) or []
        return any(
            e.get("type") == "token"
            and e.get("ugid") == full_id
            and e.get("path") == args.acl_path
            and e.get("roleid") == args.role
            for e in entries
        )

    def apply(self, args: ApiTokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Make the changes in order; the new secret is stored the moment PVE returns it."""
        names = instance_names(args.instance)
        full_id = args.full_id
        api = self._api if self._api is not None else login(args, args.password, args.otp)
        token = api.access.users(args.user).token(args.token_id)
        secrets = ctx.secrets()
        if "password" in self._todo:
            secrets.set_secret(names.password_secret, args.password)  # the login just worked
        if "delete" in self._todo:
            call(args, f"delete the token {full_id}", token.delete)
        if "create" in self._todo:
            created = call(
                args,
                f"create the token {full_id}",
                token.post,
                privsep=int(args.privsep),
                comment=args.comment,
            )
            value = str((created or {}).get("value") or "")
            if not value:
                raise StepFailed(f"{args.where}: PVE created {full_id} but returned no secret")
            ctx.register_secret(value)
            try:
                # A new token replaces any stored secret of the old one on purpose: read it
                # first, so a check-and-set store (vault) writes on the version read.
                secrets.get_secret(names.token_secret)
                secrets.set_secret(names.token_secret, value)
            except GlassdomeError as exc:
                # A token whose secret is lost is useless: take it away again.
                call(args, f"delete the token {full_id}", token.delete)
                raise StepFailed(
                    f"the token's secret could not be stored ({exc}); the token was deleted again"
                ) from None
        if "privsep" in self._todo:
            call(args, f"update the token {full_id}", token.put, privsep=int(args.privsep))
        if "acl" in self._todo:
            call(
                args,
                f"grant {args.role} on {args.acl_path} to {full_id}",
                api.access.acl.put,
                path=args.acl_path,
                roles=args.role,
                tokens=full_id,
                propagate=1,
            )
        return dict(plan.outputs)


# --- proxmox.verify_token and proxmox.nodes ------------------------------------------------


class TokenArgs(_TokenId):
    token_value: str | None = Field(None, description="default: the stored secret")

    @field_validator("token_value", mode="before")
    @classmethod
    def _no_value(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def _token_value(args: TokenArgs, ctx: StepContext) -> str | None:
    return args.token_value or ctx.secrets().get_secret(instance_names(args.instance).token_secret)


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

    name = "proxmox.verify_token"
    Args = TokenArgs
    Output = VerifyOutput
    secret_args = frozenset({"token_value"})
    summary = "verify a Proxmox VE API token with the token alone"

    def check(self, args: TokenArgs, ctx: StepContext) -> Plan:
        """Ask PVE who the token is and what it may do; compare with the store."""
        warn_insecure(args, ctx, args.where)
        secret_name = instance_names(args.instance).token_secret
        full_id = args.full_id
        value = _token_value(args, ctx)
        outputs: dict[str, Any] = {"user": args.user, "token_name": args.token_id}
        outputs |= {"full_id": full_id, "version": "", "privileges": 0}
        to_store = args.token_value is not None and (
            ctx.secrets().get_secret(secret_name) != args.token_value
        )
        store_note = f"; it will be stored as {secret_name}" if to_store else ""
        if value is None:
            if ctx.check_mode:
                return Plan(False, f"{full_id}: no secret stored yet (check mode)", outputs)
            raise StepFailed(f"{secret_name} is not in the store: there is no token to verify")
        if not ctx.verify:
            return Plan(to_store, f"{full_id}: not verified (--no-verify){store_note}", outputs)
        api = token_api(args, args.token_id, value)
        hint = (
            ""
            if args.token_value
            else f" (the stored {secret_name} is stale: rerun with rotate=true)"
        )
        try:
            version = api.version.get()["version"]
            permissions = api.access.permissions.get() or {}
        except Exception as exc:  # noqa: BLE001 - requests, urllib3 and proxmoxer errors alike
            raise failure(args, f"the token {full_id}", exc, if_401=hint) from None
        privileges = sum(len(privs) for privs in permissions.values() if isinstance(privs, dict))
        if not privileges:
            raise StepFailed(
                f"{args.where}: the token {full_id} works but holds no privileges; grant it a "
                f"role, e.g. pveum acl modify / --roles PVEVMAdmin --tokens '{full_id}'"
            )
        outputs |= {"version": str(version), "privileges": privileges}
        return Plan(
            to_store,
            f"{full_id} works with the token alone: PVE {version}, {privileges} privileges "
            f"on {len(permissions)} path{'s' if len(permissions) != 1 else ''}{store_note}",
            outputs,
        )

    def apply(self, args: TokenArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the secret that was just verified."""
        if args.token_value is not None:
            ctx.secrets().set_secret(instance_names(args.instance).token_secret, args.token_value)
        return dict(plan.outputs)


class NodesOutput(BaseModel):
    pending: bool = Field(description="check mode before the token exists: nothing to list yet")
    names: list[str] = Field(description="the online nodes, sorted ([] when not listed)")
    only: str = Field(description="the node when there is exactly one, else ''")
    templates: list[str] = Field(description="VM templates as 'NODE/VMID NAME'")


class Nodes(StepType[TokenArgs]):
    """List the online nodes and their VM templates with the API token (read-only)."""

    name = "proxmox.nodes"
    Args = TokenArgs
    Output = NodesOutput
    secret_args = frozenset({"token_value"})
    summary = "list Proxmox VE nodes and VM templates"

    def check(self, args: TokenArgs, ctx: StepContext) -> Plan:
        """GET /nodes, then /nodes/NODE/qemu for each online node; changes nothing."""
        value = _token_value(args, ctx)
        if value is None or not ctx.verify:
            why = "--no-verify" if value is not None else "no token secret stored yet"
            empty = {"pending": value is None, "names": [], "only": "", "templates": []}
            return Plan(False, f"nodes not listed ({why})", empty)
        api = token_api(args, args.token_id, value)
        nodes = call(args, "list the nodes", api.nodes.get) or []
        online = sorted(n["node"] for n in nodes if n.get("status") == "online" and "node" in n)
        invalid = [node for node in online if not re.fullmatch(_NODE_NAME, str(node))]
        if invalid:
            # A name from the server goes into URLs and, through proxmox.settings, into .env.
            raise StepFailed(
                f"{args.where}: the server lists a node named {str(invalid[0])!r}, which is "
                "not a valid Proxmox VE node name (letters, digits and inner hyphens)"
            )
        if not online:
            raise StepFailed(f"{args.where}: no online node is visible to the token")
        templates: list[str] = []
        described: list[str] = []
        for node in online:
            vms = call(args, f"list the VMs on {node}", api.nodes(node).qemu.get) or []
            found = sorted(
                (int(vm["vmid"]), str(vm.get("name", ""))) for vm in vms if _is_template(vm)
            )
            templates += [f"{node}/{vmid} {name}".rstrip() for vmid, name in found]
            shown = ", ".join(f"{vmid} {name}".rstrip() for vmid, name in found) or "none"
            described.append(f"{node} (VM templates: {shown})")
        outputs = {
            "pending": False,
            "names": online,
            "only": online[0] if len(online) == 1 else "",
            "templates": templates,
        }
        return Plan(False, "; ".join(described), outputs)


def _is_template(vm: dict[str, Any]) -> bool:
    return str(vm.get("template", 0)) in ("1", "True", "true") and "vmid" in vm


# --- proxmox.settings ----------------------------------------------------------------------


class SettingsArgs(_Endpoint):
    token_name: str = Field(pattern=f"^{_TOKEN_NAME}$")
    node: str = Field(
        "", pattern=f"^(?:{_NODE_NAME})?$", description="'' leaves PROXMOX_NODE as it is"
    )


class SaveSettings(StepType[SettingsArgs]):
    """Write PROXMOX_[NN_]HOST, PORT, USER, TOKEN_NAME, NODE and the TLS choice to ``.env``.

    Uses `config.set`, so every other line of the file stays as it was. A CA file or
    fingerprint left from an earlier TLS choice is emptied (an empty value is unset).
    """

    name = "proxmox.settings"
    Args = SettingsArgs
    summary = "write the Proxmox VE settings to .env"

    def _values(self, args: SettingsArgs, ctx: StepContext) -> ConfigSetArgs:
        prefix = instance_names(args.instance).env_prefix
        values = {
            "HOST": args.host,
            "PORT": str(args.port),
            "USER": args.user,
            "TOKEN_NAME": args.token_name,
            "VERIFY_SSL": "false" if args.tls == "insecure" else "true",
        }
        if args.node:
            values["NODE"] = args.node
        if args.tls == "ca" and args.ca_file:
            values["CA_FILE"] = str(Path(args.ca_file).expanduser().resolve())
        if args.tls == "fingerprint" and args.fingerprint:
            values["TLS_FINGERPRINT"] = colon_hex(args.fingerprint)
        current = read_values(ctx.env_file) if ctx.env_file.exists() else {}
        for stale in ("CA_FILE", "TLS_FINGERPRINT"):
            if stale not in values and current.get(prefix + stale):
                values[stale] = ""
        return ConfigSetArgs(
            values={prefix + key: value for key, value in values.items()}, file=None
        )

    def check(self, args: SettingsArgs, ctx: StepContext) -> Plan:
        """Compare with the ``.env`` file."""
        return ConfigSet().check(self._values(args, ctx), ctx)

    def apply(self, args: SettingsArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Edit ``.env`` in place, atomically."""
        return ConfigSet().apply(self._values(args, ctx), ctx, plan)


STEP_TYPES: tuple[type[StepType[Any]], ...] = (ApiToken, VerifyToken, Nodes, SaveSettings)
