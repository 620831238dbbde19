"""What the Proxmox VE wizard writes to ``.env``: the nodes to pick from, and the settings.

``proxmox.nodes`` lists the online nodes and VM templates with the API token
alone (read-only); ``proxmox.settings`` writes ``PROXMOX_[NN_]*`` to ``.env``
through `config.set`, so every other line stays as it was.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from glassdome.primitives.envfile import read_values
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType
from glassdome.steps.config import ConfigSet, ConfigSetArgs
from glassdome.steps.proxmox_api import (
    TOKEN_NAME_RULE,
    InstanceEndpoint,
    call,
    instance_names,
    token_api,
)
from glassdome.steps.proxmox_token import TokenArgs, token_value
from glassdome.steps.tls import colon_hex

__all__ = ["Nodes", "SaveSettings", "SettingsArgs"]

# A Proxmox VE node name is its host name: one DNS label (letters, digits, inner hyphens).
_NODE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


# --- proxmox.nodes -------------------------------------------------------------------------


class NodesOutput(BaseModel):
    pending: bool = Field(description="check mode before the token exists: nothing to list yet")
    names: list[str] = Field(description="the online nodes, sorted ([] when not listed)")
    only: str = Field(description="the node when there is exactly one, else ''")
    templates: list[str] = Field(description="VM templates as 'NODE/VMID NAME'")


class Nodes(StepType[TokenArgs]):
    """List the online nodes and their VM templates with the API token (read-only)."""

    Args = TokenArgs
    Output = NodesOutput
    secret_args = frozenset({"token_value"})
    summary = "list Proxmox VE nodes and VM templates"

    def check(self, args: TokenArgs, ctx: StepContext) -> Plan:
        """GET /nodes, then /nodes/NODE/qemu for each online node; changes nothing."""
        value = token_value(args, ctx)
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


class SettingsArgs(InstanceEndpoint):
    """The server, its trust, the token's name and the node, as ``.env`` will hold them."""

    token_name: str = Field(pattern=f"^{TOKEN_NAME_RULE}$")
    node: str = Field(
        "", pattern=f"^(?:{_NODE_NAME})?$", description="'' leaves PROXMOX_NODE as it is"
    )


class SaveSettings(StepType[SettingsArgs]):
    """Write PROXMOX_[NN_]HOST, PORT, USER, TOKEN_NAME, NODE and the TLS choice to ``.env``.

    Uses `config.set`, so every other line of the file stays as it was. A CA file or
    fingerprint left from an earlier TLS choice is emptied (an empty value is unset).
    """

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
