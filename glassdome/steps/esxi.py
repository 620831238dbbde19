"""`esxi.verify`: log in to an ESXi host or a vCenter with pyVmomi, then store the password.

The login is checked with pyVmomi's ``SmartConnect`` and undone with
``Disconnect``; what the server says about itself (``content.about``) becomes
the step's outputs. With ``tls: fingerprint`` every TLS connection pyVmomi
opens checks the certificate's SHA-256 right after the handshake, before a
byte of the request (or the password) is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from glassdome.primitives.names import normalize_name
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType, step_meta, stored_plan
from glassdome.steps.net import TIMEOUT, connect_error
from glassdome.steps.tls import TlsArgs, colon_hex, normal_fingerprint, ssl_context, warn_insecure

__all__ = [
    "About",
    "CertificateMismatch",
    "EsxiVerify",
    "EsxiVerifyArgs",
    "about_server",
    "pinned_context",
]

# content.about.apiType -> what the wizard calls it.
_KINDS = {"HostAgent": "ESXi host", "VirtualCenter": "vCenter"}


class CertificateMismatch(ssl.SSLError):
    """The server's certificate is not the pinned one (raised in the handshake)."""

    def __init__(self, seen: str) -> None:
        super().__init__(f"certificate SHA-256 {seen} is not the pinned one")
        self.seen = seen


def pinned_context(args: TlsArgs) -> ssl.SSLContext:
    """`tls.ssl_context`, and with ``tls: fingerprint`` a pin checked in every handshake.

    pyVmomi's own ``thumbprint`` is consulted only after a failed CA check and not
    by SmartConnect's version probe, so the pin lives in the context itself: each
    socket it wraps compares the peer certificate before anything is written.
    """
    context = ssl_context(args)
    if args.tls != "fingerprint":
        return context
    pin = normal_fingerprint(args.fingerprint or "")

    class _PinnedSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            seen = hashlib.sha256(self.getpeercert(binary_form=True) or b"").hexdigest()
            if not hmac.compare_digest(seen, pin):
                raise CertificateMismatch(colon_hex(seen))

    context.sslsocket_class = _PinnedSocket
    return context


@dataclass(frozen=True, slots=True)
class About:
    """What a vSphere endpoint says about itself (``ServiceContent.about``)."""

    name: str
    full_name: str
    version: str
    build: str
    api_type: str


@contextmanager
def _default_timeout(seconds: float) -> Iterator[None]:
    # SmartConnect's version probe opens its connection without a timeout.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _import_pyvmomi() -> tuple[Any, Any, Any, Any]:
    try:
        from pyVim.connect import Disconnect, SmartConnect
        from pyVmomi import vim, vmodl
    except ImportError:
        raise StepFailed(
            "the ESXi steps need pyVmomi; install it with: pip install 'glassdome[esxi]'"
        ) from None
    return SmartConnect, Disconnect, vim, vmodl


def about_server(args: EsxiVerifyArgs, timeout: float = TIMEOUT) -> About:
    """Log in with *args*, read ``content.about``, log out; StepFailed with one line otherwise."""
    smart_connect, disconnect, vim, vmodl = _import_pyvmomi()
    where = f"{args.host}:{args.port}"
    pin = normal_fingerprint(args.fingerprint or "") if args.tls == "fingerprint" else None
    try:
        with _default_timeout(timeout):
            instance = smart_connect(
                host=args.host,
                port=args.port,
                user=args.user,
                pwd=args.password,
                sslContext=pinned_context(args),
                thumbprint=pin,  # pyVmomi's own check, where it applies; the context always does
                httpConnectionTimeout=timeout,
            )
            try:
                about = instance.content.about
                found = About(
                    name=str(about.name or ""),
                    full_name=str(about.fullName or ""),
                    version=str(about.version or ""),
                    build=str(about.build or ""),
                    api_type=str(about.apiType or ""),
                )
            finally:
                # Logging out is a courtesy: the login already proved the password.
                with suppress(Exception):
                    disconnect(instance)
            return found
    except CertificateMismatch as exc:
        raise StepFailed(
            f"{where}: TLS certificate mismatch: the server's SHA-256 is {exc.seen}, not the "
            "pinned fingerprint (nothing was sent)"
        ) from None
    except vim.fault.InvalidLogin as exc:
        raise StepFailed(f"login failed: {exc.msg} (user {args.user} at {where})") from None
    except vmodl.MethodFault as exc:
        fault = type(exc).__name__
        raise StepFailed(f"{where}: {fault}: {getattr(exc, 'msg', '') or 'no message'}") from None
    except (OSError, ssl.SSLError) as exc:
        raise connect_error(args.host, args.port, exc) from None
    except Exception as exc:  # noqa: BLE001 - pyVmomi raises bare Exception ("not a VIM server")
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "ThumbprintMismatch" in type(exc).__name__:
            raise StepFailed(f"{where}: TLS certificate mismatch ({text})") from None
        raise StepFailed(f"{where}: not a vSphere API endpoint ({text})") from None


class EsxiVerifyArgs(TlsArgs):
    """Where and how to log in, how to trust the server, and where to store the password."""

    host: str = Field(min_length=1, description="ESXi host or vCenter name or address")
    port: int = Field(443, ge=1, le=65535)
    user: str = Field("root", min_length=1)
    password: str = Field(min_length=1, description="stored once the login works")
    secret: str = Field("esxi_password", description="the store name for the password")


class EsxiVerifyOutput(BaseModel):
    """What the server reported (empty with --no-verify)."""

    product: str = Field(description='content.about.name, e.g. "VMware ESXi"')
    full_name: str = Field(description="content.about.fullName")
    version: str
    build: str
    api_type: str = Field(description="HostAgent (ESXi host) or VirtualCenter (vCenter)")
    kind: str = Field(description='"ESXi host", "vCenter", or "unverified"')
    fingerprint: str = Field(description="the pinned SHA-256 as AB:CD:..., else empty")


class EsxiVerify(StepType[EsxiVerifyArgs]):
    """Log in to ESXi or vCenter (read-only), then store the password; ok if already stored."""

    Args = EsxiVerifyArgs
    Output = EsxiVerifyOutput
    secret_args = frozenset({"password"})
    summary = "verify an ESXi / vCenter login with pyVmomi and store the password"

    def check(self, args: EsxiVerifyArgs, ctx: StepContext) -> Plan:
        """Log in and out (unless --no-verify), then compare with the stored password."""
        key = normalize_name(args.secret)
        fingerprint = colon_hex(args.fingerprint or "") if args.tls == "fingerprint" else ""
        if ctx.verify:
            warn_insecure(args, ctx, f"{args.host}:{args.port}")
            about = about_server(args)
            kind = _KINDS.get(about.api_type, about.api_type or "unknown")
            said = f"{args.user}@{args.host}: {about.full_name or about.name} ({kind})"
        else:
            about = About("", "", "", "", "")
            kind, said = "unverified", f"{args.user}@{args.host}: not verified (--no-verify)"
        outputs = {
            "product": about.name,
            "full_name": about.full_name,
            "version": about.version,
            "build": about.build,
            "api_type": about.api_type,
            "kind": kind,
            "fingerprint": fingerprint,
        }
        return stored_plan(ctx, key, args.password, said, outputs)

    def apply(self, args: EsxiVerifyArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the password the moment it is verified."""
        host = args.host if args.port == 443 else f"{args.host}:{args.port}"
        meta = step_meta("esxi", host=host, user=args.user)
        ctx.store(normalize_name(args.secret), args.password, meta)
        return dict(plan.outputs)
