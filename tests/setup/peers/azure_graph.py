"""The test Azure peer's Microsoft Graph: an application's client secrets.

``GET /v1.0/applications(appId='{appId}')?$select=id,passwordCredentials`` answered as the
Graph v1.0 documentation shows: the selected properties (the object ``id``, the secrets
without values) under an ``@odata.context``. ``POST /v1.0/applications/{id}/addPassword``
(body ``{"passwordCredential": {"displayName", "endDateTime"}}``) answers 200 with the new
passwordCredential, ``secretText`` included (the only time Graph shows it);
``POST /v1.0/applications/{id}/removePassword`` (body ``{"keyId"}``) answers 204 No Content.
Errors as ``{"error": {"code", "message", "innerError"}}`` with 401
``InvalidAuthenticationToken`` (no token, or one for another audience), 403
``Authorization_RequestDenied`` (no Application.ReadWrite.OwnedBy), 404
``Request_ResourceNotFound`` and 400 ``Request_BadRequest``.
"""

from __future__ import annotations

import json
import secrets
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


def _refused(peer: AzurePeer, headers: Any, denied: bool) -> tuple[int, dict[str, Any]] | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or token not in peer.graph_tokens:
        return _error(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
        )
    if denied:
        return _error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    return None


def _not_found(what: str) -> tuple[int, dict[str, Any]]:
    return _error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{what}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def application(
    peer: AzurePeer, headers: Any, app_id: str, query: str
) -> tuple[int, dict[str, Any]]:
    """The answer (status, body) to ``GET /v1.0/applications(appId='...')``."""
    if refused := _refused(peer, headers, not peer.graph_readable):
        return refused
    if app_id != peer.client_id:
        return _not_found(app_id)
    selected = (parse_qs(query).get("$select") or ["passwordCredentials"])[0]
    body: dict[str, Any] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications"
        f"({selected})/$entity",
    }
    if "id" in selected.split(","):
        body["id"] = peer.object_id
    if "passwordCredentials" in selected.split(","):
        body["passwordCredentials"] = [dict(c) for c in peer.password_credentials]
    return 200, body


def _json(body: str) -> dict[str, Any]:
    try:
        loaded = json.loads(body or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def add_password(
    peer: AzurePeer, headers: Any, object_id: str, body: str
) -> tuple[int, dict[str, Any]]:
    """The answer to ``POST /v1.0/applications/{id}/addPassword``: a new secret, shown once."""
    if refused := _refused(peer, headers, "addPassword" in peer.graph_denied):
        return refused
    if object_id != peer.object_id:
        return _not_found(object_id)
    asked = _json(body).get("passwordCredential")
    asked = asked if isinstance(asked, dict) else {}
    secret = f"Nw{secrets.choice('~.-_')}{secrets.token_urlsafe(30)}"
    made = credential(secret, days=730, name=str(asked.get("displayName") or ""))
    if isinstance(asked.get("endDateTime"), str):
        made["endDateTime"] = asked["endDateTime"]
    peer.password_credentials.append(made)
    peer.secret_texts[made["keyId"]] = secret
    peer.added.add(secret)
    context = "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential"
    return 200, {"@odata.context": context, **made, "secretText": secret}


def remove_password(
    peer: AzurePeer, headers: Any, object_id: str, body: str
) -> tuple[int, dict[str, Any]]:
    """The answer to ``POST /v1.0/applications/{id}/removePassword``: 204, the secret is gone."""
    if refused := _refused(peer, headers, "removePassword" in peer.graph_denied):
        return refused
    if object_id != peer.object_id:
        return _not_found(object_id)
    key_id = _json(body).get("keyId")
    if not isinstance(key_id, str) or not key_id:
        return _error(400, "Request_BadRequest", "Invalid value specified for property 'keyId'.")
    if all(c["keyId"] != key_id for c in peer.password_credentials):
        return _error(
            400, "Request_BadRequest", f"No password credential found with keyId '{key_id}'."
        )
    peer.password_credentials[:] = [c for c in peer.password_credentials if c["keyId"] != key_id]
    peer.secret_texts.pop(key_id, None)
    return 204, {}
