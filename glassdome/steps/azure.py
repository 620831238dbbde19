"""Azure: verify a service principal (client secret) and its subscription, then store the secret.

azure-identity's ``ClientSecretCredential`` gets a token for Azure Resource
Manager from Microsoft Entra ID (``POST https://<authority>/<tenant>/oauth2/v2.0/token``,
client credentials grant); the subscription is then read through ARM
(``GET <arm>/subscriptions/<id>``), which proves the principal may see it.
Both go through one requests session built by `glassdome.steps.tls`, so a CA
file (or an explicit ``insecure``) applies to the token request too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from glassdome.primitives.names import normalize_name
from glassdome.steps.azure_graph import DEFAULT_GRAPH_ENDPOINT, SecretEnd, read_secret_end
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType, step_meta, stored_plan
from glassdome.steps.net import TIMEOUT, connect_error_from, network_cause
from glassdome.steps.tls import TlsArgs, requests_session, warn_insecure

if TYPE_CHECKING:
    import requests

__all__ = [
    "ARM_API_VERSION",
    "DEFAULT_ARM_ENDPOINT",
    "DEFAULT_AUTHORITY_HOST",
    "GUID",
    "Subscription",
    "VerifyServicePrincipal",
    "check_principal",
]

DEFAULT_AUTHORITY_HOST = "login.microsoftonline.com"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
ARM_API_VERSION = "2022-12-01"
GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# A tenant is a GUID or a verified domain (contoso.onmicrosoft.com).
TENANT = r"[A-Za-z0-9][A-Za-z0-9.-]*"


@dataclass(frozen=True, slots=True)
class Subscription:
    """The subscription as ARM reports it."""

    name: str
    state: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def _quiet_identity_log() -> Iterator[None]:
    # azure-identity logs a failed get_token at WARNING with the whole multi-line
    # error; Python's last-resort handler would print it. We report it in one line.
    logger = logging.getLogger("azure.identity")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _entra_error(message: str) -> str:
    """The first line of azure-identity's message, which carries AADSTSnnnn and its text."""
    first = message.strip().splitlines()[0] if message.strip() else "no reason given"
    for prefix in ("Authentication failed:", "ClientSecretCredential.get_token failed:"):
        first = first.removeprefix(prefix).strip()
    return first


def arm_token(
    args: VerifyServicePrincipalArgs, session: requests.Session, scope: str | None = None
) -> str:
    """A bearer token for ARM (or *scope*) from Entra ID; `StepFailed` in one line if refused."""
    try:
        from azure.core.exceptions import AzureError, ClientAuthenticationError
        from azure.core.pipeline.transport import RequestsTransport
        from azure.identity import ClientSecretCredential
    except ImportError:
        raise StepFailed(
            "the Azure steps need azure-identity: pip install 'glassdome[azure]'"
        ) from None

    authority = f"https://{args.authority_host}"
    transport = RequestsTransport(
        session=session,
        session_owner=False,  # our session carries the TLS trust; azure-core must not replace it
        connection_timeout=TIMEOUT,
        read_timeout=TIMEOUT,
    )
    try:
        with _quiet_identity_log():
            credential = ClientSecretCredential(
                args.tenant_id,
                args.client_id,
                args.client_secret,
                authority=authority,
                disable_instance_discovery=True,  # no call to login.microsoft.com to validate it
                transport=transport,
                retry_total=0,
            )
            return str(credential.get_token(scope or f"{args.arm_endpoint}/.default").token)
    except ClientAuthenticationError as exc:
        # azure-identity reports network failures as authentication errors too.
        if network_cause(exc) is not None:
            raise connect_error_from(authority, exc) from None
        if "Unable to get authority configuration" in exc.message:
            raise StepFailed(
                f"Microsoft Entra ID at {args.authority_host} does not know tenant "
                f"{args.tenant_id} (check the tenant ID and the login host)"
            ) from None
        raise StepFailed(
            f"Microsoft Entra ID refused the client credentials: {_entra_error(exc.message)}"
        ) from None
    except AzureError as exc:
        if network_cause(exc) is not None:
            raise connect_error_from(authority, exc) from None
        raise StepFailed(
            f"Microsoft Entra ID at {args.authority_host}: {_one_line(str(exc))}"
        ) from None
    except ValueError as exc:  # a tenant id or authority azure-identity does not accept
        raise StepFailed(f"Azure: {_one_line(str(exc))}") from None


