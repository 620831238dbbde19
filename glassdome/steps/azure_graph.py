"""When an Azure client secret ends: its ``endDateTime`` as Microsoft Graph reports it.

``GET {graph}/v1.0/applications(appId='{client_id}')?$select=passwordCredentials`` with a
token for ``{graph}/.default`` (the same client credentials) lists the application's
client secrets without their values: ``keyId``, ``hint`` (the first three characters of
the secret), ``endDateTime``. The secret in hand is the credential whose hint matches.
A principal may read its own application only with a Graph permission such as
Application.Read.All or Application.ReadWrite.OwnedBy; without one (HTTP 403), or on
any other failure, the date is simply not known and the wizard asks for it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from glassdome.steps.base import StepFailed
from glassdome.steps.net import TIMEOUT
from glassdome.steps.tls import requests_session

if TYPE_CHECKING:
    import requests

    from glassdome.steps.azure import VerifyServicePrincipalArgs

__all__ = ["DEFAULT_GRAPH_ENDPOINT", "SecretEnd", "read_secret_end"]

DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com"
_HINT = 3  # Graph's hint: the secret's first three characters


@dataclass(frozen=True, slots=True)
class SecretEnd:
    """What Graph said of the client secret: its ``keyId`` and ``endDateTime`` (UTC ISO).

    *reason* is set (and the rest empty) when it could not be read.
    """

    key_id: str = ""
    expires: str = ""
    reason: str = ""

    @property
    def known(self) -> bool:
        """Whether the end date was read."""
        return bool(self.expires)

    @property
    def said(self) -> str:
        """A few words for a step's message."""
        if self.known:
            return f"the client secret ({self.key_id}) expires {self.expires}"
        return f"the client secret's expiry is not readable ({self.reason})"


def _iso(text: Any) -> str:
    """Graph's ``endDateTime`` (ISO-8601, UTC) as the store records it; '' if not a date."""
    if not isinstance(text, str):
        return ""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        return ""
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _match(credentials: Any, secret: str) -> SecretEnd:
    hint = secret[:_HINT]
    listed = credentials if isinstance(credentials, list) else []
    found = [c for c in listed if isinstance(c, dict) and c.get("hint") == hint]
    if len(found) != 1:
        why = "no client secret of the application matches" if not found else "several match"
        return SecretEnd(reason=why)
    expires = _iso(found[0].get("endDateTime"))
    if not expires:
        return SecretEnd(reason="Graph gave no end date")
    return SecretEnd(key_id=str(found[0].get("keyId") or ""), expires=expires)


def _get(args: VerifyServicePrincipalArgs, session: requests.Session, token: str) -> SecretEnd:
    import requests

    app = quote(f"applications(appId='{args.client_id}')", safe="()='")
    url = f"{args.graph_endpoint}/v1.0/{app}"
    try:
        response = session.get(
            url,
            params={"$select": "passwordCredentials"},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
        body: Any = response.json()
    except (requests.RequestException, ValueError):
        return SecretEnd(reason="Microsoft Graph did not answer")
    if response.status_code == 403:
        return SecretEnd(reason="the principal may not read its application in Microsoft Graph")
    if response.status_code != 200 or not isinstance(body, dict):
        return SecretEnd(reason=f"Microsoft Graph answered HTTP {response.status_code}")
    return _match(body.get("passwordCredentials"), args.client_secret)


def read_secret_end(
    args: VerifyServicePrincipalArgs, register_secret: Callable[[str], None]
) -> SecretEnd:
    """Read the client secret's end date from Microsoft Graph (read-only; never fails)."""
    from glassdome.steps.azure import arm_token

    with requests_session(args) as session:
        try:
            token = arm_token(args, session, scope=f"{args.graph_endpoint}/.default")
        except StepFailed:
            return SecretEnd(reason="no Microsoft Graph token for the principal")
        register_secret(token)
        return _get(args, session, token)
