"""What the test Proxmox VE server knows: users, API tokens, ACLs, nodes and VMs.

Privileges follow PVE's rules as far as the wizard needs them: root@pam may do
everything; anyone else what the ACL grants on a path (propagating to the paths
below it), and a token with privilege separation only what both it and its user
are granted. `ApiError` is an error answer of any API area.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# Every privilege PVE 8 knows (pveum(1), "Privileges"; `pveum role list` of Administrator).
PRIVILEGES_8 = frozenset(
    {
        *("Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate"),
        *("Datastore.Audit", "Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use"),
        *("Permissions.Modify", "Pool.Allocate", "Pool.Audit", "Realm.Allocate"),
        *("Realm.AllocateUser", "SDN.Allocate", "SDN.Audit", "SDN.Use", "Sys.AccessNetwork"),
        *("Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt"),
        *("Sys.Syslog", "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone"),
        *("VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk"),
        *("VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options"),
        *("VM.Console", "VM.Migrate", "VM.Monitor", "VM.PowerMgmt", "VM.Snapshot"),
        "VM.Snapshot.Rollback",
    }
)
# PVE 9.0 dropped VM.Monitor, split guest-agent access into VM.GuestAgent.*, added VM.Replicate.
PRIVILEGES_9 = (PRIVILEGES_8 - {"VM.Monitor"}) | {
    "VM.GuestAgent.Audit",
    "VM.GuestAgent.FileRead",
    "VM.GuestAgent.FileSystemMgmt",
    "VM.GuestAgent.FileWrite",
    "VM.GuestAgent.Unrestricted",
    "VM.Replicate",
}
ALL_PRIVILEGES = PRIVILEGES_8


def known_privileges(version: str) -> frozenset[str]:
    """Every privilege a server of *version* (``8.2.4``, ``9.0.3``) knows."""
    return PRIVILEGES_9 if int(version.split(".", 1)[0]) >= 9 else PRIVILEGES_8


ROLES = {
    "Administrator": ALL_PRIVILEGES,
    "PVEAuditor": frozenset({"Datastore.Audit", "Sys.Audit", "VM.Audit"}),
    "PVEVMAdmin": frozenset(
        {
            "VM.Allocate",
            "VM.Audit",
            "VM.Clone",
            "VM.Config.Disk",
            "VM.Console",
            "VM.PowerMgmt",
            "VM.Snapshot",
        }
    ),
}


class ApiError(Exception):
    """An error answer: PVE puts its message in the HTTP status line."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@dataclass
class User:
    password: str
    totp_secret: bytes | None = None


@dataclass
class Token:
    value: str
    privsep: int = 1
    comment: str = ""
    expire: int = 0


@dataclass(frozen=True)
class Principal:
    """Who a request authenticated as: a user (ticket) or a token."""

    userid: str
    tokenid: str | None = None
    privsep: bool = False

    @property
    def ugid(self) -> str:
        return f"{self.userid}!{self.tokenid}" if self.tokenid else self.userid


@dataclass
class PveState:
    """Everything the server knows; change it from tests before or between runs."""

    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[tuple[str, str], Token] = field(default_factory=dict)
    acl: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    vms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tickets: dict[str, tuple[str, str]] = field(default_factory=dict)
    challenges: dict[str, str] = field(default_factory=dict)
    version: str = "8.2.4"  # what GET /version answers; decides which privileges exist
    # Built-in roles (not to be changed) and any role made through /access/roles.
    roles: dict[str, frozenset[str]] = field(default_factory=lambda: dict(ROLES))
    # (METHOD, /api/path) -> the error the server answers instead (a platform failing mid-way).
    refusals: dict[tuple[str, str], ApiError] = field(default_factory=dict)

    def add_token(self, userid: str, tokenid: str, *, privsep: int = 1) -> str:
        """Create a token as ``pveum user token add`` would; return its secret."""
        value = str(uuid.uuid4())
        self.tokens[(userid, tokenid)] = Token(value, privsep)
        return value

    def privileges(self, who: Principal, path: str) -> frozenset[str]:
        """What *who* may do on *path*: root@pam everything, others by ACL (propagating)."""
        user = self._granted(who.userid, "user", path)
        if who.tokenid is None or not who.privsep:
            return user
        return user & self._granted(who.ugid, "token", path)

    def _granted(self, ugid: str, kind: str, path: str) -> frozenset[str]:
        if ugid == "root@pam":
            return known_privileges(self.version)
        found: set[str] = set()
        for entry in self.acl:
            if entry["ugid"] != ugid or entry["type"] != kind:
                continue
            here = entry["path"]
            inside = path == here or (entry["propagate"] and _below(path, here))
            if inside:
                found |= self.roles.get(entry["roleid"], frozenset())
        return frozenset(found)


def _below(path: str, parent: str) -> bool:
    return parent == "/" or path.startswith(parent.rstrip("/") + "/")
