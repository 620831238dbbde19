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

ALL_PRIVILEGES = frozenset(
    {
        "Datastore.Allocate",
        "Datastore.AllocateSpace",
        "Datastore.Audit",
        "Permissions.Modify",
        "Sys.Audit",
        "Sys.Modify",
        "User.Modify",
        "VM.Allocate",
        "VM.Audit",
        "VM.Clone",
        "VM.Config.Disk",
        "VM.Console",
        "VM.PowerMgmt",
        "VM.Snapshot",
    }
)
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
            return ALL_PRIVILEGES
        found: set[str] = set()
        for entry in self.acl:
            if entry["ugid"] != ugid or entry["type"] != kind:
                continue
            here = entry["path"]
            inside = path == here or (entry["propagate"] and _below(path, here))
            if inside:
                found |= ROLES.get(entry["roleid"], frozenset())
        return frozenset(found)


def _below(path: str, parent: str) -> bool:
    return parent == "/" or path.startswith(parent.rstrip("/") + "/")
