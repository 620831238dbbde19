"""An Azure application's client secrets through Microsoft Graph: find, add, remove.

With a token for ``{graph}/.default`` (client credentials; the principal needs the Graph
application permission Application.ReadWrite.OwnedBy and must own its application):
``GET /v1.0/applications(appId='{client_id}')?$select=id,passwordCredentials`` gives the
application's object id and its secrets without values; ``POST
/v1.0/applications/{id}/addPassword`` makes a secret (its ``secretText`` is shown only in
that answer); ``POST /v1.0/applications/{id}/removePassword`` with a ``keyId`` deletes one.
Every refusal is one `StepFailed` line; no value ever reaches a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from glassdome.steps.base import StepFailed
from glassdome.steps.net import TIMEOUT, connect_error_from

if TYPE_CHECKING:
    import requests

    from glassdome.steps.azure import VerifyServicePrincipalArgs

__all__ = ["Application", "Graph", "NewPassword"]

_PERMISSION = (
    "give the application the Microsoft Graph application permission "
    "Application.ReadWrite.OwnedBy, with admin consent, and make it an owner of itself"
)


@dataclass(frozen=True, slots=True)
class Application:
    """The application's object id and its client secrets as Graph lists them (no values)."""

    object_id: str
    credentials: list[dict[str, Any]] = field(default_factory=list)

    def key_ids(self) -> list[str]:
        """The keyId of every client secret."""
        return [str(c.get("keyId")) for c in self.credentials if c.get("keyId")]

    def key_for(self, secret: str) -> str:
        """The keyId of the one secret whose hint (first three characters) is *secret*'s, or ''."""
        found = [c for c in self.credentials if c.get("hint") == secret[:3] and c.get("keyId")]
        return str(found[0]["keyId"]) if len(found) == 1 else ""


@dataclass(frozen=True, slots=True)
class NewPassword:
    """What addPassword returned: the keyId, the value (secret) and the end date."""

    key_id: str
    secret: str = field(repr=False)
    end: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


class Graph:
    """Requests to Microsoft Graph as *principal* (a token for Graph is fetched once)."""

    def __init__(
        self, principal: VerifyServicePrincipalArgs, session: requests.Session, token: str
    ) -> None:
        self.base = f"{principal.graph_endpoint}/v1.0"
        self.client_id = principal.client_id
        self._session = session
        self._token = token

    def __repr__(self) -> str:
        return f"Graph({self.base!r}, client {self.client_id})"

    def _call(self, doing: str, method: str, path: str, **kw: Any) -> Any:
        import requests

        url = f"{self.base}/{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            response = self._session.request(method, url, headers=headers, timeout=TIMEOUT, **kw)
        except requests.RequestException as exc:
            raise connect_error_from(url, exc) from None
        if response.status_code == 204:
            return {}
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if response.status_code in (200, 201) and isinstance(body, dict):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") or response.reason or "error"
        message = _one_line(str(error.get("message") or "no message"))
        hint = f" ({_PERMISSION})" if response.status_code == 403 else ""
        raise StepFailed(
            f"Microsoft Graph: {doing}: HTTP {response.status_code} {code}: {message}{hint}"
        )

    def application(self) -> Application:
        """The application whose appId is the client id: object id and client secrets."""
        app = quote(f"applications(appId='{self.client_id}')", safe="()='")
        body = self._call(
            f"read application {self.client_id}",
            "GET",
            app,
            params={"$select": "id,passwordCredentials"},
        )
        listed = body.get("passwordCredentials")
        credentials = [c for c in listed if isinstance(c, dict)] if isinstance(listed, list) else []
        if not body.get("id"):
            raise StepFailed(f"Microsoft Graph gave no object id for application {self.client_id}")
        return Application(str(body["id"]), credentials)

    def add_password(self, object_id: str, name: str, end: str) -> NewPassword:
        """addPassword: a new client secret named *name* that ends at *end* (ISO-8601 UTC)."""
        credential = {"displayName": name, "endDateTime": end}
        body = self._call(
            f"add a client secret to application {self.client_id}",
            "POST",
            f"applications/{quote(object_id, safe='')}/addPassword",
            json={"passwordCredential": credential},
        )
        secret, key_id = body.get("secretText"), body.get("keyId")
        if not isinstance(secret, str) or not secret or not key_id:
            raise StepFailed("Microsoft Graph's addPassword answer has no secretText or keyId")
        return NewPassword(str(key_id), secret, str(body.get("endDateTime") or end))

    def remove_password(self, object_id: str, key_id: str) -> None:
        """removePassword: delete the client secret *key_id* (Graph answers 204)."""
        self._call(
            f"remove client secret {key_id}",
            "POST",
            f"applications/{quote(object_id, safe='')}/removePassword",
            json={"keyId": key_id},
        )
