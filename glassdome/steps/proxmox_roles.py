"""The role a Proxmox VE API token is granted: presets for Terraform and Packer, made idempotently.

The wizard's ``role`` is a role name, or a preset: ``terraform-bpg`` and
``terraform-telmate`` make the role ``GlassdomeTerraform``, ``packer`` makes
``GlassdomePacker``, each with the privileges its tool documents, fitted to the
server's version (`privileges_for`): a privilege that version lacks is never asked
for (PVE 9 removed ``VM.Monitor``; guest-agent access became ``VM.GuestAgent.*``).
`read_role` reads the role (``GET /access/roles/{roleid}``) and compares;
`apply_role` creates it (``POST /access/roles``) or sets its privileges
(``PUT /access/roles/{roleid}``). Whether the token already holds the role on the
path: `has_acl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassdome.steps.base import StepFailed
from glassdome.steps.proxmox_api import call, failure

if TYPE_CHECKING:
    from glassdome.steps.proxmox_api import Endpoint

__all__ = [
    "PRESETS",
    "Preset",
    "RoleChange",
    "apply_role",
    "has_acl",
    "privileges_for",
    "read_role",
    "role_id",
]

_VM_CONFIG = tuple(
    f"VM.Config.{part}"
    for part in ("CDROM", "Cloudinit", "CPU", "Disk", "HWType", "Memory", "Network", "Options")
)


@dataclass(frozen=True, slots=True)
class Preset:
    """A role made for a tool: its id and the privileges its documentation lists."""

    role_id: str
    privileges: frozenset[str]


PRESETS: dict[str, Preset] = {
    # bpg/terraform-provider-proxmox, docs/index.md, "API Token Authentication" (the
    # `pveum role add Terraform -privs ...` line, as of commit 01a8f9779c87).
    "terraform-bpg": Preset(
        "GlassdomeTerraform",
        frozenset(
            {
                *("Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate"),
                *("Datastore.Audit", "Pool.Allocate", "SDN.Use", "User.Modify"),
                *("Sys.Audit", "Sys.Console", "Sys.Modify"),
                *("VM.Allocate", "VM.Audit", "VM.Clone", *_VM_CONFIG),
                *("VM.Migrate", "VM.Monitor", "VM.PowerMgmt"),
            }
        ),
    ),
    # Telmate/terraform-provider-proxmox, docs/index.md, "Creating the Proxmox user and
    # role for terraform" (`pveum role add TerraformProv -privs ...`, commit 049917e7fee8;
    # its "Proxmox < 8" variant is the same without SDN.Use).
    "terraform-telmate": Preset(
        "GlassdomeTerraform",
        frozenset(
            {
                *("Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"),
                *("Pool.Allocate", "SDN.Use", "Sys.Audit", "Sys.Console", "Sys.Modify"),
                *("VM.Allocate", "VM.Audit", "VM.Clone", *_VM_CONFIG),
                *("VM.Migrate", "VM.Monitor", "VM.PowerMgmt"),
            }
        ),
    ),
    # hashicorp/packer-plugin-proxmox documents no privilege list (its issue #184 asks for
    # one); this is the list trfore/packer-proxmox-templates' README gives (quoted in its
    # issue #22). Sys.Modify: keystrokes for boot commands (hashicorp/packer#7856).
    "packer": Preset(
        "GlassdomePacker",
        frozenset(
            {
                *("Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"),
                *("SDN.Use", "Sys.Audit", "Sys.Modify"),
                *("VM.Allocate", "VM.Audit", "VM.Clone", *_VM_CONFIG),
                *("VM.Console", "VM.Monitor", "VM.PowerMgmt"),
            }
        ),
    ),
}

# The privileges of the lists above that not every version has. PVE 9.0 (its roadmap:
# "Drop the VM.Monitor privilege and instead require the Sys.Audit privilege for basic
# access to the KVM monitor"; guest-agent commands got VM.GuestAgent.*): the tools read
# a VM's addresses through the guest agent, which is VM.GuestAgent.Audit there. (bpg's
# newer docs list every PVE 9 privilege, user and permission management included, as
# "likely too permissive"; the role keeps to the PVE 8 list's powers instead.)
_ADDED_IN = {"SDN.Use": 8, "VM.GuestAgent.Audit": 9}
_REMOVED_IN = {"VM.Monitor": 9}
_FOR_VERSION = {9: frozenset({"VM.GuestAgent.Audit"})}  # added where the major is at least


def pve_major(version: str) -> int:
    """``8`` for ``"8.2.4"``; `StepFailed` for an answer that is not a PVE version."""
    head = version.strip().split(".", 1)[0]
    if not head.isdigit():
        raise StepFailed(f"Proxmox VE answered version {version!r}, which glassdome cannot read")
    return int(head)


def privileges_for(preset: Preset, version: str) -> frozenset[str]:
    """*preset*'s privileges that a server of *version* has (and its replacements there)."""
    major = pve_major(version)
    extra = {p for since, privs in _FOR_VERSION.items() if major >= since for p in privs}
    return frozenset(
        p
        for p in preset.privileges | extra
        if _ADDED_IN.get(p, 0) <= major < _REMOVED_IN.get(p, 10_000)
    )


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A preset role as it should be, and as the server has it (None: it does not exist)."""

    role_id: str
    wanted: frozenset[str]
    current: frozenset[str] | None

    @property
    def added(self) -> list[str]:
        """Privileges the role lacks."""
        return sorted(self.wanted - (self.current or frozenset()))

    @property
    def removed(self) -> list[str]:
        """Privileges the role has beyond the preset."""
        return sorted((self.current or frozenset()) - self.wanted)

    @property
    def needed(self) -> bool:
        """Whether the role must be created or updated."""
        return self.current != self.wanted

    @property
    def said(self) -> str:
        """What `apply_role` would do, naming each privilege added or removed."""
        if self.current is None:
            return f"create the role {self.role_id} ({', '.join(self.added)})"
        changes = [f"+{p}" for p in self.added] + [f"-{p}" for p in self.removed]
        return f"update the role {self.role_id} ({', '.join(changes)})"


def role_id(role: str) -> str:
    """The role granted for the answer *role*: a preset's role id, or *role* itself."""
    preset = PRESETS.get(role)
    return preset.role_id if preset else role


