"""HTTPS servers on 127.0.0.1 for tests: a per-run certificate and the serving scaffolding.

A fake service subclasses `HttpsPeer` with its own state and hands it a request
handler class; the handler reaches the peer as ``self.server.peer``. The peer
listens on a free port of 127.0.0.1 only, serves from a background thread, and
stops (its thread and its open connections with it) when its ``with`` block
exits or `HttpsPeer.stop` is called.

The TLS handshake runs in each connection's own thread, so a client that
rejects the certificate (or stalls) never blocks the accept loop; such a
client sent nothing, and is counted in `HttpsPeer.failed_handshakes`.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import socketserver
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import trustme

__all__ = ["HOST", "Certificate", "HttpsPeer", "HttpsServer", "colon_hex", "refused_port"]

HOST = "127.0.0.1"

P = TypeVar("P", bound="HttpsPeer")


def colon_hex(der: bytes) -> str:
    """SHA-256 of *der* as ``AB:CD:...`` (computed here, not by the code under test)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def refused_port() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 that is bound but not listening: connecting is refused.

    The caller closes the returned socket when done.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    return sock, sock.getsockname()[1]


class Certificate:
    """A CA made for this test run and the certificate it issued for 127.0.0.1 and localhost.

    ``der`` is the server certificate (DER) and ``fingerprint`` its SHA-256 as ``AB:CD:...``.
    """

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.issued = self.ca.issue_cert(HOST, "localhost")
        pem = self.issued.cert_chain_pems[0].bytes().decode("ascii")
        self.der: bytes = ssl.PEM_cert_to_DER_cert(pem)
        self.fingerprint: str = colon_hex(self.der)

    def write_ca(self, path: Path) -> Path:
        """Write the CA certificate (PEM) a client must trust to *path*; return *path*."""
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context that presents the issued certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.issued.configure_cert(context)
        return context


class HttpsServer(ThreadingHTTPServer, Generic[P]):
    """The listening socket of *peer*: TLS on 127.0.0.1, one thread per connection."""

    daemon_threads = True

    def __init__(self, peer: P, handler: type[socketserver.BaseRequestHandler]) -> None:
        self.peer = peer
        self.context = peer.certificate.server_context()
        self._open: set[ssl.SSLSocket] = set()
        self._open_lock = threading.Lock()
        super().__init__((HOST, 0), handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Handshake in the connection's own thread, then hand the TLS socket to the handler."""
        try:
            request.settimeout(10)
            # Headers and body go out in separate writes: without this, Nagle and delayed
            # ACKs add 40 ms to every answer.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                tls = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as error:
                self.peer.handshake_failed(error)  # the client sent nothing
                return
            with self._open_lock:
                self._open.add(tls)
            try:
                super().finish_request(tls, client_address)
            finally:
                with self._open_lock:
                    self._open.discard(tls)
                tls.close()  # the wrapper owns the socket now; shutdown_request closes the husk
        finally:
            self.peer.connection_done()

    def close_connections(self) -> None:
        """Shut the connections still open, so their threads end with the server."""
        with self._open_lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):  # the client may be gone already
                    sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-request is part of the tests; anything else is printed."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HttpsPeer:
    """Base of the fake services: serve *handler* over HTTPS on 127.0.0.1 from a thread.

    ``port`` is bound at construction; `start` (or entering the ``with`` block)
    begins serving and `stop` (or leaving it) ends it. ``lock`` is for the
    subclass's own records, which handlers update from their threads.
    """

    def __init__(
        self,
        certificate: Certificate,
        handler: type[socketserver.BaseRequestHandler],
        *,
        name: str,
    ) -> None:
        self.certificate = certificate
        self.lock = threading.Lock()
        self.handshake_errors: list[str] = []
        self.server: HttpsServer[HttpsPeer] = HttpsServer(self, handler)
        self.port: int = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name=name, daemon=True
        )

    @property
    def base(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://{HOST}:{self.port}"

    @property
    def failed_handshakes(self) -> int:
        """How many clients gave up (or were refused) during the TLS handshake."""
        with self.lock:
            return len(self.handshake_errors)

    def handshake_failed(self, error: Exception) -> None:
        """Called from a connection's thread when its handshake failed."""
        with self.lock:
            self.handshake_errors.append(str(error))

    def connection_done(self) -> None:
        """Called from a connection's thread once it is closed, handshake failed or not."""

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        started = self._thread.ident is not None  # shutdown() would wait for serve_forever
        if started:
            self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()
        if started:
            self._thread.join(timeout=10)
            assert not self._thread.is_alive(), f"{type(self).__name__} did not stop"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
