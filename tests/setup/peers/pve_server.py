"""A small Proxmox VE API server on 127.0.0.1 for the wizard's tests.

It follows the PVE API documentation (pve.proxmox.com/pve-docs/api-viewer): the
``/api2/json`` prefix; answers as ``{"data": ...}``; errors with PVE's message in
the status line and ``{"data": null}`` (plus ``errors`` for parameter errors) as
the body. Each API area is a module of its own: logging in and authenticating
requests (`pve_auth`: tickets, the two-step TOTP challenge, CSRF, API tokens),
access control (`pve_access`: tokens, ACLs, permissions; `pve_roles`: roles); this
module serves them, ``/version`` (PVE 8 by default, or 9: which privileges exist
follows it) and ``/nodes``.

Users, tokens and ACLs live in memory, per server (`pve_state`). Every request that
reached the HTTP layer is recorded (method, path, headers, body), so a test can prove
what was and was not sent. The certificate is made per run with trustme.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.https_peer import Certificate, HttpsPeer, HttpsServer
from tests.setup.peers import pve_access, pve_roles
from tests.setup.peers.pve_auth import authenticate, ticket
from tests.setup.peers.pve_state import ApiError, Principal, PveState, User

PREFIX = "/api2/json"
PVE8 = "8.2.4"
PVE9 = "9.0.3"


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str


class PveServer(HttpsPeer):
    """The API on ``https://127.0.0.1:<port>/api2/json``; a context manager that stops it.

    ``state`` holds users (``root@pam`` with ``password``), tokens, ACLs, nodes and VMs;
    ``requests`` every request received. ``ca_file`` and ``fingerprint`` describe the
    certificate made for this run.
    """

    def __init__(
        self,
        folder: Path,
        *,
        password: str,
        nodes: tuple[str, ...] = ("pve1",),
        version: str = PVE8,
    ) -> None:
        super().__init__(Certificate(), _Handler, name="pve")
        self.ca_file = self.certificate.write_ca(folder / "pve-ca.pem")
        self.fingerprint = self.certificate.fingerprint
        self.state = PveState(users={"root@pam": User(password)}, version=version)
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
        state = self.state
        if parts == ["access", "ticket"] and method == "POST":
            return ticket(state, params)
        who = authenticate(state, self.headers, method)
        refusal = state.refusals.get((method, "/" + "/".join(parts)))
        if refusal is not None:
            raise refusal
        match parts, method:
            case ["version"], "GET":
                release = ".".join(state.version.split(".")[:2])
                return {"version": state.version, "release": release, "repoid": "faa83925c964"}
            case ["access", "roles", *rest], _:
                return pve_roles.route(state, who, method, rest, params)
            case ["access", "users", userid, "token"], "GET":
                return pve_access.list_tokens(state, who, userid)
            case ["access", "users", userid, "token", tokenid], _:
                return pve_access.token(state, who, method, userid, tokenid, params)
            case ["access", "acl"], "GET":
                return pve_access.list_acl(state, who)
            case ["access", "acl"], "PUT":
                return pve_access.put_acl(state, who, params)
            case ["access", "permissions"], "GET":
                return pve_access.permissions(state, who)
            case ["nodes"], "GET":
                return [dict(node) for node in state.nodes]
            case ["nodes", node, "qemu"], "GET":
                return _vms(state, who, node)
        raise ApiError(501, f"Method '{method} /{'/'.join(parts)}' not implemented")


def _vms(state: PveState, who: Principal, node: str) -> list[dict[str, Any]]:
    """``GET /nodes/NODE/qemu``: the VMs *who* may audit."""
    if node not in state.vms:
        raise ApiError(500, f"no such cluster node '{node}'")
    return [
        vm for vm in state.vms[node] if "VM.Audit" in state.privileges(who, f"/vms/{vm['vmid']}")
    ]
