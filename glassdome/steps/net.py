"""Read-only network checks: a server's TLS certificate fingerprint, and an HTTP(S) probe."""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator

from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType
from glassdome.steps.tls import colon_hex, normal_fingerprint

__all__ = [
    "HttpCheck",
    "TlsFingerprint",
    "connect_error",
    "connect_error_from",
    "format_fingerprint",
    "network_cause",
]

TIMEOUT = 10.0


def format_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as colon-separated upper-case hex (as Proxmox shows it)."""
    return colon_hex(hashlib.sha256(der).hexdigest())


def connect_error(host: str, port: int, exc: BaseException) -> StepFailed:
    """One clear line for a failed connection: which address, and what went wrong."""
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return StepFailed(f"{host}: name not resolved ({exc.strerror})")
    if isinstance(exc, ConnectionRefusedError):
        return StepFailed(f"{where}: connection refused (is the service running on that port?)")
    if isinstance(exc, TimeoutError | socket.timeout):
        return StepFailed(f"{where}: no answer within {TIMEOUT:g}s")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return StepFailed(f"{where}: TLS certificate not trusted ({exc.verify_message})")
    if isinstance(exc, ssl.SSLError):
        return StepFailed(f"{where}: TLS handshake failed ({exc.reason or exc})")
    if isinstance(exc, OSError):
        return StepFailed(f"{where}: {exc.strerror or exc}")
    return StepFailed(f"{where}: {exc}")


def network_cause(exc: BaseException) -> OSError | None:
    """The network error under an HTTP client's wrappers (requests, urllib3, botocore, azure-core).

    None when there is none: the server answered, and *exc* is about what it said.
    """
    specific = (socket.gaierror, ConnectionRefusedError, ssl.SSLError, TimeoutError)
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    first: OSError | None = None
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, specific):
            return current
        # requests' exceptions are OSErrors too; only the standard library's are the cause.
        standard = type(current).__module__ in {"builtins", "socket", "ssl"}
        if isinstance(current, OSError) and standard and first is None:
            first = current
        # Wrappers keep the inner error as a cause, a context, an attribute or an argument.
        inner = [current.__cause__, current.__context__]
        inner += [getattr(current, name, None) for name in ("reason", "inner_exception")]
        inner += list(current.args)
        pending += [e for e in inner if isinstance(e, BaseException)]
    return first


def connect_error_from(url: str, exc: BaseException) -> StepFailed:
    """`connect_error` for a request to *url* that an HTTP client wrapped in its own errors."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return connect_error(parts.hostname or url, port, network_cause(exc) or exc)


def peer_certificate(host: str, port: int, timeout: float = TIMEOUT) -> bytes:
    """The DER certificate the server presents (not verified: this is how one learns it)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # reading the certificate to show its fingerprint
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise connect_error(host, port, exc) from None
    if not der:
        raise StepFailed(f"{host}:{port}: the server presented no certificate")
    return der


class TlsFingerprintArgs(StepArgs):
    host: str
    port: int = Field(443, ge=1, le=65535)


class TlsFingerprintOutput(BaseModel):
    sha256: str = Field(description="AB:CD:... SHA-256 of the server certificate")


class TlsFingerprint(StepType[TlsFingerprintArgs]):
    """Read a server's certificate fingerprint (read-only; output ``sha256``)."""

    Args = TlsFingerprintArgs
    Output = TlsFingerprintOutput
    summary = "read a TLS server's SHA-256 certificate fingerprint"

    def check(self, args: TlsFingerprintArgs, ctx: StepContext) -> Plan:
        """Connect and read the certificate; changes nothing."""
        fingerprint = format_fingerprint(peer_certificate(args.host, args.port))
        return Plan(
            False, f"{args.host}:{args.port} SHA-256 {fingerprint}", {"sha256": fingerprint}
        )


class HttpCheckArgs(StepArgs):
    url: str
    expect_status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    ca_file: str | None = Field(None, description="trust this CA bundle instead of the system's")
    fingerprint: str | None = Field(None, description="pin the server certificate's SHA-256")
    timeout: float = Field(TIMEOUT, gt=0, le=300)

    @model_validator(mode="after")
    def _one_trust(self) -> HttpCheckArgs:
        if self.ca_file and self.fingerprint:
            raise ValueError("give ca_file or fingerprint, not both")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be http:// or https:// with a host")
        return self


class HttpCheckOutput(BaseModel):
    status: int


class HttpCheck(StepType[HttpCheckArgs]):
    """GET a URL and fail unless it answers with the expected status (read-only)."""

    Args = HttpCheckArgs
    Output = HttpCheckOutput
    secret_args = frozenset({"headers"})
    summary = "GET a URL and check the status"

    def check(self, args: HttpCheckArgs, ctx: StepContext) -> Plan:
        """Request the URL; the certificate is checked before any header is sent."""
        for value in args.headers.values():
            ctx.register_secret(value)
        parts = urlsplit(args.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=args.ca_file)
            if args.fingerprint:
                # Pinned: the fingerprint is the trust decision, checked right after connecting.
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(
                host, port, timeout=args.timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=args.timeout)
        try:
            connection.connect()
            if args.fingerprint:
                sock = connection.sock
                der = (
                    sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
                )
                seen = hashlib.sha256(der).hexdigest() if der else ""
                if seen != normal_fingerprint(args.fingerprint):
                    raise StepFailed(
                        f"{host}:{port}: TLS certificate mismatch: the server's SHA-256 is not "
                        "the pinned fingerprint (nothing was sent)"
                    )
            path = parts.path or "/"
            connection.request(
                "GET", path + (f"?{parts.query}" if parts.query else ""), headers=args.headers
            )
            status = connection.getresponse().status
        except StepFailed:
            raise
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            raise connect_error(host, port, exc) from None
        finally:
            connection.close()
        if status != args.expect_status:
            raise StepFailed(f"{args.url}: HTTP {status}, expected {args.expect_status}")
        return Plan(False, f"{args.url}: HTTP {status}", {"status": status})