def read_subscription(
    args: VerifyServicePrincipalArgs, session: requests.Session, token: str
) -> Subscription:
    """GET the subscription through ARM with *token*; `StepFailed` in one line if refused."""
    import requests

    url = f"{args.arm_endpoint}/subscriptions/{args.subscription_id}"
    try:
        response = session.get(
            url,
            params={"api-version": ARM_API_VERSION},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise connect_error_from(url, exc) from None
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") or response.reason or "error"
        message = _one_line(str(error.get("message") or "no message"))
        hint = ""
        if response.status_code == 403:
            hint = " (give the service principal a role on the subscription, e.g. Reader)"
        raise StepFailed(
            f"Azure Resource Manager: HTTP {response.status_code} {code}: {message}{hint}"
        )
    if not isinstance(body, dict):
        raise StepFailed(f"Azure Resource Manager: {url} did not answer with a subscription")
    return Subscription(
        name=str(body.get("displayName") or args.subscription_id),
        state=str(body.get("state") or "unknown"),
    )


def check_principal(
    args: VerifyServicePrincipalArgs, register_secret: Callable[[str], None]
) -> Subscription:
    """Get an ARM token with the client secret and read the subscription (read-only).

    The token is handed to *register_secret* the moment it exists (it must never be
    shown); `StepFailed` in one line when either request is refused or cannot be made.
    """
    if args.tls == "ca" and not Path(args.ca_file or "").expanduser().is_file():
        raise StepFailed(f"CA file {args.ca_file} not found (tls: ca)")
    with requests_session(args) as session:
        token = arm_token(args, session)
        register_secret(token)
        return read_subscription(args, session, token)


def https_endpoint(value: str) -> str:
    """An https:// URL with a host and no path (an API's root), without a final slash."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path or parts.query:
        raise ValueError("must be an https:// URL with a host and no path")
    return url


class VerifyServicePrincipalArgs(TlsArgs):
    """A service principal, the subscription it should reach, and the cloud's endpoints."""

    tenant_id: str = Field(pattern=f"^{TENANT}$", description="directory (tenant) id or domain")
    client_id: str = Field(pattern=f"^{GUID}$", description="application (client) id")
    client_secret: str = Field(min_length=1, description="masked in all output")
    subscription_id: str = Field(pattern=f"^{GUID}$")
    authority_host: str = Field(
        DEFAULT_AUTHORITY_HOST,
        description="Entra ID login host[:port]",
    )
    arm_endpoint: str = Field(DEFAULT_ARM_ENDPOINT, description="Azure Resource Manager https URL")
    graph_endpoint: str = Field(
        DEFAULT_GRAPH_ENDPOINT, description="Microsoft Graph https URL (the secret's end date)"
    )
    secret_name: str = Field("azure_client_secret", description="the store name of the secret")

    @field_validator("authority_host")
    @classmethod
    def _host(cls, value: str) -> str:
        host = value.strip().removeprefix("https://").rstrip("/")
        parts = urlsplit(f"https://{host}")
        if not parts.hostname or parts.path or "://" in host:
            raise ValueError("must be a host name with an optional :port (https is implied)")
        return host

    @field_validator("arm_endpoint", "graph_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        return https_endpoint(value)


class VerifyServicePrincipalOutput(BaseModel):
    """The subscription the principal reached (empty with --no-verify)."""

    subscription_name: str = Field("", description="the subscription's display name")
    subscription_state: str = Field("", description="Enabled, Disabled, Warned, ...")
    expiry_known: bool = Field(False, description="whether Graph told the secret's end date")
    expires: str = Field("", description="the client secret's endDateTime (UTC), if known")


class VerifyServicePrincipal(StepType[VerifyServicePrincipalArgs]):
    """Verify a service principal against Entra ID and ARM, then store its client secret.

    ``check`` gets an ARM token and reads the subscription (read-only; skipped
    with --no-verify); ``apply`` stores the secret at once. Ok (no change) when
    the store already holds exactly this secret.
    """

    Args = VerifyServicePrincipalArgs
    Output = VerifyServicePrincipalOutput
    secret_args = frozenset({"client_secret"})
    summary = "verify an Azure service principal and subscription, and store its secret"

    def check(self, args: VerifyServicePrincipalArgs, ctx: StepContext) -> Plan:
        """Get a token, read the subscription, then compare the secret with the stored one."""
        key = normalize_name(args.secret_name)
        outputs: dict[str, Any] = {"subscription_name": "", "subscription_state": ""}
        end = SecretEnd(reason="not verified")
        if ctx.verify:
            warn_insecure(args, ctx, f"{args.authority_host} and {args.arm_endpoint}")
            subscription = check_principal(args, ctx.register_secret)
            outputs = {
                "subscription_name": subscription.name,
                "subscription_state": subscription.state,
            }
            end = read_secret_end(args, ctx.register_secret)
            said = f"subscription {subscription.name!r} ({subscription.state}); {end.said}"
        else:
            said = f"client {args.client_id} not verified (--no-verify)"
        outputs |= {"expiry_known": end.known, "expires": end.expires}
        plan = stored_plan(ctx, key, args.client_secret, said, outputs)
        plan.data = end
        return plan

    def apply(
        self, args: VerifyServicePrincipalArgs, ctx: StepContext, plan: Plan
    ) -> dict[str, Any]:
        """Store the verified secret now, before any later step can fail."""
        end = plan.data if isinstance(plan.data, SecretEnd) else SecretEnd()
        meta = step_meta(
            "azure",
            expires=end.expires or None,
            tenant=args.tenant_id,
            client_id=args.client_id,
            key_id=end.key_id,
        )
        ctx.store(normalize_name(args.secret_name), args.client_secret, meta)
        return dict(plan.outputs)
