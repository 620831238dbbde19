"""The test Proxmox VE server's roles: ``/access/roles`` and ``/access/roles/{roleid}``.

As the PVE API documents them (api-viewer, access/roles): the list gives each role's
``privs`` as one comma-separated string; reading one role gives its privileges as an
object (``{"VM.Audit": 1, ...}``); creating (POST, ``roleid`` and ``privs``) and updating
(PUT, ``privs`` replacing the set, or added to it with ``append``) need Sys.Modify on
``/access``; ``privs`` is a list separated by commas, spaces or semicolons, and a
privilege the server's version does not know is a parameter error. A missing role is
PVE's 500 "role 'ID' does not exist"; built-in roles cannot be changed.
"""

from __future__ import annotations

import re
from typing import Any

from tests.setup.peers.pve_state import ROLES, ApiError, Principal, PveState, known_privileges

_ROLEID = re.compile(r"^[A-Za-z0-9.\-_]+$")


def route(
    state: PveState, who: Principal, method: str, rest: list[str], params: dict[str, str]
) -> Any:
    """``/access/roles`` (*rest* empty) or ``/access/roles/{roleid}`` (*rest* the id)."""
    match rest, method:
        case [], "GET":
            return list_roles(state)
        case [], "POST":
            return write_role(state, who, method, None, params)
        case [roleid], "GET":
            return read_role(state, roleid)
        case [roleid], "PUT":
            return write_role(state, who, method, roleid, params)
    raise ApiError(501, f"Method '{method} /access/roles/{'/'.join(rest)}' not implemented")


def list_roles(state: PveState) -> list[dict[str, Any]]:
    """``GET /access/roles``."""
    return [
        {"roleid": roleid, "privs": ",".join(sorted(privs)), "special": int(roleid in ROLES)}
        for roleid, privs in sorted(state.roles.items())
    ]


def read_role(state: PveState, roleid: str) -> dict[str, int]:
    """``GET /access/roles/{roleid}``: any authenticated caller may read a role."""
    privs = state.roles.get(roleid)
    if privs is None:
        raise ApiError(500, f"role '{roleid}' does not exist")
    return dict.fromkeys(sorted(privs), 1)


def write_role(
    state: PveState, who: Principal, method: str, roleid: str | None, params: dict[str, str]
) -> None:
    """``POST /access/roles`` (create) or ``PUT /access/roles/{roleid}`` (update)."""
    if "Sys.Modify" not in state.privileges(who, "/access"):
        raise ApiError(403, "Permission check failed (/access, Sys.Modify)")
    if method == "POST":
        roleid = params.get("roleid", "")
        if not _ROLEID.match(roleid):
            raise ApiError(400, "Parameter verification failed.", {"roleid": "invalid format"})
    assert roleid is not None
    if method == "PUT" and "privs" not in params:
        errors = {"privs": "property is missing and it is not optional"}
        raise ApiError(400, "Parameter verification failed.", errors)
    privs = _privs(state, params.get("privs", ""))
    if method == "POST":
        if roleid in state.roles:
            raise ApiError(500, f"role '{roleid}' already exists")
        state.roles[roleid] = privs
        return
    if roleid in ROLES:
        raise ApiError(500, f"cannot modify built-in role '{roleid}'")
    if roleid not in state.roles:
        raise ApiError(500, f"role '{roleid}' does not exist")
    append = params.get("append", "0") in ("1", "true")
    state.roles[roleid] = (state.roles[roleid] | privs) if append else privs


def _privs(state: PveState, raw: str) -> frozenset[str]:
    """A ``pve-priv-list``: every name must be a privilege this version knows."""
    names = [p for p in re.split(r"[,;\s]+", raw) if p]
    known = known_privileges(state.version)
    for name in names:
        if name not in known:
            errors = {"privs": f"invalid format - invalid privilege '{name}'"}
            raise ApiError(400, "Parameter verification failed.", errors)
    return frozenset(names)
