"""A small HTTPS server on 127.0.0.1 with a certificate made for this test run (trustme).

It records every byte each client sends after the TLS handshake, so a test
can prove that a client which rejected the certificate sent no request and no
header at all.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType

import trustme


def colon_hex(der: bytes) -> str:
    """SHA-256 of *der* as ``AB:CD:...`` (computed here, not by the code under test)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


class TlsServer:
    """HTTPS on 127.0.0.1:``port``; answers every complete request with ``status``.

    ``received`` holds, per connection that finished its handshake, the bytes
    the client sent (``b""`` when it sent nothing). Use as a context manager:
    the server stops, and its thread ends, when the block exits.
    """

    def __init__(self, folder: Path, *, status: int = 200) -> None:
        self.status = status
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode("ascii"))
        self.fingerprint = colon_hex(self.der)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._context)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.received: list[bytes] = []
        self._done = threading.Condition()
        self._finished = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-server", daemon=True)

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()
        assert not self._thread.is_alive(), "the TLS server thread did not stop"

    def wait_for_connections(self, count: int, timeout: float = 10) -> None:
        """Block until *count* connections have been handled (synchronisation, not timing)."""
        with self._done:
            ok = self._done.wait_for(lambda: self._finished >= count, timeout=timeout)
        assert ok, f"the server handled {self._finished} connections, expected {count}"

    def requests_text(self) -> str:
        """Everything clients sent, decoded (for header checks)."""
        return b"".join(self.received).decode("latin-1")

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self._handle(raw)
            finally:
                raw.close()
                with self._done:
                    self._finished += 1
                    self._done.notify_all()

    def _handle(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            tls = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client gave up during the handshake: nothing was sent
        with tls:
            data = b""
            while b"\r\n\r\n" not in data:
                try:
                    chunk = tls.recv(65536)
                except (ssl.SSLError, OSError):
                    break
                if not chunk:
                    break
                data += chunk
            self.received.append(data)
            if b"\r\n\r\n" in data:
                reason = "OK" if self.status == 200 else "Status"
                response = (
                    f"HTTP/1.1 {self.status} {reason}\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                try:
                    tls.sendall(response.encode("ascii"))
                except (ssl.SSLError, OSError):
                    return


def refused_port() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 that is bound but not listening: connecting is refused.

    The caller closes the returned socket when done.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]
