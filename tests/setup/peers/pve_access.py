"""The test Proxmox VE server's access control: API tokens, ACLs and permissions.

``/access/users/USER/token[/TOKENID]`` (list, create, read, update, delete),
``/access/acl`` (list, grant to tokens) and ``/access/permissions``, each checked
against what the caller may do, with PVE's messages and status codes.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.setup.peers.pve_state import ApiError, Principal, PveState, Token


def list_tokens(state: PveState, who: Principal, userid: str) -> list[dict[str, Any]]:
    """``GET /access/users/USER/token``."""
    _may_manage_tokens(state, who, userid)
    return [
        {"tokenid": t, "privsep": tok.privsep, "comment": tok.comment, "expire": tok.expire}
        for (u, t), tok in sorted(state.tokens.items())
        if u == userid
    ]


def _may_manage_tokens(state: PveState, who: Principal, userid: str) -> None:
    if who.tokenid is not None:
        raise ApiError(403, "Permission check failed (user != token)")
    if who.userid != userid and "User.Modify" not in state.privileges(who, "/access"):
        raise ApiError(403, f"Permission check failed (/access/users/{userid}, User.Modify)")
    if userid not in state.users:
        raise ApiError(500, f"no such user ('{userid}')")


def token(
    state: PveState,
    who: Principal,
    method: str,
    userid: str,
    tokenid: str,
    params: dict[str, str],
) -> Any:
    """``/access/users/USER/token/TOKENID``: create, read, update or delete one token.

    ``expire`` (epoch seconds, 0 for never) is taken on create and update and returned
    as PVE does. A token may read a token (itself included) only with User.Modify.
    """
    if method == "GET" and who.tokenid is not None:
        _may_read_as_token(state, who, userid)
    else:
        _may_manage_tokens(state, who, userid)
    key = (userid, tokenid)
    token = state.tokens.get(key)
    if method == "POST":
        if token is not None:
            raise ApiError(500, "Token already exists.")
        privsep = params.get("privsep", "1")
        if privsep not in ("0", "1"):
            raise ApiError(400, "Parameter verification failed.", {"privsep": "invalid"})
        expire = _expire(params, 0)
        value = str(uuid.uuid4())
        state.tokens[key] = Token(value, int(privsep), params.get("comment", ""), expire)
        info = {"privsep": int(privsep), "comment": params.get("comment", ""), "expire": expire}
        return {"full-tokenid": f"{userid}!{tokenid}", "info": info, "value": value}
    if token is None:
        raise ApiError(500, f"no such token '{tokenid}' for user '{userid}'")
    if method == "GET":
        return {"privsep": token.privsep, "comment": token.comment, "expire": token.expire}
    if method == "PUT":
        if "privsep" in params:
            token.privsep = int(params["privsep"])
        token.comment = params.get("comment", token.comment)
        token.expire = _expire(params, token.expire)
        return {"privsep": token.privsep, "comment": token.comment, "expire": token.expire}
    if method == "DELETE":
        del state.tokens[key]
        full = f"{userid}!{tokenid}"
        state.acl = [e for e in state.acl if e["ugid"] != full]
        return None
    raise ApiError(501, f"Method '{method}' not implemented")


def _may_read_as_token(state: PveState, who: Principal, userid: str) -> None:
    # PVE checks ['userid-group', ['User.Modify']] for a token: 'self' is the user only.
    if "User.Modify" not in state.privileges(who, "/access"):
        raise ApiError(403, f"Permission check failed (/access/users/{userid}, User.Modify)")
    if userid not in state.users:
        raise ApiError(500, f"no such user ('{userid}')")


def _expire(params: dict[str, str], default: int) -> int:
    """The ``expire`` parameter: epoch seconds, 0 for never (PVE's integer, minimum 0)."""
    raw = params.get("expire")
    if raw is None:
        return default
    if not raw.isdigit():
        raise ApiError(
            400,
            "Parameter verification failed.",
            {"expire": f"type check ('integer') failed - got '{raw}'"},
        )
    return int(raw)


def list_acl(state: PveState, who: Principal) -> list[dict[str, Any]]:
    """``GET /access/acl``: the entries on paths where *who* may modify permissions."""
    return [
        entry for entry in state.acl if "Permissions.Modify" in state.privileges(who, entry["path"])
    ]


def put_acl(state: PveState, who: Principal, params: dict[str, str]) -> None:
    """``PUT /access/acl``: grant roles on a path to tokens."""
    path = params.get("path", "")
    roles = [r for r in params.get("roles", "").split(",") if r]
    if not path or not roles:
        errors = dict.fromkeys(("path", "roles"), "property is missing and it is not optional")
        raise ApiError(400, "Parameter verification failed.", errors)
    if "Permissions.Modify" not in state.privileges(who, path):
        raise ApiError(403, f"Permission check failed ({path}, Permissions.Modify)")
    for role in roles:
        if role not in state.roles:
            raise ApiError(500, f"role '{role}' does not exist")
    for full in [t for t in params.get("tokens", "").split(",") if t]:
        userid, _, tokenid = full.partition("!")
        if (userid, tokenid) not in state.tokens:
            raise ApiError(500, f"no such token '{tokenid}' for user '{userid}'")
        for role in roles:
            entry = {"path": path, "roleid": role, "type": "token", "ugid": full}
            state.acl = [e for e in state.acl if {**e, "propagate": 0} != {**entry, "propagate": 0}]
            state.acl.append({**entry, "propagate": int(params.get("propagate", "1"))})


def permissions(state: PveState, who: Principal) -> dict[str, dict[str, int]]:
    """``GET /access/permissions``: what *who* may do, by path."""
    paths = {"/", *(entry["path"] for entry in state.acl)}
    found: dict[str, dict[str, int]] = {}
    for path in sorted(paths):
        privileges = state.privileges(who, path)
        if privileges:
            found[path] = dict.fromkeys(sorted(privileges), 1)
    return found
