"""Talking to the Proxmox VE API: a trusted session, the password login, one-line errors.

Every request goes through proxmoxer's resource tree over a requests session
from `glassdome.steps.tls.requests_session`, so a pinned certificate
fingerprint is checked in the TLS handshake before a password or token is
sent. The password login (``POST /access/ticket``, with PVE's two-step TOTP
challenge) is made here on that same session: proxmoxer's own login calls the
module-level ``requests.post``, which cannot pin, and its error drops PVE's
message. Failures become `StepFailed` with PVE's own text (HTTP 401/403 put it
in the status line) or the network cause, in one line. Which instance a step is
for (``''``, ``02``, ...) decides where its values live: `instance_names`.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from glassdome.steps.base import StepFailed
from glassdome.steps.net import TIMEOUT, connect_error
from glassdome.steps.tls import TlsArgs, requests_session

if TYPE_CHECKING:
    import requests

__all__ = [
    "TOKEN_NAME_RULE",
    "USERID_RULE",
    "Endpoint",
    "InstanceEndpoint",
    "InstanceNames",
    "call",
    "failure",
    "instance_names",
    "login",
    "token_api",
]

_STDLIB = frozenset({"builtins", "socket", "ssl"})
USERID_RULE = r"[^\s:/@!]+@[A-Za-z][A-Za-z0-9._-]*"
TOKEN_NAME_RULE = r"[A-Za-z][A-Za-z0-9._-]*"  # noqa: S105 - a pattern, not a secret
_INSTANCE = r"(0[2-9]|[1-9][0-9])?"


class Endpoint(TlsArgs):
    """Where the server is, how to trust it, and who logs in."""

    host: str = Field(min_length=1, description="name or IP address, no scheme or port")
    port: int = Field(8006, ge=1, le=65535)
    user: str = Field("root@pam", pattern=f"^{USERID_RULE}$", description="USER@REALM")

    @field_validator("ca_file", "fingerprint", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A template renders an unused choice as "".
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API root, as proxmoxer builds it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/api2/json"


class InstanceEndpoint(Endpoint):
    """The server, how to trust it, and which instance (``''``, ``02``, ...) the values are for."""

    instance: str = Field("", pattern=f"^{_INSTANCE}$", description="'' or 02, 03, ...")


@dataclass(frozen=True, slots=True)
class InstanceNames:
    """Where one Proxmox instance's values live: store names and the ``.env`` prefix."""

    token_secret: str
    password_secret: str
    env_prefix: str


def instance_names(instance: str) -> InstanceNames:
    """``""``: proxmox_token_value, PROXMOX_*; ``"02"``: proxmox_token_value_02, PROXMOX_02_*."""
    suffix = f"_{instance}" if instance else ""
    return InstanceNames(
        f"proxmox_token_value{suffix}",
        f"proxmox_password{suffix}",
        f"PROXMOX_{instance}_" if instance else "PROXMOX_",
    )


def _session(args: Endpoint) -> requests.Session:
    """A session that trusts the server as *args* say, with a timeout on every request."""
    import requests

    class _Session(requests.Session):
        def request(self, method: Any, url: Any, *a: Any, **kw: Any) -> Any:
            kw.setdefault("timeout", TIMEOUT)
            return super().request(method, url, *a, **kw)

    session = _Session()
    session.mount("https://", requests_session(args).get_adapter("https://"))
    return session


def failure(args: Endpoint, doing: str, exc: Exception, *, if_401: str = "") -> StepFailed:
    """One line for a failed request: PVE's own message, or what went wrong on the wire.

    *if_401* is added when PVE refused the credentials (what to do about it).
    """
    import requests
    from proxmoxer.core import ResourceException

    if isinstance(exc, ResourceException):
        # proxmoxer puts the status line's text, which is PVE's message, in `content`.
        detail = ""
        if isinstance(exc.errors, dict) and exc.errors:
            detail = " (" + "; ".join(f"{k}: {v}" for k, v in exc.errors.items()) + ")"
        hint = if_401 if exc.status_code == 401 else ""
        return StepFailed(
            f"{args.where}: {doing}: HTTP {exc.status_code} {exc.content}{detail}{hint}"
        )
    if "Fingerprints did not match" in str(exc):
        return StepFailed(
            f"{args.where}: TLS certificate mismatch: the server's SHA-256 is not the pinned "
            "fingerprint (nothing was sent)"
        )
    cause = _root_cause(exc)
    if cause is not None:
        return connect_error(args.host, args.port, cause)
    if isinstance(exc, requests.Timeout):
        return StepFailed(f"{args.where}: no answer within {TIMEOUT:g}s")
    if isinstance(exc, ValueError | KeyError | TypeError):
        return StepFailed(f"{args.where}: {doing}: the answer is not Proxmox VE's API")
    return StepFailed(f"{args.where}: {doing}: {exc}")


