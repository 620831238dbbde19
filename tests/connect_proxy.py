"""A real HTTP CONNECT proxy on 127.0.0.1 for tests, which can play the man in the middle.

`ConnectProxy` reads ``CONNECT host:port``, answers ``200 Connection
established`` and copies bytes both ways. With ``target`` set it tunnels every
CONNECT to ``127.0.0.1:target`` whatever host was asked for (an intercepting
proxy); without it, to the host and port asked for. ``connects`` records each
CONNECT's ``host:port``. Every thread is a daemon, every socket wait is bounded, and the
proxy stops (its connections with it) when its ``with`` block exits.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from types import TracebackType
from typing import Self

from tests.https_peer import HOST

__all__ = ["ConnectProxy"]

TIMEOUT = 10.0


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: ConnectProxy


class _Handler(socketserver.BaseRequestHandler):
    server: _Server
    request: socket.socket

    def handle(self) -> None:
        proxy = self.server.proxy
        client = self.request
        client.settimeout(TIMEOUT)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        with proxy.lock:
            proxy.connects.append(parts[1])
        asked_host, _, asked_port = parts[1].rpartition(":")
        where = (HOST, proxy.target) if proxy.target else (asked_host.strip("[]"), int(asked_port))
        try:
            upstream = socket.create_connection(where, timeout=TIMEOUT)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            proxy.track(upstream)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            back = threading.Thread(target=_copy, args=(upstream, client), daemon=True)
            back.start()
            _copy(client, upstream)
            back.join(timeout=TIMEOUT)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Copy until *source* ends (or a bounded wait passes), then half-close *sink*."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class ConnectProxy:
    """``http://127.0.0.1:<port>``; see the module docstring."""

    def __init__(self, target: int | None = None) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.connects: list[str] = []
        self._open: list[socket.socket] = []
        self.server = _Server((HOST, 0), _Handler)
        self.server.proxy = self
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="connect-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def track(self, sock: socket.socket) -> None:
        with self.lock:
            self._open.append(sock)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=TIMEOUT)
        assert not self._thread.is_alive(), "the CONNECT proxy did not stop"
