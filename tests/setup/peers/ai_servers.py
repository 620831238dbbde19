"""HTTPS servers on 127.0.0.1 that answer as OpenAI, Anthropic and Mailcow document their APIs.

No simulator exists for these services, so each server follows the public
documentation and the services' own code where it is published:

- OpenAI ``GET /v1/models`` with ``Authorization: Bearer KEY``: 200
  ``{"object": "list", "data": [...]}``; a wrong key gets 401 with
  ``code: invalid_api_key`` and a message quoting the key's first 8 and last 4
  characters (keys under 12 characters whole), as OpenAI does.
- Anthropic ``GET /v1/models`` with ``x-api-key`` and ``anthropic-version``:
  200 ``{"data": [...], "has_more": false, ...}``; a wrong key gets 401
  ``{"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}``;
  a missing version header gets 400.
- Mailcow ``GET /api/v1/get/status/containers`` with ``X-API-Key``
  (data/web/inc/sessions.inc.php and json_api.php in mailcow-dockerized): a
  wrong key gets 401 ``{"type": "error", "msg": "authentication failed"}``; a
  known key used from an address outside its allow-list gets 401 ``api access
  denied for ip ADDR``; no key opens no API session and gets an empty 200.

The certificate comes from a `trustme` CA made for the test run. Every request
is recorded (method, path, headers) so tests can check what was sent, and
connections whose TLS handshake failed are counted apart: they sent nothing.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

OPENAI_MODELS = ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"]
ANTHROPIC_MODELS = ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"]
MAILCOW_CONTAINERS = {
    "postfix-mailcow": "running",
    "dovecot-mailcow": "running",
    "rspamd-mailcow": "running",
    "sogo-mailcow": "exited",
}


@dataclass(frozen=True)
class Seen:
    """One request a server received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased


def openai_quote(key: str) -> str:
    """The part of a rejected key OpenAI puts in its error message."""
    return key if len(key) < 12 else key[:8] + "*" * (len(key) - 12) + key[-4:]


class Certificates:
    """A CA and a server certificate for 127.0.0.1, made for this test run."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "ai-test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.configure_cert(context)
        return context

    @property
    def der(self) -> bytes:
        pem = self.server.cert_chain_pems[0].bytes().decode("ascii")
        return ssl.PEM_cert_to_DER_cert(pem)


class _TlsHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: PlatformServer, context: ssl.SSLContext) -> None:
        self.owner = owner
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the request's own thread: a client that rejects the
        # certificate is counted and sends nothing.
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.owner.lock:
                self.owner.failed_handshakes += 1
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


class _Handler(BaseHTTPRequestHandler):
    server: _TlsHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.server.owner
        seen = Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
        with owner.lock:
            owner.seen.append(seen)
        status, body = owner.answer(seen)
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `seen`, not a log."""


class PlatformServer:
    """Base of the three fakes: serve HTTPS on 127.0.0.1, record, answer."""

    def __init__(self, certificates: Certificates, keys: set[str]) -> None:
        self.keys = set(keys)
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.failed_handshakes = 0
        self._server = _TlsHttpServer(self, certificates.server_context())
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> PlatformServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), f"{type(self).__name__} did not stop"

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def answer(self, seen: Seen) -> tuple[int, Any]:
        raise NotImplementedError


class OpenAiServer(PlatformServer):
    """``/v1/models`` as api.openai.com answers it."""

    def answer(self, seen: Seen) -> tuple[int, Any]:
        if seen.path.split("?")[0] != "/v1/models":
            return 404, _openai_error("Invalid URL (GET " + seen.path + ")", None)
        auth = seen.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return 401, _openai_error(
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                None,
            )
        key = auth.removeprefix("Bearer ")
        if key not in self.keys:
            return 401, _openai_error(
                f"Incorrect API key provided: {openai_quote(key)}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                "invalid_api_key",
            )
        data = [
            {"id": m, "object": "model", "created": 1715367049, "owned_by": "system"}
            for m in OPENAI_MODELS
        ]
        return 200, {"object": "list", "data": data}


def _openai_error(message: str, code: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


class AnthropicServer(PlatformServer):
    """``/v1/models`` as api.anthropic.com answers it."""

    def answer(self, seen: Seen) -> tuple[int, Any]:
        if seen.path.split("?")[0] != "/v1/models":
            return 404, _anthropic_error("not_found_error", "Not found")
        key = seen.headers.get("x-api-key")
        if not key:
            return 401, _anthropic_error("authentication_error", "x-api-key header is required")
        if key not in self.keys:
            return 401, _anthropic_error("authentication_error", "invalid x-api-key")
        if "anthropic-version" not in seen.headers:
            return 400, _anthropic_error(
                "invalid_request_error", "anthropic-version: header is required"
            )
        data = [
            {
                "type": "model",
                "id": m,
                "display_name": m.title(),
                "created_at": "2025-05-14T00:00:00Z",
            }
            for m in ANTHROPIC_MODELS
        ]
        return 200, {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"],
            "last_id": data[-1]["id"],
        }


def _anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


class MailcowServer(PlatformServer):
    """``/api/v1/get/status/containers`` as mailcow-dockerized's json_api.php answers it.

    Keys in *denied_keys* exist but their allow-list does not hold 127.0.0.1.
    """

    def __init__(
        self, certificates: Certificates, keys: set[str], denied_keys: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(certificates, keys)
        self.denied_keys = denied_keys

    def answer(self, seen: Seen) -> tuple[int, Any]:
        key = seen.headers.get("x-api-key", "")
        if key:
            if key in self.denied_keys:
                return 401, {"type": "error", "msg": "api access denied for ip 127.0.0.1"}
            if key not in self.keys:
                return 401, {"type": "error", "msg": "authentication failed"}
        if seen.path.split("?")[0] != "/api/v1/get/status/containers":
            return 404, {"type": "error", "msg": "route not found"}
        if not key:
            return 200, None  # no API session: json_api.php prints nothing
        return 200, {
            name: {
                "type": "info",
                "container": name,
                "state": state,
                "started_at": "2025-01-01T00:00:00.000000000Z",
                "image": f"ghcr.io/mailcow/{name.split('-')[0]}:1.0",
            }
            for name, state in MAILCOW_CONTAINERS.items()
        }


def refused_port() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 that is bound but not listening (connecting is refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]
