"""Settings for the vault backend, read from the environment.

The standard Vault variables (``VAULT_ADDR``, ``VAULT_TOKEN`` or AppRole's
``VAULT_ROLE_ID`` and ``VAULT_SECRET_ID``, ``VAULT_CACERT``, ``VAULT_NAMESPACE``
...) plus glassdome's own (``GLASSDOME_VAULT_MOUNT``, ``GLASSDOME_VAULT_PREFIX``,
``GLASSDOME_VAULT_TIMEOUT``, ``GLASSDOME_VAULT_APPROLE_MOUNT``). Malformed values
are refused when read; missing ones are reported by `VaultConfig.missing` before
any request is made.

A ``VAULT_ADDR`` over plain ``http://`` would send the token and every secret in
clear text, so it is refused when read unless the host is loopback (127.0.0.0/8,
``::1``, ``localhost``: a dev server on this machine) or
``GLASSDOME_VAULT_ALLOW_HTTP=1`` is set.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from glassdome.backends.base import seconds_setting
from glassdome.errors import BackendUnavailable

__all__ = ["VaultConfig"]

ENV_ADDR = "VAULT_ADDR"
ENV_TOKEN = "VAULT_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_ROLE_ID = "VAULT_ROLE_ID"
ENV_SECRET_ID = "VAULT_SECRET_ID"  # noqa: S105 - the variable's name
ENV_CACERT = "VAULT_CACERT"
ENV_CLIENT_CERT = "VAULT_CLIENT_CERT"
ENV_CLIENT_KEY = "VAULT_CLIENT_KEY"
ENV_NAMESPACE = "VAULT_NAMESPACE"
ENV_MOUNT = "GLASSDOME_VAULT_MOUNT"
ENV_PREFIX = "GLASSDOME_VAULT_PREFIX"
ENV_TIMEOUT = "GLASSDOME_VAULT_TIMEOUT"
ENV_APPROLE_MOUNT = "GLASSDOME_VAULT_APPROLE_MOUNT"
ENV_ALLOW_HTTP = "GLASSDOME_VAULT_ALLOW_HTTP"
DEFAULT_MOUNT = "secret"
DEFAULT_PREFIX = "glassdome"
DEFAULT_TIMEOUT = 5.0
TOKEN_FILE = ".vault-token"  # noqa: S105 - where `bao login` / `vault login` keep the token

_SEGMENTS = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """Where the server is, how to log in, and where glassdome's secrets live there."""

    addr: str
    mount: str = DEFAULT_MOUNT
    prefix: str = DEFAULT_PREFIX
    token: str = field(default="", repr=False)
    token_origin: str = ""
    role_id: str = field(default="", repr=False)
    secret_id: str = field(default="", repr=False)
    approle_mount: str = "approle"
    namespace: str = ""
    cacert: str = ""
    client_cert: str = ""
    client_key: str = ""
    timeout: float = DEFAULT_TIMEOUT
    allow_http: bool = False  # GLASSDOME_VAULT_ALLOW_HTTP=1: plain http:// to any host

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> VaultConfig:
        """Read the standard Vault variables and glassdome's own; refuse malformed ones."""
        timeout = seconds_setting(env, ENV_TIMEOUT, DEFAULT_TIMEOUT)
        mount = _path_setting(env, ENV_MOUNT, DEFAULT_MOUNT)
        prefix = _path_setting(env, ENV_PREFIX, DEFAULT_PREFIX)
        approle_mount = _path_setting(env, ENV_APPROLE_MOUNT, "approle")
        token, origin = env.get(ENV_TOKEN, "").strip(), ENV_TOKEN
        if not token:
            token, origin = _token_file(env)
        addr = env.get(ENV_ADDR, "").strip().rstrip("/")
        allow_http = env.get(ENV_ALLOW_HTTP, "").strip() == "1"
        problem = _clear_text(addr, allow_http)
        if problem is not None:
            raise BackendUnavailable(problem)
        return cls(
            addr=addr,
            mount=mount,
            prefix=prefix,
            token=token,
            token_origin=origin if token else "",
            role_id=env.get(ENV_ROLE_ID, "").strip(),
            secret_id=env.get(ENV_SECRET_ID, "").strip(),
            approle_mount=approle_mount,
            namespace=env.get(ENV_NAMESPACE, "").strip(),
            cacert=env.get(ENV_CACERT, "").strip(),
            client_cert=env.get(ENV_CLIENT_CERT, "").strip(),
            client_key=env.get(ENV_CLIENT_KEY, "").strip(),
            timeout=timeout,
            allow_http=allow_http,
        )

    @property
    def approle(self) -> bool:
        """AppRole is used when a role ID is given (it then beats a token file)."""
        return bool(self.role_id) and self.token_origin != ENV_TOKEN

    @property
    def auth(self) -> str:
        """How this configuration logs in, for messages (never the credential itself)."""
        if self.approle:
            return f"AppRole ({ENV_ROLE_ID}, auth/{self.approle_mount})"
        return f"token from {self.token_origin}" if self.token else "none"

    def path(self, name: str) -> str:
        """The KV path of *name* below the mount (no ``data/`` or ``metadata/``)."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def missing(self) -> str | None:
        """Why this configuration cannot work before any request is made, or None."""
        if not self.addr:
            return (
                f"{ENV_ADDR} is not set; set it to your OpenBao/Vault address, "
                "e.g. https://vault.example.org:8200"
            )
        if not re.match(r"https?://", self.addr):
            return f"{ENV_ADDR}={self.addr!r} must start with http:// or https://"
        clear_text = _clear_text(self.addr, self.allow_http)
        if clear_text is not None:
            return clear_text
        if self.approle and not self.secret_id:
            return f"{ENV_ROLE_ID} is set but {ENV_SECRET_ID} is not; AppRole needs both"
        if not self.token and not self.approle:
            if self.secret_id:
                return f"{ENV_SECRET_ID} is set but {ENV_ROLE_ID} is not; AppRole needs both"
            return (
                f"no Vault credentials: set {ENV_TOKEN}, or {ENV_ROLE_ID} and {ENV_SECRET_ID} "
                "for AppRole (or run `bao login`, which writes ~/.vault-token)"
            )
        if self.cacert and not Path(self.cacert).is_file():
            return f"{ENV_CACERT}={self.cacert} is not a file; point it at the server's CA"
        return None


def _clear_text(addr: str, allow_http: bool) -> str | None:
    """Why *addr* may not be used: plain http:// to a host other than this machine."""
    if allow_http or not addr.lower().startswith("http://"):
        return None
    try:
        host = (urlsplit(addr).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"{ENV_ADDR}={addr} is plain http:// to another machine, which would send the token "
        f"and secrets unencrypted; use https://, or set {ENV_ALLOW_HTTP}=1 to allow it"
    )


def _path_setting(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip().strip("/") or default
    if not _SEGMENTS.fullmatch(value):
        raise BackendUnavailable(
            f"{name}={value!r} is not a Vault path; use letters, digits, '_', '.', '-' "
            "and '/' between parts"
        )
    return value


def _token_file(env: Mapping[str, str]) -> tuple[str, str]:
    home = env.get("HOME")
    path = (Path(home) if home else Path.home()) / TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip(), f"~/{TOKEN_FILE}"
    except (OSError, UnicodeDecodeError):
        return "", ""
