"""Secrets in OpenBao or HashiCorp Vault's KV version 2 engine, through hvac.

Secret NAME lives at ``<mount>/data/<prefix>/NAME`` with the data
``{"value": "<secret>"}``, so ``bao kv get -mount=secret glassdome/NAME`` (or
``vault kv get``) reads what glassdome writes. Settings come from the standard
variables (``VAULT_ADDR``, ``VAULT_TOKEN`` or AppRole's ``VAULT_ROLE_ID`` and
``VAULT_SECRET_ID``, ``VAULT_CACERT``, ``VAULT_NAMESPACE``) plus
``GLASSDOME_VAULT_MOUNT`` and ``GLASSDOME_VAULT_PREFIX``.

Every write is a check-and-set on the version this backend last read (or
"absent" for a name it never read), so two operators updating one secret get
`SecretConflict`, never a silent overwrite. An expired or revoked token is
replaced once by a new AppRole login, or reported; requests never loop.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from glassdome.backends.base import Availability, BackendContext
from glassdome.core.names import NAME_RULE
from glassdome.errors import BackendUnavailable, SecretConflict, SecretStoreError

__all__ = ["FIELD", "INSTALL_HINT", "VaultBackend", "VaultConfig"]

FIELD = "value"
INSTALL_HINT = "pip install 'glassdome[vault]'"
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
DEFAULT_MOUNT = "secret"
DEFAULT_PREFIX = "glassdome"
DEFAULT_TIMEOUT = 5.0
TOKEN_FILE = ".vault-token"  # noqa: S105 - where `bao login` / `vault login` keep the token

_NAME = re.compile(NAME_RULE)
_SEGMENTS = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_T = TypeVar("_T")


class _CasMismatch(Exception):
    """The version a write was conditioned on is no longer the current one."""


class _Denied(SecretStoreError):
    """A valid token whose policies do not allow the request."""


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

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> VaultConfig:
        """Read the standard Vault variables and glassdome's own; refuse malformed ones."""
        raw_timeout = env.get(ENV_TIMEOUT, "")
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise BackendUnavailable(
                f"{ENV_TIMEOUT}={raw_timeout!r} is not a positive number of seconds; set it "
                "to e.g. 5"
            )
        mount = _path_setting(env, ENV_MOUNT, DEFAULT_MOUNT)
        prefix = _path_setting(env, ENV_PREFIX, DEFAULT_PREFIX)
        approle_mount = _path_setting(env, ENV_APPROLE_MOUNT, "approle")
        token, origin = env.get(ENV_TOKEN, "").strip(), ENV_TOKEN
        if not token:
            token, origin = _token_file(env)
        return cls(
            addr=env.get(ENV_ADDR, "").strip().rstrip("/"),
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


def _hvac() -> Any:
    try:
        import hvac
    except ImportError:
        raise BackendUnavailable(
            f"the vault backend needs hvac, which is not installed: {INSTALL_HINT}"
        ) from None
    return hvac


def _short_reason(exc: BaseException) -> str:
    """'connection refused' out of requests' long, nested connection error text."""
    found = _ERRNO.search(str(exc))
    if found:
        return found.group(1).strip().rstrip(".").lower()
    return type(exc).__name__


def _errors(exc: Any) -> str:
    errors = getattr(exc, "errors", None) or []
    text = "; ".join(" ".join(str(e).split()) for e in errors) if errors else ""
    return text or type(exc).__name__


class VaultBackend:
    """Secrets in a KV v2 mount of OpenBao/Vault; see the module docstring for the layout."""

    name = "vault"

    def __init__(self, config: VaultConfig) -> None:
        self.config = config
        self._client: Any = None
        self._logged_in = False
        self._lock = threading.RLock()
        self._versions: dict[str, int] = {}  # the version each name had when last read/written
        self._availability: Availability | None = None
        self.request_count = 0  # HTTP requests made (for benchmarks and tests)

    @classmethod
    def from_context(cls, context: BackendContext) -> VaultBackend:
        """Build from the environment (see the module docstring for the variables)."""
        return cls(VaultConfig.from_env(context.env))

    def __repr__(self) -> str:
        c = self.config
        return (
            f"VaultBackend(addr={c.addr!r}, mount={c.mount!r}, prefix={c.prefix!r}, "
            f"auth={c.auth!r})"
        )

    # -- connection and login ------------------------------------------------

    def _new_client(self) -> Any:
        hvac = _hvac()
        c = self.config
        cert = (c.client_cert, c.client_key) if c.client_cert and c.client_key else None
        client = hvac.Client(
            url=c.addr,
            token="",  # never None: hvac would read VAULT_TOKEN from os.environ itself
            verify=c.cacert or True,
            cert=cert,
            timeout=c.timeout,
            namespace=c.namespace or None,
        )

        def count(response: Any, *args: Any, **kwargs: Any) -> Any:
            self.request_count += 1
            return response

        client.adapter.session.hooks["response"].append(count)
        return client

    def _connected(self) -> Any:
        """Return a logged-in client, logging in on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            if not self._logged_in:
                self._guard("logging in", self._login)
                self._logged_in = True
            return self._client

    def _login(self) -> None:
        hvac = _hvac()
        c = self.config
        client = self._client
        if c.approle:
            try:
                client.auth.approle.login(
                    c.role_id, c.secret_id, mount_point=c.approle_mount, use_token=True
                )
            except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
                raise BackendUnavailable(
                    f"AppRole login at {c.addr} (auth/{c.approle_mount}) failed: {_errors(exc)}; "
                    f"check {ENV_ROLE_ID} and {ENV_SECRET_ID} (a secret ID may have expired "
                    "or used up its uses)"
                ) from None
            return
        client.token = c.token
        try:
            client.auth.token.lookup_self()
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise self._token_rejected() from None

    def _token_rejected(self) -> BackendUnavailable:
        c = self.config
        return BackendUnavailable(
            f"{c.addr} rejected the token from {c.token_origin}: it has expired, was revoked "
            f"or is mistyped; get a new one (`bao login`) and set {ENV_TOKEN}"
        )

    def _token_valid(self) -> bool:
        hvac = _hvac()
        try:
            self._client.auth.token.lookup_self()
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            return False
        return True

    def _guard(self, doing: str, action: Callable[[], _T], values: Iterable[str] = ()) -> _T:
        """Run one request; turn transport and server failures into one-line glassdome errors."""
        import requests

        hvac = _hvac()
        c = self.config
        try:
            return action()
        except SecretStoreError:
            raise
        except requests.exceptions.SSLError as exc:
            raise BackendUnavailable(
                f"TLS verification of {c.addr} failed while {doing} ({_short_reason(exc)}); "
                f"set {ENV_CACERT} to the CA certificate that signed the server's certificate"
            ) from None
        except requests.exceptions.Timeout:
            raise BackendUnavailable(
                f"{c.addr} did not answer within {c.timeout:g}s while {doing}; check "
                f"{ENV_ADDR}, or raise {ENV_TIMEOUT}"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise BackendUnavailable(
                f"cannot reach {c.addr}: {_short_reason(exc)} (while {doing}); check {ENV_ADDR} "
                "and that the server is running"
            ) from None
        except (hvac.exceptions.VaultDown, hvac.exceptions.VaultNotInitialized) as exc:
            raise BackendUnavailable(
                f"{c.addr} is sealed, uninitialized or in standby ({_errors(exc)}) while "
                f"{doing}; unseal it or point {ENV_ADDR} at the active node"
            ) from None
        except hvac.exceptions.VaultError as exc:
            if isinstance(exc, hvac.exceptions.InvalidRequest) and "check-and-set" in _errors(exc):
                raise _CasMismatch from None
            if isinstance(exc, hvac.exceptions.Forbidden | hvac.exceptions.Unauthorized):
                raise
            detail = _errors(exc)
            for value in values:  # a server message must never carry a value into ours
                detail = detail.replace(value, "***")
            raise SecretStoreError(
                f"{c.addr} refused {doing} ({type(exc).__name__}: {detail})"
            ) from None

    def _call(
        self, doing: str, where: str, request: Callable[[Any], _T], values: Iterable[str] = ()
    ) -> _T:
        """Run *request* with the logged-in client; on a rejected token log in again, once."""
        hvac = _hvac()
        client = self._connected()
        try:
            return self._guard(doing, lambda: request(client), values)
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            pass
        with self._lock:
            if self._guard("checking the token", self._token_valid):
                raise self._denied(doing, where)
            if not self.config.approle:
                raise self._token_rejected()
            self._logged_in = False  # the AppRole token expired or was revoked: log in again
        client = self._connected()
        try:
            return self._guard(doing, lambda: request(client), values)
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise self._denied(doing, where) from None

    def _denied(self, doing: str, where: str) -> _Denied:
        c = self.config
        return _Denied(
            f"{c.addr} denied {doing} on {where}: the token's policies do not allow it; "
            f"they need create/read/update on {c.mount}/data/{c.prefix}/* and read/list/delete "
            f"on {c.mount}/metadata/{c.prefix}/* (see docs/TEAMS.md)"
        )

    # -- availability --------------------------------------------------------

    def availability(self) -> Availability:
        """Log in and check the mount is KV v2 (reads only); the answer is kept."""
        if self._availability is None:
            self._availability = self._probe()
        return self._availability

    def _probe(self) -> Availability:
        c = self.config
        try:
            _hvac()
            problem = c.missing()
            if problem is not None:
                return Availability(False, problem)
            self._connected()
            mount = self._call(
                f"reading the {c.mount}/ mount",
                f"{c.mount}/",
                lambda client: client.adapter.get(f"/v1/sys/internal/ui/mounts/{c.mount}"),
            )
        except _Denied:
            return Availability(
                False,
                f"the token may not use {c.mount}/ on {c.addr} (nothing is mounted there, or no "
                f"policy grants access to it); check {ENV_MOUNT} and the token's policies",
            )
        except SecretStoreError as exc:
            return Availability(False, str(exc))
        data = mount.get("data") or {}
        version = str((data.get("options") or {}).get("version", "1"))
        if data.get("type") != "kv" or version != "2":
            kind = f"kv version {version}" if data.get("type") == "kv" else data.get("type")
            return Availability(
                False,
                f"{c.mount}/ on {c.addr} is a {kind} engine; glassdome needs KV version 2 "
                f"(`bao secrets enable -version=2 -path={c.mount} kv`), or set {ENV_MOUNT}",
            )
        return Availability(True, f"KV v2 at {c.addr}/v1/{c.mount}/data/{c.prefix}/ ({c.auth})")

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """Read the latest version; remember its number for the next write's check-and-set."""
        hvac = _hvac()
        c = self.config
        path = c.path(name)

        def read(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_version(
                    path=path, mount_point=c.mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath as exc:
                return exc  # absent, or its latest version deleted by another tool

        found = self._call(f"reading {name}", f"{c.mount}/data/{path}", read)
        if isinstance(found, Exception):
            metadata = ((getattr(found, "json", None) or {}).get("data") or {}).get("metadata")
            self._remember(name, int(metadata.get("version", 0)) if metadata else 0)
            return None
        data = found["data"]
        value = (data.get("data") or {}).get(FIELD)
        if not isinstance(value, str):
            raise SecretStoreError(
                f"{c.mount}/{path} at {c.addr} has no text field {FIELD!r} (written by another "
                f"tool?); glassdome stores each secret as {{{FIELD!r}: ...}}"
            )
        self._remember(name, int(data["metadata"]["version"]))
        return value

    def _remember(self, name: str, version: int) -> None:
        with self._lock:
            self._versions[name] = version

    def set(self, name: str, value: str) -> None:
        """One check-and-set write (a read first only for a name this backend never saw)."""
        self.set_many({name: value})

    def set_many(self, items: Mapping[str, str]) -> None:
        """KV v2 has no batch write: one check-and-set write per name.

        A name whose version is known (read or written by this backend) costs one
        request; a name never read is first written as "only if absent", and only
        if that fails is it read (and skipped when unchanged) and written on the
        version read. Names that changed underneath are collected and reported
        together in one `SecretConflict` after the others are written.
        """
        conflicts: list[str] = []
        for name, value in items.items():
            try:
                self._write(name, value)
            except _CasMismatch:
                conflicts.append(name)
        if conflicts:
            c = self.config
            shown = ", ".join(conflicts)
            raise SecretConflict(
                f"{shown} changed in {c.addr} after glassdome read "
                f"{'it' if len(conflicts) == 1 else 'them'} (check-and-set failed), so "
                f"{'it was' if len(conflicts) == 1 else 'they were'} not overwritten; "
                "read the current value and try again",
                tuple(conflicts),
            )

    def _write(self, name: str, value: str) -> None:
        with self._lock:
            known = self._versions.get(name)
        if known is not None:
            self._cas_write(name, value, known)
            return
        try:
            self._cas_write(name, value, 0)
        except _CasMismatch:
            if self.get(name) == value:  # records the version it read
                return
            with self._lock:
                version = self._versions[name]
            self._cas_write(name, value, version)

    def _cas_write(self, name: str, value: str, version: int) -> None:
        c = self.config
        path = c.path(name)
        written = self._call(
            f"storing {name}",
            f"{c.mount}/data/{path}",
            lambda client: client.secrets.kv.v2.create_or_update_secret(
                path=path, secret={FIELD: value}, cas=version, mount_point=c.mount
            ),
            values=(value,),
        )
        self._remember(name, int(written["data"]["version"]))

    def delete(self, name: str) -> bool:
        """Remove the metadata and every version; refuse if it changed since it was read."""
        hvac = _hvac()
        c = self.config
        path = c.path(name)

        def metadata(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_metadata(path=path, mount_point=c.mount)
            except hvac.exceptions.InvalidPath:
                return None

        where = f"{c.mount}/metadata/{path}"
        found = self._call(f"reading the metadata of {name}", where, metadata)
        if found is None:
            self._remember(name, 0)
            return False
        data = found["data"]
        current = int(data.get("current_version", 0))
        with self._lock:
            known = self._versions.get(name)
        if known is not None and known != current:
            raise SecretConflict(
                f"{name} changed in {c.addr} after glassdome read it (version {known}, now "
                f"{current}), so it was not deleted; read it again and retry",
                (name,),
            )
        latest = (data.get("versions") or {}).get(str(current)) or {}
        existed = not latest.get("deletion_time") and not latest.get("destroyed")
        self._call(
            f"deleting {name}",
            where,
            lambda client: client.secrets.kv.v2.delete_metadata_and_all_versions(
                path=path, mount_point=c.mount
            ),
        )
        self._remember(name, 0)
        return existed

    def names(self) -> list[str]:
        """One metadata LIST request (KV v2 does not page it); sub-folders are skipped."""
        hvac = _hvac()
        c = self.config

        def listing(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.list_secrets(path=c.prefix, mount_point=c.mount)
            except hvac.exceptions.InvalidPath:
                return None

        found = self._call("listing secrets", f"{c.mount}/metadata/{c.prefix}/", listing)
        keys = ((found or {}).get("data") or {}).get("keys") or []
        return sorted(k for k in keys if isinstance(k, str) and _NAME.fullmatch(k))

    def details(self) -> dict[str, str]:
        """Address, mount, path layout and login method (never the token)."""
        c = self.config
        facts = {
            "address": c.addr or "not set",
            "mount": f"{c.mount}/ (KV version 2)",
            "path": f"{c.mount}/data/{c.prefix}/NAME, field {FIELD!r}",
            "auth": c.auth,
        }
        if c.namespace:
            facts["namespace"] = c.namespace
        if c.cacert:
            facts["CA file"] = c.cacert
        return facts
