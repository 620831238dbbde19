"""A small Proxmox VE API server on 127.0.0.1 for the wizard's tests.

It follows the PVE API documentation (pve.proxmox.com/pve-docs/api-viewer): the
``/api2/json`` prefix; ``POST /access/ticket`` with the two-step TOTP challenge
(``NeedTFA``, then ``tfa-challenge`` and ``password=totp:CODE``); the
``PVEAuthCookie`` cookie plus the ``CSRFPreventionToken`` header on writes; API
tokens as ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``; answers as
``{"data": ...}``; errors with PVE's message in the status line and
``{"data": null}`` (plus ``errors`` for parameter errors) as the body.

Users, tokens and ACLs live in memory, per server. Every request that reached
the HTTP layer is recorded (method, path, headers, body), so a test can prove
what was and was not sent. The certificate is made per run with trustme.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.https_peer import Certificate, HttpsPeer, HttpsServer

PREFIX = "/api2/json"
VERSION = {"version": "8.2.4", "release": "8.2", "repoid": "faa83925c9641325"}
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


def totp(secret: bytes, at: float | None = None, step: int = 30) -> str:
    """RFC 6238 TOTP (SHA-1, 6 digits), as authenticator apps and PVE compute it."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


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


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str


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


class PveServer(HttpsPeer):
    """The API on ``https://127.0.0.1:<port>/api2/json``; a context manager that stops it.

    ``state`` holds users (``root@pam`` with ``password``), tokens, ACLs, nodes and VMs;
    ``requests`` every request received. ``ca_file`` and ``fingerprint`` describe the
    certificate made for this run.
    """

    def __init__(self, folder: Path, *, password: str, nodes: tuple[str, ...] = ("pve1",)) -> None:
        super().__init__(Certificate(), _Handler, name="pve")
        self.ca_file = self.certificate.write_ca(folder / "pve-ca.pem")
        self.fingerprint = self.certificate.fingerprint
        self.state = PveState(users={"root@pam": User(password)})
        for index, node in enumerate(nodes):
            self.state.nodes.append({"node": node, "status": "online", "type": "node"})
            self.state.vms[node] = [
                {"vmid": 9000 + index, "name": f"debian-12-template-{node}", "template": 1},
                {"vmid": 100 + index, "name": f"web-{node}", "status": "running"},
            ]
        self.requests: list[Recorded] = []

    def calls(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request so far."""
        with self.lock:
            return [(r.method, r.path) for r in self.requests]

    def received_text(self) -> str:
        """Every path, header and body received (for 'was this ever sent' checks)."""
        with self.lock:
            return "\n".join(
                f"{r.method} {r.path} {json.dumps(r.headers)} {r.body}" for r in self.requests
            )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HttpsServer[PveServer]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded, not logged."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        owner = self.server.peer
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        with owner.lock:
            owner.requests.append(Recorded(method, path, query, dict(self.headers.items()), body))
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        params = {**{k: v[-1] for k, v in query.items()}, **form}
        try:
            if not path.startswith(PREFIX + "/"):
                raise ApiError(501, "Not Implemented")
            with owner.lock:
                data = _Api(owner.state, self.headers, method).route(path[len(PREFIX) :], params)
        except ApiError as exc:
            answer: dict[str, Any] = {"data": None}
            if exc.errors:
                answer["errors"] = exc.errors
            self._send(exc.status, exc.message, answer)
            return
        self._send(200, "OK", {"data": data})

    def _send(self, status: int, reason: str, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode("utf-8")
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Api:
    """One request against the state (called with the server's lock held)."""

    def __init__(self, state: PveState, headers: Any, method: str) -> None:
        self.state = state
        self.headers = headers
        self.method = method

    def route(self, path: str, params: dict[str, str]) -> Any:
        parts = [p for p in path.split("/") if p]
        method = self.method
        if parts == ["access", "ticket"] and method == "POST":
            return self.ticket(params)
        who = self.authenticate()
        match parts, method:
            case ["version"], "GET":
                return VERSION
            case ["access", "users", userid, "token"], "GET":
                self.may_manage_tokens(who, userid)
                return [
                    {"tokenid": t, "privsep": tok.privsep, "comment": tok.comment, "expire": 0}
                    for (u, t), tok in sorted(self.state.tokens.items())
                    if u == userid
                ]
            case ["access", "users", userid, "token", tokenid], _:
                return self.token(who, method, userid, tokenid, params)
            case ["access", "acl"], "GET":
                return [
                    entry
                    for entry in self.state.acl
                    if "Permissions.Modify" in self.state.privileges(who, entry["path"])
                ]
            case ["access", "acl"], "PUT":
                return self.put_acl(who, params)
            case ["access", "permissions"], "GET":
                return self.permissions(who)
            case ["nodes"], "GET":
                return [dict(node) for node in self.state.nodes]
            case ["nodes", node, "qemu"], "GET":
                if node not in self.state.vms:
                    raise ApiError(500, f"no such cluster node '{node}'")
                return [
                    vm
                    for vm in self.state.vms[node]
                    if "VM.Audit" in self.state.privileges(who, f"/vms/{vm['vmid']}")
                ]
        raise ApiError(501, f"Method '{method} /{'/'.join(parts)}' not implemented")

    def ticket(self, params: dict[str, str]) -> dict[str, Any]:
        username = params.get("username", "")
        challenge = params.get("tfa-challenge")
        if challenge is not None:
            user = self.state.users.get(username)
            code = params.get("password", "").removeprefix("totp:")
            if (
                self.state.challenges.pop(challenge, None) != username
                or user is None
                or user.totp_secret is None
                or not any(
                    hmac.compare_digest(code, totp(user.totp_secret, time.time() + 30 * d))
                    for d in (-1, 0, 1)
                )
            ):
                raise ApiError(401, "authentication failure")
            return self.new_ticket(username)
        user = self.state.users.get(username)
        if user is None or not hmac.compare_digest(user.password, params.get("password", "")):
            raise ApiError(401, "authentication failure")
        if user.totp_secret is not None:
            partial = f"PVE:!tfa!{json.dumps({'totp': True})}:{secrets.token_hex(8)}"
            self.state.challenges[partial] = username
            csrf = secrets.token_hex(16)
            return {
                "username": username,
                "ticket": partial,
                "CSRFPreventionToken": csrf,
                "NeedTFA": 1,
            }
        return self.new_ticket(username)

    def new_ticket(self, username: str) -> dict[str, Any]:
        signature = base64.b64encode(secrets.token_bytes(24)).decode("ascii")
        ticket = f"PVE:{username}:{int(time.time()):08X}::{signature}"
        csrf = f"{int(time.time()):08X}:{base64.b64encode(secrets.token_bytes(12)).decode()}"
        self.state.tickets[ticket] = (username, csrf)
        return {"username": username, "ticket": ticket, "CSRFPreventionToken": csrf, "cap": {}}

    def authenticate(self) -> Principal:
        header = self.headers.get("Authorization", "")
        if header.startswith("PVEAPIToken="):
            full, sep, value = header.removeprefix("PVEAPIToken=").partition("=")
            userid, bang, tokenid = full.partition("!")
            token = self.state.tokens.get((userid, tokenid))
            if not sep or not bang or token is None:
                raise ApiError(401, f"no such token '{tokenid}' for user '{userid}'")
            if not hmac.compare_digest(token.value, value):
                raise ApiError(401, "invalid token value!")
            return Principal(userid, tokenid, bool(token.privsep))
        cookie = self.headers.get("Cookie", "")
        ticket = next(
            (
                unquote(part.split("=", 1)[1])
                for part in cookie.split(";")
                if part.strip().startswith("PVEAuthCookie=")
            ),
            None,
        )
        if ticket is None:
            raise ApiError(401, "No ticket")
        known = self.state.tickets.get(ticket)
        if known is None:
            raise ApiError(401, "authentication failure")
        username, csrf = known
        if self.method != "GET" and self.headers.get("CSRFPreventionToken") != csrf:
            raise ApiError(401, "Permission denied - invalid csrf token")
        return Principal(username)

    def may_manage_tokens(self, who: Principal, userid: str) -> None:
        if who.tokenid is not None:
            raise ApiError(403, "Permission check failed (user != token)")
        if who.userid != userid and "User.Modify" not in self.state.privileges(who, "/access"):
            raise ApiError(403, f"Permission check failed (/access/users/{userid}, User.Modify)")
        if userid not in self.state.users:
            raise ApiError(500, f"no such user ('{userid}')")

    def token(
        self, who: Principal, method: str, userid: str, tokenid: str, params: dict[str, str]
    ) -> Any:
        self.may_manage_tokens(who, userid)
        key = (userid, tokenid)
        token = self.state.tokens.get(key)
        if method == "POST":
            if token is not None:
                raise ApiError(500, "Token already exists.")
            privsep = params.get("privsep", "1")
            if privsep not in ("0", "1"):
                raise ApiError(400, "Parameter verification failed.", {"privsep": "invalid"})
            value = str(uuid.uuid4())
            self.state.tokens[key] = Token(value, int(privsep), params.get("comment", ""))
            info = {"privsep": int(privsep), "comment": params.get("comment", ""), "expire": 0}
            return {"full-tokenid": f"{userid}!{tokenid}", "info": info, "value": value}
        if token is None:
            raise ApiError(500, f"no such token '{tokenid}' for user '{userid}'")
        if method == "GET":
            return {"privsep": token.privsep, "comment": token.comment, "expire": token.expire}
        if method == "PUT":
            if "privsep" in params:
                token.privsep = int(params["privsep"])
            token.comment = params.get("comment", token.comment)
            return {"privsep": token.privsep, "comment": token.comment, "expire": 0}
        if method == "DELETE":
            del self.state.tokens[key]
            full = f"{userid}!{tokenid}"
            self.state.acl = [e for e in self.state.acl if e["ugid"] != full]
            return None
        raise ApiError(501, f"Method '{method}' not implemented")

    def put_acl(self, who: Principal, params: dict[str, str]) -> None:
        path = params.get("path", "")
        roles = [r for r in params.get("roles", "").split(",") if r]
        if not path or not roles:
            errors = dict.fromkeys(("path", "roles"), "property is missing and it is not optional")
            raise ApiError(400, "Parameter verification failed.", errors)
        if "Permissions.Modify" not in self.state.privileges(who, path):
            raise ApiError(403, f"Permission check failed ({path}, Permissions.Modify)")
        for role in roles:
            if role not in ROLES:
                raise ApiError(500, f"role '{role}' does not exist")
        for full in [t for t in params.get("tokens", "").split(",") if t]:
            userid, _, tokenid = full.partition("!")
            if (userid, tokenid) not in self.state.tokens:
                raise ApiError(500, f"no such token '{tokenid}' for user '{userid}'")
            for role in roles:
                entry = {"path": path, "roleid": role, "type": "token", "ugid": full}
                self.state.acl = [
                    e for e in self.state.acl if {**e, "propagate": 0} != {**entry, "propagate": 0}
                ]
                self.state.acl.append({**entry, "propagate": int(params.get("propagate", "1"))})

    def permissions(self, who: Principal) -> dict[str, dict[str, int]]:
        paths = {"/", *(entry["path"] for entry in self.state.acl)}
        found: dict[str, dict[str, int]] = {}
        for path in sorted(paths):
            privileges = self.state.privileges(who, path)
            if privileges:
                found[path] = dict.fromkeys(sorted(privileges), 1)
        return found
