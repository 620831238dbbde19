"""The test Azure peer's Microsoft Graph: an application's client secrets, without values.

``GET /v1.0/applications(appId='{appId}')?$select=passwordCredentials`` answered as the
Graph v1.0 documentation shows: the selected properties under an ``@odata.context``;
errors as ``{"error": {"code", "message", "innerError"}}`` with 401
``InvalidAuthenticationToken`` (no token, or one for another audience), 403
``Authorization_RequestDenied`` and 404 ``Request_ResourceNotFound``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from tests.setup.peers.azure_server import AzurePeer


def _stamp(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential(secret: str, *, days: float, name: str = "glassdome") -> dict[str, Any]:
    """A passwordCredential as Graph lists it (``secretText`` null) for *secret*."""
    now = datetime.now(UTC)
    return {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": _stamp(now + timedelta(days=days)),
        "hint": secret[:3],
        "keyId": str(uuid.uuid4()),
        "secretText": None,
        "startDateTime": _stamp(now),
    }


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
    return status, {"error": {"code": code, "message": message, "innerError": inner}}


def application(
    peer: AzurePeer, headers: Any, app_id: str, query: str
) -> tuple[int, dict[str, Any]]:
    """The answer (status, body) to ``GET /v1.0/applications(appId='...')``."""
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or token not in peer.graph_tokens:
        return _error(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
        )
    if not peer.graph_readable:
        return _error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    if app_id != peer.client_id:
        return _error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{app_id}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    selected = (parse_qs(query).get("$select") or ["passwordCredentials"])[0]
    body: dict[str, Any] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications"
        f"({selected})/$entity",
    }
    if "passwordCredentials" in selected.split(","):
        body["passwordCredentials"] = [dict(c) for c in peer.password_credentials]
    return 200, body
