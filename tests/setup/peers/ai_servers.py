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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.https_peer import Certificate, HttpsPeer, HttpsServer
from tests.https_peer import refused_port as refused_port  # tests import it from here

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


class Certificates(Certificate):
    """The certificate the three fakes share; its CA is written to *folder*."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.ca_file = self.write_ca(folder / "ai-test-ca.pem")


class _Handler(BaseHTTPRequestHandler):
    server: HttpsServer[PlatformServer]
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.server.peer
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


class PlatformServer(HttpsPeer):
    """Base of the three fakes: serve HTTPS on 127.0.0.1, record, answer."""

    def __init__(self, certificates: Certificates, keys: set[str]) -> None:
        super().__init__(certificates, _Handler, name=type(self).__name__)
        self.keys = set(keys)
        self.seen: list[Seen] = []

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
