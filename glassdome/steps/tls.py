"""How setup steps trust a server: system CAs, a CA file, a pinned fingerprint, or nothing.

Every platform step takes the same `TlsArgs` fields. Pinning is real pinning:
the certificate's SHA-256 is checked during the TLS handshake (urllib3's
``assert_fingerprint``; pyVmomi's ``thumbprint``), before any credential is sent.
``insecure`` exists only as an explicit choice and always prints a warning.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from glassdome.steps.base import StepArgs, StepContext

if TYPE_CHECKING:
    import requests

__all__ = [
    "TlsArgs",
    "TlsMode",
    "normal_fingerprint",
    "requests_session",
    "ssl_context",
    "tls_from_settings",
    "warn_insecure",
]

TlsMode = Literal["verify", "ca", "fingerprint", "insecure"]


def tls_from_settings(
    verify_ssl: bool, ca_file: str | None, fingerprint: str | None
) -> dict[str, Any]:
    """The `TlsArgs` fields of a wizard's TLS choice, back from the settings it wrote.

    A pin wins, then a CA file; ``insecure`` only where the user set ``*_VERIFY_SSL`` off.
    """
    if fingerprint:
        return {"tls": "fingerprint", "fingerprint": fingerprint}
    if ca_file:
        return {"tls": "ca", "ca_file": ca_file}
    return {"tls": "verify" if verify_ssl else "insecure"}


def colon_hex(fingerprint: str) -> str:
    """Any spelling of a fingerprint as ``AB:CD:...`` (as Proxmox and browsers show it)."""
    upper = normal_fingerprint(fingerprint).upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def normal_fingerprint(fingerprint: str) -> str:
    """``AB:CD:...`` or ``abcd...`` -> ``abcd...`` (what urllib3 and comparisons use)."""
    return fingerprint.replace(":", "").replace(" ", "").strip().lower()


class TlsArgs(StepArgs):
    """The TLS trust fields every platform step accepts."""

    tls: TlsMode = Field("verify", description="verify (system CAs), ca, fingerprint, insecure")
    ca_file: str | None = Field(None, description="with tls: ca")
    fingerprint: str | None = Field(None, description="with tls: fingerprint (SHA-256)")

    @model_validator(mode="after")
    def _consistent(self) -> TlsArgs:
        if self.tls == "ca" and not self.ca_file:
            raise ValueError("tls: ca needs ca_file")
        if self.tls == "fingerprint":
            if not self.fingerprint:
                raise ValueError("tls: fingerprint needs fingerprint")
            if len(normal_fingerprint(self.fingerprint)) != 64:
                raise ValueError("fingerprint must be a SHA-256 (64 hex digits)")
        return self


def warn_insecure(args: TlsArgs, ctx: StepContext, where: str) -> None:
    """Say loudly that certificate checks are off (the user chose it), once per run."""
    if args.tls == "insecure" and where not in ctx.warned:
        ctx.warned.add(where)
        ctx.term.warn(
            f"TLS certificate checks are OFF for {where} (tls: insecure): anyone on the path "
            "can read the credentials; pin the fingerprint instead"
        )


def requests_session(args: TlsArgs) -> requests.Session:
    """A requests session that trusts the server the way *args* says."""
    import requests
    from requests.adapters import HTTPAdapter

    pin = normal_fingerprint(args.fingerprint or "") if args.tls == "fingerprint" else None
    # What requests should verify against. A pin replaces CA checks; insecure is explicit.
    verify: bool | str = {"ca": args.ca_file or True, "fingerprint": False, "insecure": False}.get(
        args.tls, True
    )

    class _Trust(HTTPAdapter):
        def init_poolmanager(self, *a: Any, **kw: Any) -> None:
            if pin:
                kw["assert_fingerprint"] = pin  # checked in the handshake, before a byte is sent
            super().init_poolmanager(*a, **kw)

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            # With HTTPS_PROXY / ALL_PROXY set, requests builds a separate urllib3
            # ProxyManager (or SOCKSProxyManager) that never sees init_poolmanager's
            # keywords: the pin must be handed to it too, so the server's certificate is
            # checked in the handshake made through the proxy's CONNECT tunnel.
            if pin:
                proxy_kwargs["assert_fingerprint"] = pin
            return super().proxy_manager_for(proxy, **proxy_kwargs)

        def get_connection_with_tls_context(self, request: Any, *a: Any, **kw: Any) -> Any:
            conn = super().get_connection_with_tls_context(request, *a, **kw)
            # Whatever path requests took (direct, proxy, a pool cached before), an HTTPS
            # connection that would not check the pin is refused before anything is sent.
            unchecked = getattr(conn, "assert_fingerprint", None) != pin
            if pin and getattr(conn, "scheme", None) == "https" and unchecked:
                raise requests.exceptions.SSLError(
                    "the pinned certificate fingerprint would not be checked on this "
                    "connection (nothing was sent)",
                    request=request,
                )
            return conn

        def send(self, request: Any, *a: Any, **kw: Any) -> Any:
            # Per request: requests lets REQUESTS_CA_BUNDLE override a session's `verify`.
            # Plain `verify` keeps requests' own choice (REQUESTS_CA_BUNDLE, else certifi).
            if args.tls != "verify":
                kw["verify"] = verify
            return super().send(request, *a, **kw)

    session = requests.Session()
    session.mount("https://", _Trust())
    return session


def ssl_context(args: TlsArgs) -> ssl.SSLContext:
    """An SSLContext for clients that take one; with ``fingerprint`` the caller checks the pin."""
    if args.tls == "ca":
        return ssl.create_default_context(cafile=args.ca_file)
    context = ssl.create_default_context()
    if args.tls in ("fingerprint", "insecure"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
