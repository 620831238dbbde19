"""A small HTTPS server on 127.0.0.1 with a certificate made for this test run (trustme).

It records every byte each client sends after the TLS handshake, so a test
can prove that a client which rejected the certificate sent no request and no
header at all.
"""

from __future__ import annotations

import socketserver
import ssl
import threading
from pathlib import Path

from tests.https_peer import Certificate, HttpsPeer, HttpsServer
from tests.https_peer import colon_hex as colon_hex  # tests import these two from here
from tests.https_peer import refused_port as refused_port


class TlsServer(HttpsPeer):
    """HTTPS on 127.0.0.1:``port``; answers every complete request with ``status``.

    ``received`` holds, per connection that finished its handshake, the bytes
    the client sent (``b""`` when it sent nothing). Use as a context manager:
    the server stops, and its thread ends, when the block exits.
    """

    def __init__(self, folder: Path, *, status: int = 200) -> None:
        super().__init__(Certificate(), _Recorder, name="tls-server")
        self.status = status
        self.ca_file = self.certificate.write_ca(folder / "test-ca.pem")
        self.der = self.certificate.der
        self.fingerprint = self.certificate.fingerprint
        self.received: list[bytes] = []
        self._done = threading.Condition()
        self._finished = 0

    def wait_for_connections(self, count: int, timeout: float = 10) -> None:
        """Block until *count* connections have been handled (synchronisation, not timing)."""
        with self._done:
            ok = self._done.wait_for(lambda: self._finished >= count, timeout=timeout)
        assert ok, f"the server handled {self._finished} connections, expected {count}"

    def requests_text(self) -> str:
        """Everything clients sent, decoded (for header checks)."""
        return b"".join(self.received).decode("latin-1")

    def connection_done(self) -> None:
        with self._done:
            self._finished += 1
            self._done.notify_all()


class _Recorder(socketserver.BaseRequestHandler):
    """Reads up to the end of the request head, records it, answers without a body."""

    server: HttpsServer[TlsServer]
    request: ssl.SSLSocket

    def handle(self) -> None:
        tls, owner = self.request, self.server.peer
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = tls.recv(65536)
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            data += chunk
        with owner.lock:
            owner.received.append(data)
        if b"\r\n\r\n" in data:
            reason = "OK" if owner.status == 200 else "Status"
            response = (
                f"HTTP/1.1 {owner.status} {reason}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            try:
                tls.sendall(response.encode("ascii"))
            except (ssl.SSLError, OSError):
                return