def read_role(api: Any, args: Endpoint, role: str, version: str) -> RoleChange | None:
    """For a preset, read its role and compare it with what *version* should have; else None."""
    from proxmoxer.core import ResourceException

    preset = PRESETS.get(role)
    if preset is None:
        return None
    wanted = privileges_for(preset, version)
    try:
        found = api.access.roles(preset.role_id).get()
    except ResourceException as exc:
        # PVE answers a role it does not know with 500 "role 'ID' does not exist".
        if exc.status_code == 500 and "does not exist" in str(exc.content):
            return RoleChange(preset.role_id, wanted, None)
        raise failure(args, f"read the role {preset.role_id}", exc) from None
    except Exception as exc:  # noqa: BLE001 - requests, urllib3 and proxmoxer errors alike
        raise failure(args, f"read the role {preset.role_id}", exc) from None
    return RoleChange(preset.role_id, wanted, _privileges(found))


def _privileges(found: Any) -> frozenset[str]:
    """``{"VM.Audit": 1, ...}`` (what PVE returns) or ``"VM.Audit,..."`` as a set."""
    if isinstance(found, dict):
        return frozenset(str(name) for name, on in found.items() if on)
    if isinstance(found, str):
        return frozenset(p for p in found.replace(" ", ",").split(",") if p)
    return frozenset()


def apply_role(api: Any, args: Endpoint, change: RoleChange) -> None:
    """Create the role, or set its privileges to exactly the preset's."""
    privs = ",".join(sorted(change.wanted))
    if change.current is None:
        post = api.access.roles.post
        call(args, f"create the role {change.role_id}", post, roleid=change.role_id, privs=privs)
    else:
        put = api.access.roles(change.role_id).put
        call(args, f"update the role {change.role_id}", put, privs=privs)


def has_acl(api: Any, args: Endpoint, full_id: str, path: str, role: str) -> bool:
    """Whether the token *full_id* is granted *role* on *path* (``GET /access/acl``)."""
    entries = call(args, "read the ACL", api.access.acl.get) or []
    return any(
        e.get("type") == "token"
        and e.get("ugid") == full_id
        and e.get("path") == path
        and e.get("roleid") == role
        for e in entries
    )