def _root_cause(exc: BaseException) -> BaseException | None:
    """The socket or TLS error under requests' and urllib3's wrappers, if there is one."""
    specific = (socket.gaierror, ConnectionRefusedError, ssl.SSLError, TimeoutError)
    pending, seen = [exc], set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        # The standard library's own errors, not requests' (which subclass OSError too).
        if isinstance(current, specific) and type(current).__module__ in _STDLIB:
            return current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [e for e in [*inner, *current.args] if isinstance(e, BaseException)]
    return None


def call(args: Endpoint, doing: str, request: Any, *a: Any, **kw: Any) -> Any:
    """Run one proxmoxer request; any failure becomes a one-line `StepFailed`."""
    try:
        return request(*a, **kw)
    except Exception as exc:  # noqa: BLE001 - requests, urllib3 and proxmoxer errors alike
        raise failure(args, doing, exc) from None


def _resource(args: Endpoint, session: requests.Session) -> Any:
    """The resource tree of proxmoxer (``api.nodes.get()``) on our trusted session."""
    from proxmoxer.backends.https import JsonSerializer
    from proxmoxer.core import ProxmoxResource

    return ProxmoxResource(base_url=args.base_url, session=session, serializer=JsonSerializer())


# --- the password login ------------------------------------------------------------------


class _TicketAuth:
    """PVE ticket auth: the ``PVEAuthCookie`` cookie, and the CSRF token on writes."""

    def __init__(self, ticket: str, csrf: str) -> None:
        self._ticket = ticket
        self._csrf = csrf

    def __call__(self, request: Any) -> Any:
        request.headers["Cookie"] = f"PVEAuthCookie={self._ticket}"
        if request.method != "GET":
            request.headers["CSRFPreventionToken"] = self._csrf
        return request


def _ticket(args: Endpoint, session: requests.Session, form: dict[str, str]) -> dict[str, Any]:
    """One ``POST /access/ticket``; a refusal is one line with PVE's own reason."""
    try:
        response = session.post(f"{args.base_url}/access/ticket", data=form)
    except Exception as exc:  # noqa: BLE001 - requests and urllib3 errors alike
        raise failure(args, "login", exc) from None
    if response.status_code != 200:
        raise StepFailed(
            f"{args.where}: login as {args.user} refused: HTTP {response.status_code} "
            f"{response.reason or ''}".rstrip()
        )
    try:
        data = response.json()["data"]
        if not (isinstance(data["ticket"], str) and isinstance(data["CSRFPreventionToken"], str)):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise StepFailed(f"{args.where}: login: the answer is not Proxmox VE's API") from None
    return dict(data)


def login(args: Endpoint, password: str, otp: str | None) -> Any:
    """Log in with a password (and a TOTP code when PVE asks for one); return the API tree."""
    session = _session(args)
    data = _ticket(args, session, {"username": args.user, "password": password})
    if data.get("NeedTFA"):
        if not otp:
            raise StepFailed(
                f"{args.where}: {args.user} has two-factor authentication: answer tfa=yes and "
                "give the current TOTP code as otp"
            )
        data = _ticket(
            args,
            session,
            {"username": args.user, "tfa-challenge": data["ticket"], "password": f"totp:{otp}"},
        )
    session.auth = _TicketAuth(data["ticket"], data["CSRFPreventionToken"])
    return _resource(args, session)


def token_api(args: Endpoint, token_name: str, value: str) -> Any:
    """The API tree authenticated by the API token ``args.user!token_name`` alone."""
    from proxmoxer.backends.https import ProxmoxHTTPApiTokenAuth

    session = _session(args)
    # proxmoxer's own header: Authorization: PVEAPIToken=USER@REALM!NAME=SECRET
    session.auth = ProxmoxHTTPApiTokenAuth(args.user, token_name, value, service="PVE")
    return _resource(args, session)
