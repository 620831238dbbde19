"""A small HTTPS server that answers like Microsoft Entra ID and Azure Resource Manager.

No simulator exists for Azure, so this follows the documented protocols:

- the Microsoft identity platform's OpenID configuration,
  ``GET /{tenant}/v2.0/.well-known/openid-configuration``;
- its token endpoint, ``POST /{tenant}/oauth2/v2.0/token`` with the
  ``client_credentials`` grant (form fields ``client_id``, ``client_secret``,
  ``scope``): ``{token_type, expires_in, ext_expires_in, access_token}``, or an
  OAuth error body ``{error, error_description, error_codes, ...}`` with the
  documented AADSTS codes (7000215 wrong secret, 700016 unknown application,
  90002 unknown tenant, 70011 bad scope);
- ARM's ``GET /subscriptions/{id}?api-version=...`` with ``Authorization:
  Bearer``: the subscription, or ``{"error": {"code", "message"}}`` with 401
  (``AuthenticationFailed``, ``InvalidAuthenticationToken``), 404
  (``SubscriptionNotFound``) or 400 (``MissingApiVersionParameter``);
- Microsoft Graph's ``GET /v1.0/applications(appId='{appId}')?$select=passwordCredentials``
  with a token for ``{graph}/.default``: ``{"@odata.context", "passwordCredentials":
  [{customKeyIdentifier, displayName, endDateTime, hint, keyId, secretText: null,
  startDateTime}]}``, or ``{"error": {"code", "message", "innerError"}}`` with 401
  (``InvalidAuthenticationToken``), 403 (``Authorization_RequestDenied``, when the
  principal may not read applications) or 404 (``Request_ResourceNotFound``);
- Graph's ``POST /v1.0/applications/{id}/addPassword`` and ``.../removePassword``
  (tests.setup.peers.azure_graph): a secret added there is accepted by the token endpoint
  (unless `accept_added` is off), and a removed one is refused from then on.

Identity, ARM and Graph share one port here (the wizard takes each as an input);
Graph is addressed as ``localhost`` (`graph_endpoint`), so its tokens have an
audience of their own. The certificate comes from a per-run `trustme` CA. Every request is
logged (method and path, never a body) so tests can see what the client asked.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.https_peer import Certificate, HttpsPeer, HttpsServer
from tests.setup.peers.azure_graph import add_password, application, credential, remove_password

__all__ = ["AzurePeer"]

_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_OPENID = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_SUBSCRIPTION = re.compile(r"^/subscriptions/(?P<id>[^/]+)$")
_APPLICATION = re.compile(r"^/v1\.0/applications\(appId='(?P<app>[^']+)'\)$")
_PASSWORD = re.compile(r"^/v1\.0/applications/(?P<id>[^/]+)/(?P<op>addPassword|removePassword)$")


@dataclass
class AzurePeer(HttpsPeer):
    """One tenant with one application (service principal) and one subscription."""

    tenant_id: str
    client_id: str
    client_secret: str
    subscription_id: str
    display_name: str = "Lab subscription"
    requests: list[tuple[str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    graph_tokens: set[str] = field(default_factory=set)
    # Whether the principal may read its own application in Graph (else 403).
    graph_readable: bool = True
    # The application's client secrets as Graph lists them; by default the one in use.
    password_credentials: list[dict[str, Any]] = field(default_factory=list)
    # The application's object id (Graph's ``id``; the client id is its ``appId``).
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Graph operations answered 403 (the principal lacks Application.ReadWrite.OwnedBy).
    graph_denied: set[str] = field(default_factory=set)
    # Whether the token endpoint takes a secret made by addPassword (off: it refuses them).
    accept_added: bool = True
    # The value of each live client secret by keyId, and the values addPassword made.
    secret_texts: dict[str, str] = field(default_factory=dict)
    added: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__(Certificate(), _Handler, name="azure-peer")
        if not self.password_credentials:
            self.password_credentials.append(credential(self.client_secret, days=180))
        for listed in self.password_credentials:
            if listed["hint"] == self.client_secret[:3]:
                self.secret_texts[listed["keyId"]] = self.client_secret

    def accepts(self, secret: str | None) -> bool:
        """Whether the token endpoint takes *secret*: a live one (an added one if allowed)."""
        if secret is None or secret not in self.secret_texts.values():
            return False
        return self.accept_added or secret not in self.added

    @property
    def graph_endpoint(self) -> str:
        """Microsoft Graph as the wizard takes it: this server, addressed as localhost."""
        return f"https://localhost:{self.port}"

    @property
    def authority(self) -> str:
        """The login host as the wizard takes it (host:port)."""
        return f"127.0.0.1:{self.port}"

    @property
    def arm_endpoint(self) -> str:
        return self.base

    def write_ca(self, path: Path) -> Path:
        """The CA certificate (PEM) a client must trust to talk to this server."""
        return self.certificate.write_ca(path)

    def paths(self) -> list[str]:
        """The paths requested so far, without query strings."""
        return [path for _, path in self.requests]

    def wrong_secret_description(self) -> str:
        return (
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a secret added "
            f"to app '{self.client_id}'."
        )


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    server: HttpsServer[AzurePeer]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded in the peer, not printed."""

    @property
    def peer(self) -> AzurePeer:
        return self.server.peer

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_or_empty(self, status: int, body: dict[str, Any]) -> None:
        if status != 204:
            self._send(status, body)
            return
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _aad_error(self, status: int, error: str, code: int, description: str) -> None:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = _timestamp()
        self._send(
            status,
            {
                "error": error,
                "error_description": (
                    f"{description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
                    f"\r\nTimestamp: {stamp}"
                ),
                "error_codes": [code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"https://{self.peer.authority}/error?code={code}",
            },
        )

    def _arm_error(self, status: int, code: str, message: str) -> None:
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = (
                f'Bearer authorization_uri="https://{self.peer.authority}/'
                f'{self.peer.tenant_id}", error="invalid_token", '
                f'error_description="{message}"'
            )
        self._send(status, {"error": {"code": code, "message": message}}, headers)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.peer.requests.append(("GET", parts.path))
        if match := _OPENID.match(parts.path):
            self._openid(match.group("tenant"))
        elif match := _SUBSCRIPTION.match(parts.path):
            self._subscription(match.group("id"), parse_qs(parts.query))
        elif match := _APPLICATION.match(unquote(parts.path)):
            self._send(*application(self.peer, self.headers, match.group("app"), parts.query))
        else:
            self._send(404, {"error": {"code": "NotFound", "message": "no such path"}})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.peer.requests.append(("POST", parts.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        if match := _TOKEN.match(parts.path):
            form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            self._token(match.group("tenant"), form)
        elif match := _PASSWORD.match(parts.path):
            op = add_password if match.group("op") == "addPassword" else remove_password
            status, answer = op(self.peer, self.headers, match.group("id"), body)
            self._send_or_empty(status, answer)
        else:
            self._send(404, {"error": "not_found", "error_description": "no such path"})

    def _tenant_known(self, tenant: str) -> bool:
        if tenant == self.peer.tenant_id:
            return True
        self._aad_error(
            400,
            "invalid_tenant",
            90002,
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct "
            "tenant ID and are signing into the correct cloud.",
        )
        return False

    def _openid(self, tenant: str) -> None:
        if not self._tenant_known(tenant):
            return
        base = f"https://{self.peer.authority}/{tenant}"
        self._send(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "issuer": f"{base}/v2.0",
                "jwks_uri": f"https://{self.peer.authority}/{tenant}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
            },
        )

    def _token(self, tenant: str, form: dict[str, str]) -> None:
        if not self._tenant_known(tenant):
            return
        if form.get("grant_type") != "client_credentials":
            self._aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "AADSTS70003: The app requested an unsupported grant type.",
            )
            return
        if form.get("client_id") != self.peer.client_id:
            self._aad_error(
                400,
                "unauthorized_client",
                700016,
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not "
                f"found in the directory '{tenant}'.",
            )
            return
        if not self.peer.accepts(form.get("client_secret")):
            self._aad_error(401, "invalid_client", 7000215, self.peer.wrong_secret_description())
            return
        scope = form.get("scope", "")
        graph = f"{self.peer.graph_endpoint}/.default" in scope.split()
        if not graph and f"{self.peer.arm_endpoint}/.default" not in scope.split():
            self._aad_error(
                400,
                "invalid_scope",
                70011,
                f"AADSTS70011: The provided request must include a 'scope' input parameter. "
                f"The provided value for the input parameter 'scope' is not valid: '{scope}'.",
            )
            return
        token = secrets.token_urlsafe(32)
        (self.peer.graph_tokens if graph else self.peer.tokens).add(token)
        self._send(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def _subscription(self, subscription: str, query: dict[str, list[str]]) -> None:
        authorization = self.headers.get("Authorization")
        if not authorization:
            self._arm_error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token not in self.peer.tokens:
            self._arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
            return
        if not query.get("api-version"):
            self._arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
            return
        if subscription != self.peer.subscription_id:
            self._arm_error(
                404,
                "SubscriptionNotFound",
                f"The subscription '{subscription}' could not be found.",
            )
            return
        self._send(
            200,
            {
                "id": f"/subscriptions/{subscription}",
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "subscriptionId": subscription,
                "tenantId": self.peer.tenant_id,
                "displayName": self.peer.display_name,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "PayAsYouGo_2014-09-01",
                    "spendingLimit": "Off",
                },
            },
        )
